package netx

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
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

// newReader makes the Reader of w's pair, reading through a connReader.
func newReader(w *Writer, limit int, idle time.Duration) *bufio2.Reader {
	if limit <= 0 {
		limit = bufio2.DefaultLimit
	}
	w.cr = &connReader{conn: w.conn, w: w, idle: idle}
	return bufio2.NewReaderLimit(w.cr, limit)
}

// connReader is the read side of a connection: the io.Reader under the
// pair's bufio2.Reader. It is the only code that reads from the connection.
//
// Before it blocks in the connection's Read it hands the Writer's pending
// bytes to the kernel ([Writer.beforeRead]): a handler that reads a request,
// writes the reply and reads again sends all the replies produced from one
// read in one system call, and a client that writes and then reads sends
// before it waits.
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
	if c.err != nil {
		return 0, c.err
	}
	c.w.beforeRead()
	if c.idle > 0 {
		if err := c.conn.SetReadDeadline(time.Now().Add(c.idle)); err != nil {
			c.w.afterRead()
			return 0, err
		}
	}
	n, err := c.conn.Read(p)
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
	return n, err
}
