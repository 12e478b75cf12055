package netx

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/streamkit/streamkit/bufio2"
)

// Wrap adopts a connection that already exists (asyncio's
// open_connection(sock=...)) and returns its reader/writer pair. The
// [bufio2.Reader] has the given limit; a limit <= 0 means
// [bufio2.DefaultLimit].
//
// From then on the pair owns conn: read through the Reader and write through
// the Writer, and close it with [Writer.Close] or [Writer.Abort]. Reading
// from or writing to conn directly bypasses the pair's buffers.
func Wrap(conn net.Conn, limit int) (*bufio2.Reader, *Writer) {
	w := newWriter(conn)
	return newReader(w, limit, readTimeouts{}), w
}

// readTimeouts are the bounds a pair's reads obey, and the server
// connection they belong to, if any.
type readTimeouts struct {
	idle time.Duration // Server.IdleTimeout: the longest one wait for data; 0 = none
	call time.Duration // Server.ReadTimeout, Dialer.ReadTimeout: the longest one read call; 0 = none
	sc   *serverConn   // the Server's record of the connection; nil for Dial and Wrap
}

// newReader makes the Reader of w's pair. Its source is a lazyReader where
// the connection can be polled for readability without a buffer (a plain
// TCP or Unix stream socket on a Unix system), else a connReader.
func newReader(w *Writer, limit int, t readTimeouts) *bufio2.Reader {
	if limit <= 0 {
		limit = bufio2.DefaultLimit
	}
	var src io.Reader
	if raw := lazyRawConn(w.conn); raw != nil && !plainReads.Load() {
		l := &lazyReader{raw: raw}
		l.readFn = l.readFDFunc()
		w.cr, src = &l.connReader, l
		w.lazyReads = true
	} else {
		w.cr = new(connReader)
		src = w.cr
	}
	cr := w.cr
	cr.conn, cr.dconn, cr.w = w.conn, w.conn, w
	cr.idle, cr.call, cr.sc = t.idle, t.call, t.sc
	return bufio2.NewReaderLimit(src, limit)
}

// plainReads makes newReader read every connection through connReader:
// for the benchmarks that compare the two (export_test.go).
var plainReads atomic.Bool

// connReader is the read side of a connection: the io.Reader under the
// pair's bufio2.Reader. It is the only code that reads from the connection.
//
// Before it blocks in the connection's Read it hands the Writer's pending
// bytes to the kernel ([Writer.beforeRead]); a [lazyReader] does so only
// when its read would block ([Writer.readWouldBlock]). So a handler that
// reads requests, writes the replies and reads again sends all the replies
// to one burst of requests in one system call, and a client that writes and
// then reads sends before it waits.
//
// It is a [bufio2.ReadStarter]: the Reader tells it when each call (a
// ReadLine, a ReadExactly, ...) starts to read, which is when ReadTimeout's
// clock starts, and whether the call waits for a new message, which is what
// makes a served connection idle for [Server.Shutdown] and
// [Server.ConnState]. It sets the connection's read deadline before each
// read to the earliest of the call's ReadTimeout, the wait's IdleTimeout
// and the handler's own deadline ([Writer.SetReadDeadline]; deadline.go).
//
// A connReader reads into the Reader's buffer, which the Reader therefore
// holds while it waits. [lazyReader] is the connReader of the connections
// that can do better; [Writer.cr] is always the plain connReader (the
// lazyReader's own, for those), which is what StartTLS hands the Reader.
type connReader struct {
	conn  net.Conn // what to read from: after StartTLS, the *tls.Conn
	dconn net.Conn // whose read deadline to set: the connection the pair was made with (a *tls.Conn sets its inner one's)
	w     *Writer
	idle  time.Duration // Server.IdleTimeout: the longest a read may wait; 0 = no limit
	call  time.Duration // ReadTimeout: the longest one call on the Reader may take; 0 = no limit
	sc    *serverConn   // the Server's record of the connection; nil if not served
	err   error         // sticky: a timeout of the server's fired, or Shutdown closed the connection

	callEnd moment       // the ReadTimeout deadline of the call in progress (StartRead)
	nread   atomic.Int64 // bytes read, for Server.Stats
	dl      readDeadline // the read deadline, shared with the handler's Writer.SetReadDeadline
}

var _ bufio2.ReadStarter = (*connReader)(nil)

