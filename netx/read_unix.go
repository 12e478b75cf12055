//go:build unix

package netx

import (
	"net"
	"syscall"
)

// lazyRawConn returns the raw connection a lazyReader reads c through: only
// for the standard library's own TCP connections and Unix stream
// connections, never for a type that merely embeds one (its Read may do
// more than read), nor for a Unix datagram socket (a zero-length read is
// not its end). It returns nil for every other connection, which is read
// through connReader.
func lazyRawConn(c net.Conn) syscall.RawConn {
	var sc syscall.Conn
	switch c := c.(type) {
	case *net.TCPConn:
		sc = c
	case *net.UnixConn:
		sc = c
	default:
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	if _, ok := c.(*net.UnixConn); ok {
		typ := -1
		err := rc.Control(func(fd uintptr) {
			if t, err := syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TYPE); err == nil {
				typ = t
			}
		})
		if err != nil || typ != syscall.SOCK_STREAM {
			return nil
		}
	}
	return rc
}

// readFD is the callback of ReadLazy's RawConn.Read: one non-blocking read
// into the buffer get returns. When the socket has nothing to read, it
// gives the buffer back and returns false, and the runtime calls it again
// once the socket is readable.
func (l *lazyReader) readFD(fd uintptr) bool {
	for {
		p := l.get()
		if len(p) > maxRW {
			p = p[:maxRW]
		}
		n, err := syscall.Read(int(fd), p)
		switch err {
		case nil:
			l.n = n
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			l.release()
			return false
		default:
			l.errno = err
		}
		return true
	}
}
