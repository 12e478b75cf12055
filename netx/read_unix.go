//go:build unix

package netx

import (
	"net"
	"syscall"
)

// lazyRawConn returns the raw connection a lazyReader reads c through
// (see rawConnOf), or nil if c is to be read through connReader: also for
// a Unix datagram socket, where a zero-length read is not the end.
func lazyRawConn(c net.Conn) syscall.RawConn {
	rc := rawConnOf(c)
	if _, ok := c.(*net.UnixConn); ok && rc != nil {
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

// readFDFunc returns the callback of the lazyReader's RawConn.Read, made
// once: one non-blocking read into Read's buffer, or in ReadLazy into the
// buffer rawRead took. When the socket has nothing to read, it gives
// ReadLazy's buffer back, tells the Writer that the read would block
// (which sends what is queued) and returns false; the runtime calls it
// again once the socket is readable, and then, holding no buffer, it
// returns at once with woke set, for rawRead to take one (see rawRead).
// It is a closure with the body inside rather than a method value, whose
// wrapper would add a frame at the deepest point of a read that waits.
func (l *lazyReader) readFDFunc() func(fd uintptr) bool {
	return func(fd uintptr) bool {
		p := l.p
		if p == nil {
			l.woke = true
			return true
		}
		if len(p) > maxRW {
			p = p[:maxRW]
		}
		for {
			n, err := syscall.Read(int(fd), p)
			switch err {
			case nil:
				l.n = n
				l.drained = n < len(p)
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				if l.get != nil {
					l.p = nil
					l.release()
				}
				l.w.readWouldBlock()
				return false
			default:
				l.errno = errnoOf(err)
			}
			return true
		}
	}
}

// pendingInput reports whether the socket c (a *net.TCPConn or
// *net.UnixConn) has bytes to read, without waiting and without reading
// them. It reports false for other connections, and at the end of the
// stream.
func pendingInput(c net.Conn) bool {
	rc := rawConnOf(c)
	if rc == nil {
		return false
	}
	pending := false
	rc.Read(func(fd uintptr) bool {
		var b [1]byte
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		pending = err == nil && n > 0
		return true // one try: never wait
	})
	return pending
}

// errnoOf returns the errno of err, an error of a system call in package
// syscall, which are all syscall.Errno; EIO stands in for any other.
func errnoOf(err error) syscall.Errno {
	if e, ok := err.(syscall.Errno); ok && e != 0 {
		return e
	}
	return syscall.EIO
}