// errIdle is wrapped by the error a read returns when the server's
// IdleTimeout passes with no data.
var errIdle = errors.New("netx: idle timeout")

// errReadTimeout is wrapped by the error a read returns when one call on
// the Reader took longer than ReadTimeout.
var errReadTimeout = errors.New("netx: read timeout")

// errClosedIdle is the error of a read whose connection Shutdown closed
// because it waited for a new message.
var errClosedIdle = fmt.Errorf("netx: idle connection closed by Shutdown: %w", ErrServerClosed)

// StartRead is called by the Reader once per call, before the call's first
// read from the connection (see [bufio2.ReadStarter]): it starts the
// call's ReadTimeout, and with fresh (the call waits for a new message) it
// marks a served connection idle until bytes arrive.
func (c *connReader) StartRead(fresh bool) {
	if c.call > 0 {
		c.callEnd = now().after(c.call)
	}
	if fresh && c.sc != nil {
		c.sc.startWait()
	}
}

func (c *connReader) Read(p []byte) (int, error) {
	if err := c.begin(); err != nil {
		return 0, err
	}
	n, err := c.conn.Read(p)
	return c.end(n, err)
}

// begin prepares a read that may wait: it flushes the Writer and sets the
// read deadline. If it returns nil, end must follow.
func (c *connReader) begin() error {
	if c.err != nil {
		return c.err
	}
	if err := c.w.writeTimeoutErr(); err != nil {
		c.err = err
		return err
	}
	if c.sc != nil && c.sc.wait.Load() == waitClosed {
		return c.closeIdle()
	}
	c.w.beforeRead()
	if c.idle > 0 || c.call > 0 || c.dl.used.Load() {
		if err := c.arm(); err != nil {
			c.w.afterRead()
			return err
		}
	}
	return nil
}

// end finishes a read begun by begin and returns its results as the pair's
// Reader must see them.
func (c *connReader) end(n int, err error) (int, error) {
	c.w.afterRead()
	if n > 0 {
		c.nread.Add(int64(n))
	}
	if sc := c.sc; sc != nil {
		if sc.wait.Load() != waitNone && sc.endWait(n > 0 || err != nil) {
			// Shutdown closed the connection while the read waited: what
			// arrived at that moment is dropped with it.
			return 0, c.closeIdle()
		}
		if n > 0 && sc.hooked() && ConnState(sc.state.Load()) != StateActive {
			sc.setState(StateActive)
		}
	}
	if err != nil && err != io.EOF {
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
			switch c.timeoutCause() {
			case causeReadTimeout:
				// Every later read fails too, so that a handler that
				// retries cannot keep the connection open.
				c.err = fmt.Errorf("%w (a read call took more than %v): %w", errReadTimeout, c.call, err)
				c.failed(causeReadTimeout)
				err = c.err
			case causeIdleTimeout:
				c.err = fmt.Errorf("%w (%v without data): %w", errIdle, c.idle, err)
				c.failed(causeIdleTimeout)
				err = c.err
			default:
				// The handler's own read deadline: not a failure of the
				// connection, the read may be retried.
			}
		default:
			if werr := c.w.writeTimeoutErr(); werr != nil {
				// The write timeout aborted the connection under the read.
				c.err = werr
				err = werr
				break
			}
			c.w.readFailed(err)
		}
	} else if err == io.EOF && c.sc != nil {
		c.sc.setCause(causePeer)
	}
	return n, err
}

// failed records why the server's side ended the connection's reads.
func (c *connReader) failed(cause closeCause) {
	if c.sc != nil {
		c.sc.setCause(cause)
	}
}

// closeIdle closes a connection that Shutdown found waiting for a new
// message (serverConn.closeGracefully): the peer receives what was
// written and then the end of the stream. This read and every later one
// fail with errClosedIdle, and the handler's context is cancelled with
// ErrServerClosed.
func (c *connReader) closeIdle() error {
	if c.err == nil {
		c.err = errClosedIdle
		c.sc.setCause(causeShutdown)
		c.sc.cancel(ErrServerClosed)
		c.sc.closeGracefully()
	}
	return c.err
}

