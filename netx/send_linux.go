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

// iovecs is how many buffers one writev takes: the array is on writev's
// stack, so that a send needs no scratch memory on the heap. A send of more
// buffers makes one writev for each iovecs of them while the kernel takes
// them whole.
const iovecs = 8

// rawSender is the scratch state of a non-blocking send; only the owner of
// the write side uses it. The buffers to send are one and two, unless bufs
// is not empty: a send of one or two buffers (a header and a payload, the
// usual WriteLines) keeps nothing on the heap.
type rawSender struct {
	one, two []byte
	bufs     [][]byte              // the buffers of a send of more than two; also writeThroughLocked's vector (Writer.snd)
	n        int                   // the bytes the kernel took; or minus the system call's error (but EAGAIN, which is 0 bytes)
	fn       func(fd uintptr) bool // sendFunc's
}

// init readies s for the Writer's first send.
func (s *rawSender) init() { s.fn = s.sendFunc() }

// sendNow offers bufs to the kernel once, without blocking (asyncio's
// first sock.send in transport.write), and returns how many bytes it took.
// A full socket buffer is not an error: sendNow returns fewer bytes. Only
// the owner of the write side calls it, without w.mu.
func (w *Writer) sendNow(bufs [][]byte) (int, error) {
	s := &w.snd
	switch len(bufs) {
	case 1:
		s.one = bufs[0]
		return w.send()
	case 2:
		s.one, s.two = bufs[0], bufs[1]
		return w.send()
	}
	s.bufs = append(s.bufs[:0], bufs...)
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
	s.n = 0
	err := w.raw.Write(s.fn)
	s.one, s.two = nil, nil
	n := max(s.n, 0)
	w.sent.Add(int64(n))
	if err != nil || s.n < 0 {
		return n, w.sendError(err)
	}
	return n, nil
}

// sendError returns the error of a failed send as the connection's own
// Write reports it: err from RawConn.Write, else the system call's errno.
//
//go:noinline
func (w *Writer) sendError(err error) error {
	if err == nil {
		err = os.NewSyscallError("write", syscall.Errno(-w.snd.n))
	}
	return &net.OpError{Op: "write", Net: w.conn.LocalAddr().Network(), Source: w.conn.LocalAddr(), Addr: w.conn.RemoteAddr(), Err: err}
}

// sendFunc returns the callback of send's RawConn.Write, made once by
// newWriter: one non-blocking write of s.one, or a vectored one of s.one
// and s.two or of s.bufs.
func (s *rawSender) sendFunc() func(fd uintptr) bool {
	return func(fd uintptr) bool {
		for {
			var n int
			var err error
			if len(s.bufs) == 0 && len(s.two) == 0 {
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
				s.n = -int(errnoOf(err))
			}
			return true
		}
	}
}

// writev writes s.one and s.two, or s.bufs, with one writev system call
// for each iovecs buffers, and returns what the kernel took: at the first
// that it does not take whole, or an error after some bytes were taken, it
// returns the count so far.
//
//go:noinline
func (s *rawSender) writev(fd uintptr) (int, error) {
	var vec [iovecs]syscall.Iovec
	n := len(s.bufs)
	if n == 0 {
		n = 2
	}
	buf := func(i int) []byte {
		switch {
		case len(s.bufs) > 0:
			return s.bufs[i]
		case i == 0:
			return s.one
		}
		return s.two
	}
	total := 0
	for i := 0; i < n; {
		iov, want := vec[:0], 0
		for ; i < n && len(iov) < len(vec); i++ {
			if b := buf(i); len(b) > 0 {
				v := syscall.Iovec{Base: &b[0]}
				v.SetLen(len(b))
				iov = append(iov, v)
				want += len(b)
			}
		}
		if len(iov) == 0 {
			break
		}
		r, _, e := syscall.Syscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
		if e != 0 {
			if total > 0 {
				return total, nil // the next send meets the error again
			}
			return -1, e
		}
		total += int(r)
		if int(r) < want {
			break
		}
	}
	return total, nil
}
