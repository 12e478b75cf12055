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
	return newReader(w, limit, 0), w
}

// newReader makes the Reader of w's pair. Its source is a lazyReader where
// the connection can be polled for readability without a buffer (a plain
// TCP or Unix stream socket on a Unix system), else a connReader.
func newReader(w *Writer, limit int, idle time.Duration) *bufio2.Reader {
	if limit <= 0 {
		limit = bufio2.DefaultLimit
	}
	cr := connReader{conn: w.conn, w: w, idle: idle}
	if raw := lazyRawConn(w.conn); raw != nil && !plainReads.Load() {
		l := &lazyReader{connReader: cr, raw: raw}
		l.readFn = l.readFD
		w.cr = &l.connReader
		w.lazyReads = true
		return bufio2.NewReaderLimit(l, limit)
	}
	w.cr = &cr
	return bufio2.NewReaderLimit(w.cr, limit)
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
// A connReader reads into the Reader's buffer, which the Reader therefore
// holds while it waits. [lazyReader] is the connReader of the connections
// that can do better; [Writer.cr] is always the plain connReader (the
// lazyReader's own, for those), which is what StartTLS hands the Reader.
type connReader struct {
	conn net.Conn
	w    *Writer
	idle time.Duration // Server.IdleTimeout: the longest a read may wait; 0 = no limit
	err  error         // sticky: the idle timeout fired
}

// errIdle is wrapped by the error a read returns when the server's
// IdleTimeout passes with no data.
var errIdle = errors.New("netx: idle timeout")

func (c *connReader) Read(p []byte) (int, error) {
	if err := c.begin(); err != nil {
		return 0, err
	}
	n, err := c.conn.Read(p)
	return n, c.end(err)
}

// begin prepares a read that may wait: it flushes the Writer and arms the
// idle timeout. If it returns nil, end must follow.
func (c *connReader) begin() error {
	if c.err != nil {
		return c.err
	}
	c.w.beforeRead()
	if c.idle > 0 {
		if err := c.conn.SetReadDeadline(time.Now().Add(c.idle)); err != nil {
			c.w.afterRead()
			return err
		}
	}
	return nil
}

// end finishes a read begun by begin and returns its error as the pair's
// Reader must see it.
func (c *connReader) end(err error) error {
	c.w.afterRead()
	if err != nil && err != io.EOF {
		switch {
		case c.idle > 0 && errors.Is(err, os.ErrDeadlineExceeded):
			// The connection is idle: every later read fails too, so that a
			// handler that retries cannot keep it open.
			c.err = fmt.Errorf("%w (%v without data): %w", errIdle, c.idle, err)
			err = c.err
		case errors.Is(err, os.ErrDeadlineExceeded):
			// The caller's own read deadline: not a failure of the
			// connection, the read may be retried.
		default:
			c.w.readFailed(err)
		}
	}
	return err
}

// lazyReader is the connReader of a plain TCP or Unix stream connection on
// a Unix system: a [bufio2.LazySource] that waits for readability holding
// no buffer. Its ReadLazy reads through syscall.RawConn.Read: the callback
// takes the Reader's buffer (get) and reads without blocking; when the
// socket has nothing, it gives the buffer back (release) before the runtime
// parks the goroutine until the socket is readable, and takes a buffer again
// when it is. A busy connection therefore reads straight into the buffer
// the Reader has, and an idle one costs no read buffer at all.
//
// Its Read, used by the Reader when it already holds data, reads through
// syscall.RawConn.Read too, into the Reader's buffer: both tell the Writer
// when the read would block, so that it sends its bytes at the end of a
// read burst rather than before every read.
type lazyReader struct {
	connReader
	raw    syscall.RawConn
	readFn func(fd uintptr) bool // l.readFD, made once: RawConn.Read takes it on every read

	// The state of one ReadLazy or Read, shared with readFD.
	p       []byte // Read's buffer; nil in ReadLazy, which reads into get's
	drained bool   // the last read took less than it was offered: the next one will likely wait
	get     func() []byte
	release func()
	n       int
	errno   error
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
	n, err := l.rawRead()
	l.get, l.release = nil, nil
	return n, l.end(err)
}

// Read reads as connReader.Read does, through syscall.RawConn.Read.
func (l *lazyReader) Read(p []byte) (int, error) {
	if err := l.begin(); err != nil {
		return 0, err
	}
	l.p = p
	n, err := l.rawRead()
	l.p = nil
	return n, l.end(err)
}

// rawRead is one read through syscall.RawConn.Read with readFD; its results
// and errors are net.Conn.Read's.
func (l *lazyReader) rawRead() (int, error) {
	l.n, l.errno = 0, nil
	if l.drained {
		// The last read emptied the socket: this one will likely find
		// nothing, so the Writer sends first, as a client that writes a
		// request and then reads does, rather than after a read that fails.
		l.w.readWouldBlock()
	}
	err := l.raw.Read(l.readFn)
	n := l.n
	switch {
	case err != nil:
		// The connection was closed or its read deadline passed, before
		// or while waiting: RawConn.Read reports it as net.Conn.Read does
		// but for the Op.
		n = 0
		if oe, ok := err.(*net.OpError); ok {
			oe.Op = "read"
		}
	case l.errno != nil:
		// As net.Conn.Read reports it (whose Net may say "tcp4" or "tcp6"
		// where the address says "tcp").
		err = &net.OpError{Op: "read", Net: l.conn.LocalAddr().Network(), Source: l.conn.LocalAddr(), Addr: l.conn.RemoteAddr(), Err: os.NewSyscallError("read", l.errno)}
	case n == 0:
		err = io.EOF // a stream socket's end
	}
	return n, err
}
