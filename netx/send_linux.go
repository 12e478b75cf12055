//go:build linux

package netx

import (
	"net"
	"os"
	"syscall"
	"unsafe"
)

// sendsRaw says that the Writer sends through the raw connection without
// blocking (sendNow).
const sendsRaw = true

// maxIovecs is the most buffers one writev takes (IOV_MAX).
const maxIovecs = 1024

// rawSender is the scratch state of a non-blocking send; only the owner of
// the write side uses it.
type rawSender struct {
	bufs [][]byte
	iov  []syscall.Iovec
	n    int
	err  error
	fn   func(fd uintptr) bool
}

// sendNow offers bufs to the kernel once, without blocking (asyncio's
// first sock.send in transport.write), and returns how many bytes it took.
// A full socket buffer is not an error: sendNow returns fewer bytes. Only
// the owner of the write side calls it, without w.mu.
func (w *Writer) sendNow(bufs [][]byte) (int, error) {
	s := &w.snd
	if s.fn == nil {
		s.fn = s.send
	}
	s.bufs = append(s.bufs[:0], bufs...)
	if len(bufs) > 1 && cap(s.iov) < min(len(bufs), maxIovecs) {
		// Here rather than in send, which runs below RawConn.Write's
		// frames: the allocation would be the deepest call of a handler's
		// write (see lazyReader.rawRead on why depth matters).
		s.iov = make([]syscall.Iovec, 0, min(len(bufs), maxIovecs))
	}
	s.n, s.err = 0, nil
	err := w.raw.Write(s.fn)
	clear(s.bufs)
	s.bufs = s.bufs[:0]
	if err == nil {
		err = s.err
	}
	if err != nil {
		// As the connection's own Write reports it.
		err = &net.OpError{Op: "write", Net: w.conn.LocalAddr().Network(), Source: w.conn.LocalAddr(), Addr: w.conn.RemoteAddr(), Err: err}
	}
	return s.n, err
}

func (s *rawSender) send(fd uintptr) bool {
	for {
		var n int
		var err error
		if len(s.bufs) == 1 {
			n, err = syscall.Write(int(fd), s.bufs[0])
		} else {
			iov := s.iov[:0]
			for _, b := range s.bufs {
				if len(b) == 0 {
					continue
				}
				if len(iov) == maxIovecs {
					break
				}
				v := syscall.Iovec{Base: &b[0]}
				v.SetLen(len(b))
				iov = append(iov, v)
			}
			s.iov = iov
			r, _, e := syscall.Syscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
			clear(iov)
			n = int(r)
			if e != 0 {
				n, err = -1, e
			}
		}
		switch err {
		case nil:
			s.n = n
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
		default:
			s.err = os.NewSyscallError("write", err)
		}
		return true
	}
}
