// Package testenv holds what the module's tests share about their
// environment: a watchdog that turns a hang into a failure, and where the
// reference CPython versions are installed.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Watchdog makes t panic, with every goroutine's stack, if it is still
// running after d: a hang becomes a failure that says where it hung.
func Watchdog(t testing.TB, d time.Duration) {
	t.Helper()
	name := t.Name()
	timer := time.AfterFunc(d, func() {
		buf := make([]byte, 4<<20)
		n := runtime.Stack(buf, true)
		panic(fmt.Sprintf("watchdog: %s still running after %v\n\n%s", name, d, buf[:n]))
	})
	t.Cleanup(func() { timer.Stop() })
}

// Python returns the path of the CPython version (e.g. "3.13.0")
// installed by pyenv, or skips t if it is not installed.
func Python(t testing.TB, version string) string {
	t.Helper()
	p, roots := FindPython(version)
	if p == "" {
		t.Skipf("CPython %s is not installed with pyenv (looked under %q)", version, roots)
	}
	return p
}

// FindPython returns the path of the CPython version installed by pyenv,
// or "" if it is not installed, and the pyenv roots it looked under:
// `pyenv root`, $PYENV_ROOT and ~/.pyenv.
func FindPython(version string) (path string, roots []string) {
	if out, err := exec.Command("pyenv", "root").Output(); err == nil {
		roots = append(roots, strings.TrimSpace(string(out)))
	}
	if r := os.Getenv("PYENV_ROOT"); r != "" {
		roots = append(roots, r)
	}
	if home, err := os.UserHomeDir(); err == nil {
		roots = append(roots, filepath.Join(home, ".pyenv"))
	}
	major, minor, _ := strings.Cut(version, ".")
	minor, _, _ = strings.Cut(minor, ".")
	for _, root := range roots {
		p := filepath.Join(root, "versions", version, "bin", "python"+major+"."+minor)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, roots
		}
	}
	return "", roots
}