// lazyReader is the connReader of a plain TCP or Unix stream connection on
// a Unix system: a [bufio2.LazySource] that waits for readability holding
// no buffer. Its ReadLazy takes the Reader's buffer (get) and reads through
// syscall.RawConn.Read without blocking; when the socket has nothing, the
// callback gives the buffer back (release) before the runtime parks the
// goroutine until the socket is readable, and once it is, ReadLazy takes a
// buffer again and reads (rawRead). A busy connection therefore reads
// straight into the buffer the Reader has, and an idle one costs no read
// buffer at all.
//
// Its Read, used by the Reader when it already holds data, reads through
// syscall.RawConn.Read too, into the Reader's buffer: both tell the Writer
// when the read would block, so that it sends its bytes at the end of a
// read burst rather than before every read.
type lazyReader struct {
	connReader
	raw    syscall.RawConn
	readFn func(fd uintptr) bool // readFDFunc's, made once: RawConn.Read takes it on every read

	// The state of one ReadLazy or Read, shared with readFn.
	p       []byte        // Read's buffer, or in ReadLazy the buffer get handed out; nil in ReadLazy while it holds none
	woke    bool          // readFn found the socket readable with no buffer to read into: rawRead takes one and reads
	drained bool          // the last read took less than it was offered: the next one will likely wait
	get     func() []byte // ReadLazy's, nil in Read: p is get's, given back (release) before a wait
	release func()
	n       int
	errno   syscall.Errno // the read's error, but EAGAIN; 0 if none
}

var _ bufio2.LazySource = (*lazyReader)(nil)

// maxRW is the most one read asks for, as internal/poll's.
const maxRW = 1 << 30

// ReadLazy reads as connReader.Read does, with the buffer protocol of
// [bufio2.LazySource]; its results and errors are net.Conn.Read's.
func (l *lazyReader) ReadLazy(get func() []byte, release func()) (int, error) {
	if err := l.begin(); err != nil {
		return 0, err
	}
	l.get, l.release = get, release
	l.sendIfDrained()
	n, err := l.rawRead()
	l.get, l.release, l.p = nil, nil, nil
	return l.end(n, err)
}

// Read reads as connReader.Read does, through syscall.RawConn.Read.
func (l *lazyReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil // readFn takes a nil p for ReadLazy's wake-up
	}
	if err := l.begin(); err != nil {
		return 0, err
	}
	l.p = p
	l.sendIfDrained()
	n, err := l.rawRead()
	l.p = nil
	return l.end(n, err)
}

// sendIfDrained is called before each read: if the last read emptied the
// socket, this one will likely find nothing, so the Writer sends first, as
// a client that writes a request and then reads does, rather than after a
// read that fails. (It is called by ReadLazy and Read rather than by
// rawRead, whose frame the send would add to the handler's deepest point.)
func (l *lazyReader) sendIfDrained() {
	if l.drained {
		l.w.readWouldBlock()
	}
}

// rawRead is one read through syscall.RawConn.Read with readFn; its results
// and errors are net.Conn.Read's.
//
// In ReadLazy it takes the buffer here, not in readFn: a read that waits
// is the deepest point of an idle handler's stack, and a goroutine's stack
// that grew past its first 2 KB once stays 4 KB while the connection idles
// (README, "Idle connections"). readFn runs below RawConn.Read's frames
// and the pool's Get below it would be the deepest call; so after a wait
// readFn only reports that the socket is readable (woke), and rawRead takes
// a buffer at this depth and reads again. The cold error paths are in
// readError for the same reason.
func (l *lazyReader) rawRead() (int, error) {
	l.n, l.errno = 0, 0
	for {
		if l.get != nil && l.p == nil {
			l.p = l.get()
		}
		err := l.raw.Read(l.readFn)
		if err != nil || l.errno != 0 {
			return 0, l.readError(err)
		}
		if !l.woke {
			break
		}
		l.woke = false
	}
	if l.n == 0 {
		return 0, io.EOF // a stream socket's end
	}
	return l.n, nil
}

// readError returns the error of a failed rawRead as net.Conn.Read reports
// it: err from RawConn.Read (the connection was closed, or its read
// deadline passed, before or while waiting), else the read's errno.
//
//go:noinline
func (l *lazyReader) readError(err error) error {
	if err != nil {
		if oe, ok := err.(*net.OpError); ok {
			oe.Op = "read"
		}
		return err
	}
	// As net.Conn.Read reports it (whose Net may say "tcp4" or "tcp6"
	// where the address says "tcp").
	return &net.OpError{Op: "read", Net: l.conn.LocalAddr().Network(), Source: l.conn.LocalAddr(), Addr: l.conn.RemoteAddr(), Err: os.NewSyscallError("read", l.errno)}
}
