package netx_test

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/streamkit/streamkit/internal/testenv"
	"github.com/streamkit/streamkit/netx"
)

// staleSocket leaves a socket file at path that nobody listens on, as a
// crashed server does.
func staleSocket(t *testing.T, path string) {
	t.Helper()
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()
	if fi, err := os.Lstat(path); err != nil || fi.Mode().Type() != fs.ModeSocket {
		t.Fatalf("no stale socket at %s: %v", path, err)
	}
}

func echoOnce(t *testing.T, addr string) {
	t.Helper()
	r, w := dial(t, "unix", addr)
	w.Write([]byte("ping\n"))
	if line, err := r.ReadLine(); err != nil || string(line) != "ping\n" {
		t.Fatalf("ReadLine() = %q, %v", line, err)
	}
}

func TestUnixStaleSocketIsReplaced(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	path := filepath.Join(shortTempDir(t), "sock")
	staleSocket(t, path)
	s, err := netx.Listen(context.Background(), "unix", path, echoHandler)
	if err != nil {
		t.Fatalf("Listen on a stale socket: %v", err)
	}
	echoOnce(t, path)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket file still there after Close: %v", err)
	}
}

func TestUnixLiveSocketIsKept(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	path := filepath.Join(shortTempDir(t), "sock")
	live, err := netx.Listen(context.Background(), "unix", path, echoHandler)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	before, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = netx.Listen(context.Background(), "unix", path, echoHandler)
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("Listen on a live socket: %v, want syscall.EADDRINUSE", err)
	}
	after, err := os.Lstat(path)
	if err != nil || !os.SameFile(before, after) {
		t.Fatalf("the live socket file was replaced or removed: %v", err)
	}
	echoOnce(t, path) // the first server still answers
}

func TestUnixNonSocketIsKept(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	dir := shortTempDir(t)
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "dir")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{file, sub, link} {
		_, err := netx.Listen(context.Background(), "unix", path, echoHandler)
		if !errors.Is(err, fs.ErrExist) {
			t.Errorf("Listen on %s: %v, want an error matching fs.ErrExist", filepath.Base(path), err)
		}
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "precious" {
		t.Errorf("regular file changed: %q, %v", b, err)
	}
	if fi, err := os.Lstat(sub); err != nil || !fi.IsDir() {
		t.Errorf("directory changed: %v", err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode().Type() != fs.ModeSymlink {
		t.Errorf("symlink changed: %v", err)
	}
}

func TestUnixCloseRemovesOnlyItsOwnFile(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	path := filepath.Join(shortTempDir(t), "sock")
	s, err := netx.Listen(context.Background(), "unix", path, echoHandler)
	if err != nil {
		t.Fatal(err)
	}
	// Someone replaces the socket file while the server runs.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("someone else's"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "someone else's" {
		t.Errorf("Close removed or changed a file it did not create: %q, %v", b, err)
	}
}

func TestUnixSocketMode(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	for _, mode := range []os.FileMode{0o600, 0o660} {
		path := filepath.Join(shortTempDir(t), "sock")
		s := &netx.Server{Handler: echoHandler, UnixSocketMode: mode}
		if err := s.Listen(context.Background(), "unix", path); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Lstat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("socket mode %v, want %v", fi.Mode().Perm(), mode)
		}
		echoOnce(t, path)
		s.Close()
	}
}
