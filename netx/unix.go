package netx

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

// staleProbeTimeout bounds the dial that tells a live Unix socket from a
// stale one before Listen replaces it.
const staleProbeTimeout = time.Second

// listenUnix listens on a Unix socket at path. A stale socket file is
// replaced; a live socket or a file that is not a socket is left alone and
// makes listenUnix fail. The returned listener removes the file on Close
// only if it is still the file it created.
func listenUnix(ctx context.Context, lc *net.ListenConfig, path string, mode os.FileMode) (net.Listener, error) {
	if strings.HasPrefix(path, "@") || path == "" {
		// Linux's abstract namespace (or autobind): no file.
		return lc.Listen(ctx, "unix", path)
	}
	if err := removeStale(ctx, path); err != nil {
		return nil, err
	}
	l, err := lc.Listen(ctx, "unix", path)
	if err != nil {
		return nil, err
	}
	ul := l.(*net.UnixListener)
	// net.UnixListener would remove whatever file has the path when it
	// closes, even one another server put there since: we remove by inode.
	ul.SetUnlinkOnClose(false)
	fi, err := os.Lstat(path)
	if err != nil {
		ul.Close()
		return nil, fmt.Errorf("netx: listen unix %s: %w", path, err)
	}
	ln := &unixListener{UnixListener: ul, path: path, fi: fi}
	if mode != 0 {
		if err := os.Chmod(path, mode); err != nil {
			ln.Close()
			return nil, fmt.Errorf("netx: listen unix %s: %w", path, err)
		}
	}
	return ln, nil
}

// removeStale makes room at path for a new socket: nothing to do if there
// is no file; a socket that refuses connections (its server is gone) is
// removed; anything else is an error that says why it was left alone.
func removeStale(ctx context.Context, path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("netx: listen unix %s: %w", path, err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("netx: listen unix %s: the path exists and is not a socket (mode %v): %w", path, fi.Mode(), fs.ErrExist)
	}
	d := net.Dialer{Timeout: staleProbeTimeout}
	c, err := d.DialContext(ctx, "unix", path)
	if err == nil {
		c.Close()
		return fmt.Errorf("netx: listen unix %s: another server is listening on this socket: %w", path, syscall.EADDRINUSE)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("netx: listen unix %s: cannot tell whether the existing socket is stale: %w", path, err)
	}
	// Stale: remove it, if it is still the file we probed.
	if fi2, err := os.Lstat(path); err == nil && os.SameFile(fi, fi2) {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("netx: listen unix %s: removing stale socket: %w", path, err)
		}
	}
	return nil
}

// unixListener is a Unix listener that removes its socket file on Close
// only if the path still names the file it created.
type unixListener struct {
	*net.UnixListener
	path string
	fi   os.FileInfo
	once sync.Once
}

func (l *unixListener) Close() error {
	err := l.UnixListener.Close()
	l.once.Do(func() {
		if fi, e := os.Lstat(l.path); e == nil && os.SameFile(fi, l.fi) {
			os.Remove(l.path)
		}
	})
	return err
}
