// Package exampletest holds what the examples' tests share: building the
// example programs once per test binary, running them, finding the seed's
// Python, and a watchdog.
package exampletest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Module is the module path of the example programs.
const Module = "github.com/streamkit/streamkit/examples/"

// Programs builds example programs, all in one go build, the first time
// one of them is asked for. Under -race they are built with -race too.
type Programs struct {
	// Names are the programs' directories under examples/, e.g.
	// "echo-client".
	Names []string

	once sync.Once
	dir  string
	err  error
}

// Path returns the path of the built program name, building every program
// first if this is the first call. It fails t if the build fails, and
// skips t if there is no go command.
func (p *Programs) Path(t testing.TB, name string) string {
	t.Helper()
	p.once.Do(p.build)
	if p.err == exec.ErrNotFound {
		t.Skip("no go command to build the examples with")
	}
	if p.err != nil {
		t.Fatalf("building the examples: %v", p.err)
	}
	return filepath.Join(p.dir, name)
}

func (p *Programs) build() {
	gocmd, err := exec.LookPath("go")
	if err != nil {
		p.err = exec.ErrNotFound
		return
	}
	p.dir, p.err = os.MkdirTemp("", "streamkit-examples")
	if p.err != nil {
		return
	}
	args := []string{"build", "-o", p.dir}
	if raceEnabled {
		args = append(args, "-race")
	}
	for _, n := range p.Names {
		args = append(args, Module+n)
	}
	out, err := exec.Command(gocmd, args...).CombinedOutput()
	if err != nil {
		p.err = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		return
	}
	p.err = p.statSources(gocmd)
}

// statSources looks at every Go file of the programs and of the module's
// packages they use. go test records the files a test opens and stats,
// and reruns it instead of reporting a cached result when one of them
// changes: without this, a change to an example's source would leave the
// result of a test that only runs its binary cached.
func (p *Programs) statSources(gocmd string) error {
	args := []string{"list", "-deps", "-f", "{{if not .Standard}}{{.Dir}}{{end}}"}
	for _, n := range p.Names {
		args = append(args, Module+n)
	}
	out, err := exec.Command(gocmd, args...).Output()
	if err != nil {
		return fmt.Errorf("go %s: %v", strings.Join(args, " "), err)
	}
	for _, dir := range strings.Fields(string(out)) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".go") {
				if _, err := os.Stat(filepath.Join(dir, e.Name())); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Cleanup removes the built programs. Call it from TestMain after m.Run.
func (p *Programs) Cleanup() {
	if p.dir != "" {
		os.RemoveAll(p.dir)
	}
}

// Command is exec.CommandContext for a program built by [Programs]. Under
// -race the program does not wait a second before it exits, as race
// binaries otherwise do (GORACE's atexit_sleep_ms, which the caller's
// GORACE can still set).
func Command(ctx context.Context, path string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, path, args...)
	if raceEnabled {
		cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0 "+os.Getenv("GORACE"))
	}
	return cmd
}

// Run runs a program built by [Programs] to its end, with a minute's
// bound, and returns its standard output. It fails t if the program fails
// (under -race, if it finds a race), showing its standard error.
func Run(t testing.TB, path string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := Command(ctx, path, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", filepath.Base(path), strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return string(out)
}

// Process is a program running in the background whose standard output
// and standard error are read line by line.
type Process struct {
	Cmd *exec.Cmd

	stdout, stderr *lines
	done           chan struct{}
	err            error
}

// lines is a stream of lines read from a pipe; all keeps them all.
type lines struct {
	c   chan string
	all SyncBuffer
}

func readLines(r io.Reader) *lines {
	l := &lines{c: make(chan string, 1000)}
	go func() {
		defer close(l.c)
		s := bufio.NewScanner(r)
		for s.Scan() {
			l.all.Write(append(s.Bytes(), '\n'))
			select {
			case l.c <- s.Text():
			default: // nobody reads them: they are in all
			}
		}
		io.Copy(io.Discard, r)
	}()
	return l
}

// Start starts cmd, which must not have its Stdout or Stderr set. The
// process is killed, if it still runs, when t ends.
func Start(t testing.TB, cmd *exec.Cmd) *Process {
	t.Helper()
	outR, outW := io.Pipe()
	errR, errW := io.Pipe()
	cmd.Stdout = outW // not files: Wait returns once the output is copied
	cmd.Stderr = errW
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &Process{Cmd: cmd, stdout: readLines(outR), stderr: readLines(errR), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.err = cmd.Wait()
		outW.Close()
		errW.Close()
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// Line returns the next line of the process's standard output, without
// its newline. It fails t if the output ended.
func (p *Process) Line(t testing.TB) string {
	t.Helper()
	line, ok := <-p.stdout.c
	if !ok {
		<-p.done
		t.Fatalf("%s: the output ended early (%v); stderr:\n%s", filepath.Base(p.Cmd.Path), p.err, p.Stderr())
	}
	return line
}

// Lines returns the next n lines of the process's standard output.
func (p *Process) Lines(t testing.TB, n int) []string {
	t.Helper()
	lines := make([]string, n)
	for i := range lines {
		lines[i] = p.Line(t)
	}
	return lines
}

// ErrLine returns the next line of the process's standard error. It
// fails t if the output ended.
func (p *Process) ErrLine(t testing.TB) string {
	t.Helper()
	line, ok := <-p.stderr.c
	if !ok {
		<-p.done
		t.Fatalf("%s: stderr ended early (%v); stderr:\n%s", filepath.Base(p.Cmd.Path), p.err, p.Stderr())
	}
	return line
}

// Wait waits for the process to exit and returns the rest of its standard
// output, and its exit error.
func (p *Process) Wait() ([]string, error) {
	var rest []string
	for line := range p.stdout.c {
		rest = append(rest, line)
	}
	<-p.done
	return rest, p.err
}

// Stderr returns all the process's standard error so far.
func (p *Process) Stderr() string {
	return p.stderr.all.String()
}

// SyncBuffer is a bytes.Buffer safe for concurrent use.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
