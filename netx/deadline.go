package netx

import (
	"sync"
	"sync/atomic"
	"time"
)

// The read deadline of a pair is shared by three parties: the server's
// timeouts (ReadTimeout for each call on the Reader, IdleTimeout for each
// wait), the handler's own deadline ([Writer.SetReadDeadline]), and
// Shutdown, which closes idle connections. The connection has one read
// deadline; before each read the pair sets it to the earliest of the
// three, and when it passes, the pair tells from the clock whose it was.

// aLongTimeAgo is a read deadline that has passed: it wakes a read at
// once (net/http's).
var aLongTimeAgo = time.Unix(1, 0)

// readDeadline is the state behind a pair's read deadline. The reader
// sets server before each read; the handler sets user from any goroutine;
// Shutdown sets closed. mu orders their changes to the connection's
// deadline, so that none undoes another's.
type readDeadline struct {
	mu     sync.Mutex
	user   time.Time // Writer.SetReadDeadline's; zero: none
	server time.Time // ReadTimeout's and IdleTimeout's for the read in progress (or the last one); zero: none
	set    time.Time // the connection's read deadline as the pair last set it
	closed bool      // Shutdown closed the connection: the deadline stays in the past

	// used reports that the handler has set a deadline: from then on each
	// read takes mu, even without server timeouts.
	used atomic.Bool
}

// applyLocked sets the connection's read deadline to the earliest of the
// parties' deadlines, if it is not that already. Called with d.mu held.
func (d *readDeadline) applyLocked(c interface{ SetReadDeadline(time.Time) error }) error {
	t := d.server
	if !d.user.IsZero() && (t.IsZero() || d.user.Before(t)) {
		t = d.user
	}
	if d.closed {
		t = aLongTimeAgo
	}
	if t.Equal(d.set) {
		return nil
	}
	d.set = t
	return c.SetReadDeadline(t)
}

// arm sets the read deadline for the read about to start: the call's
// ReadTimeout deadline, this wait's IdleTimeout deadline, the handler's
// own, whichever comes first.
func (c *connReader) arm() error {
	var t time.Time
	if c.call > 0 {
		t = c.callEnd
	}
	if c.idle > 0 {
		if i := time.Now().Add(c.idle); t.IsZero() || i.Before(t) {
			t = i
		}
	}
	c.dl.mu.Lock()
	defer c.dl.mu.Unlock()
	c.dl.server = t
	return c.dl.applyLocked(c.dconn)
}

// timeoutCause tells whose deadline a read that failed with
// os.ErrDeadlineExceeded ran into: causeReadTimeout or causeIdleTimeout
// for the server's, which end the connection's reads, or causeNone for
// the handler's own (set with Writer.SetReadDeadline, or on Conn
// directly), after which reads may go on. The handler's wins when it has
// passed too: it asked for the read to end.
func (c *connReader) timeoutCause() closeCause {
	now := time.Now()
	if c.dl.used.Load() {
		c.dl.mu.Lock()
		user := c.dl.user
		c.dl.mu.Unlock()
		if !user.IsZero() && !now.Before(user) {
			return causeNone
		}
	}
	if c.call > 0 && !c.callEnd.IsZero() && !now.Before(c.callEnd) {
		return causeReadTimeout
	}
	if c.idle > 0 {
		return causeIdleTimeout
	}
	return causeNone
}

// closeRead makes the connection's reads fail at once and for good: the
// read in progress, if any, returns, and so does every later one.
// Shutdown calls it on a connection it closes because it is idle.
func (c *connReader) closeRead() {
	c.dl.mu.Lock()
	defer c.dl.mu.Unlock()
	c.dl.closed = true
	c.dl.applyLocked(c.dconn)
}

// SetReadDeadline sets the deadline of the reads of w's pair: a read on
// the pair's Reader that is waiting for data when t passes, or that starts
// after t, fails with an error matching os.ErrDeadlineExceeded. A zero t
// means no deadline of the handler's own. It may be called from any
// goroutine, also while a read waits, to end that read.
//
// The handler's deadline and the server's timeouts compose: each read
// waits until the earliest of t, the call's ReadTimeout and the wait's
// IdleTimeout ([Server.ReadTimeout], [Server.IdleTimeout],
// [Dialer.ReadTimeout]). When t is the one that passes, the read fails but
// the connection is not failed: once the deadline is moved or cleared,
// reads go on where they stopped. When a server timeout passes first, the
// read fails with that timeout's error, which every later read returns too,
// whatever the handler's deadline.
//
// Set deadlines through the Writer, not on [Writer.Conn]: the pair sets the
// connection's read deadline before each read, when it has timeouts of its
// own, and would override one set there.
func (w *Writer) SetReadDeadline(t time.Time) error {
	c := w.cr
	if c == nil {
		return w.Conn().SetReadDeadline(t)
	}
	c.dl.mu.Lock()
	defer c.dl.mu.Unlock()
	c.dl.used.Store(true)
	c.dl.user = t
	return c.dl.applyLocked(c.dconn)
}

// SetWriteDeadline sets the deadline of the connection's writes (see
// net.Conn's SetWriteDeadline): a [Writer.Write] or [Writer.WriteLines]
// that blocks above the high-water mark fails when it passes, and so does
// the flusher's write, which fails the Writer (errors are sticky). A zero t
// means no deadline.
func (w *Writer) SetWriteDeadline(t time.Time) error {
	return w.Conn().SetWriteDeadline(t)
}

// SetDeadline sets both the read deadline, as [Writer.SetReadDeadline]
// does, and the write deadline, as [Writer.SetWriteDeadline] does.
func (w *Writer) SetDeadline(t time.Time) error {
	rerr := w.SetReadDeadline(t)
	werr := w.SetWriteDeadline(t)
	if rerr != nil {
		return rerr
	}
	return werr
}
