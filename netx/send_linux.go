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
	one   []byte   // the buffer to send, when bufs is empty
	bufs  [][]byte // the buffers to send with one writev
	iov   []syscall.Iovec
	n     int
	errno syscall.Errno         // the system call's error, but EAGAIN; 0 if none
	fn    func(fd uintptr) bool // sendFunc's
}

// init readies s for the Writer's first send.
func (s *rawSender) init() { s.fn = s.sendFunc() }

// sendNow offers bufs to the kernel once, without blocking (asyncio's
// first sock.send in transport.write), and returns how many bytes it took.
// A full socket buffer is not an error: sendNow returns fewer bytes. Only
// the owner of the write side calls it, without w.mu.
func (w *Writer) sendNow(bufs [][]byte) (int, error) {
	s := &w.snd
	if len(bufs) == 1 {
		s.one = bufs[0]
		return w.send()
	}
	s.bufs = append(s.bufs[:0], bufs...)
	if cap(s.iov) < min(len(bufs), maxIovecs) {
		// Here rather than in the callback, under RawConn.Write's frames.
		s.iov = make([]syscall.Iovec, 0, min(len(bufs), maxIovecs))
	}
	n, err := w.send()
	clear(s.bufs)
	s.bufs = s.bufs[:0]
	return n, err
}

// send offers the scratch buffers, s.one or else s.bufs, to the kernel once
// without blocking, counts what it took in w.sent and returns it. The
// reader sends through here when its read would block (trySendLocked),
// deep in its read call, so the frames from here to the system call are
// kept small: the callback is a closure without a method-value wrapper,
// the vectored write and the errors are out of line (see
// lazyReader.rawRead on why depth matters).
func (w *Writer) send() (int, error) {
	s := &w.snd
	s.n, s.errno = 0, 0
	err := w.raw.Write(s.fn)
	s.one = nil
	w.sent.Add(int64(s.n))
	if err != nil || s.errno != 0 {
		return s.n, w.sendError(err)
	}
	return s.n, nil
}

// sendError returns the error of a failed send as the connection's own
// Write reports it: err from RawConn.Write, else the system call's errno.
//
//go:noinline
func (w *Writer) sendError(err error) error {
	if err == nil {
		err = os.NewSyscallError("write", w.snd.errno)
	}
	return &net.OpError{Op: "write", Net: w.conn.LocalAddr().Network(), Source: w.conn.LocalAddr(), Addr: w.conn.RemoteAddr(), Err: err}
}

// sendFunc returns the callback of send's RawConn.Write, made once by
// newWriter: one non-blocking write of s.one, or else of s.bufs.
func (s *rawSender) sendFunc() func(fd uintptr) bool {
	return func(fd uintptr) bool {
		for {
			var n int
			var err error
			if len(s.bufs) == 0 {
				n, err = syscall.Write(int(fd), s.one)
			} else {
				n, err = s.writev(fd)
			}
			switch err {
			case nil:
				s.n = n
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
			default:
				s.errno = errnoOf(err)
			}
			return true
		}
	}
}

// writev writes s.bufs with one writev system call.
//
//go:noinline
func (s *rawSender) writev(fd uintptr) (int, error) {
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
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}
