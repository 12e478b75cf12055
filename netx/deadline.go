package netx

import (
	"crypto/tls"
	"errors"
	"fmt"
	"math"
	"os"
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
var aLongTimeAgo = momentOf(time.Unix(1, 0))

// A moment is a deadline as a pair keeps it: the nanoseconds from epoch,
// on the process's monotonic clock, in 8 bytes where a time.Time takes 24
// (a pair keeps seven, for as long as its connection is open); 0 is no
// deadline.
type moment int64

// epoch is the origin of moments.
var epoch = time.Now()

// momentOf returns t as a moment; the zero time is 0. It places t as net's
// own deadlines do, by how far it is from now: by the monotonic clock if t
// has a monotonic reading, else by the wall clock (time.Date, time.Unix),
// so that a step of the wall clock since epoch does not move it.
func momentOf(t time.Time) moment {
	if t.IsZero() {
		return 0
	}
	n := time.Now()
	return moment(0).after(n.Sub(epoch)).after(t.Sub(n))
}

// now returns the current moment.
func now() moment { return nonzero(time.Since(epoch)) }

// nonzero makes d a moment, moving 0 (no deadline) by a nanosecond.
func nonzero(d time.Duration) moment {
	if d == 0 {
		return 1
	}
	return moment(d)
}

// after returns the moment d after m, saturating rather than wrapping
// around (time.Duration's limits are about 292 years either way).
func (m moment) after(d time.Duration) moment {
	s := time.Duration(m) + d
	switch {
	case d > 0 && s < time.Duration(m):
		s = math.MaxInt64
	case d < 0 && s > time.Duration(m):
		s = math.MinInt64
	}
	return nonzero(s)
}

// time returns m as a time.Time, with a monotonic reading; 0 is the zero
// time.
func (m moment) time() time.Time {
	if m == 0 {
		return time.Time{}
	}
	return epoch.Add(time.Duration(m))
}

// earliest returns the earlier of two deadlines, either of which may be 0
// (none).
func earliest(a, b moment) moment {
	if a == 0 || b != 0 && b < a {
		return b
	}
	return a
}

// readDeadline is the state behind a pair's read deadline. The reader
// sets server before each read; the handler sets user from any goroutine;
// Shutdown sets closed. mu orders their changes to the connection's
// deadline, so that none undoes another's.
type readDeadline struct {
	mu     sync.Mutex
	user   moment // Writer.SetReadDeadline's; 0: none
	server moment // ReadTimeout's and IdleTimeout's for the read in progress (or the last one); 0: none
	set    moment // the connection's read deadline as the pair last set it
	closed bool   // Shutdown closed the connection: the deadline stays in the past

	// used reports that the handler has set a deadline: from then on each
	// read takes mu, even without server timeouts.
	used atomic.Bool
}

// applyLocked sets the connection's read deadline to the earliest of the
// parties' deadlines, if it is not that already. Called with d.mu held.
func (d *readDeadline) applyLocked(c interface{ SetReadDeadline(time.Time) error }) error {
	t := earliest(d.server, d.user)
	if d.closed {
		t = aLongTimeAgo
	}
	if t == d.set {
		return nil
	}
	d.set = t
	return c.SetReadDeadline(t.time())
}

// arm sets the read deadline for the read about to start: the call's
// ReadTimeout deadline, this wait's IdleTimeout deadline, the handler's
// own, whichever comes first.
func (c *connReader) arm() error {
	var t moment
	if c.call > 0 {
		t = c.callEnd
	}
	if c.idle > 0 {
		t = earliest(t, now().after(c.idle))
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
	now := now()
	if c.dl.used.Load() {
		c.dl.mu.Lock()
		user := c.dl.user
		c.dl.mu.Unlock()
		if user != 0 && now >= user {
			return causeNone
		}
	}
	if c.call > 0 && c.callEnd != 0 && now >= c.callEnd {
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
	c.dl.user = momentOf(t)
	return c.dl.applyLocked(c.dconn)
}

// SetWriteDeadline sets the deadline of the pair's writes: a
// [Writer.Write] or [Writer.WriteLines] that blocks above the high-water
// mark fails when t passes, and so does the flusher's write, which fails
// the Writer (errors are sticky); a Drain, WriteEOF or Close waiting for
// that write then returns its error. A zero t means no deadline of the
// handler's own. It may be called from any goroutine, also while a write
// waits, to end that write.
//
// The handler's deadline and the write timeout ([Server.WriteTimeout],
// [Dialer.WriteTimeout]) compose: each blocking send waits until the
// earlier of t and the call's WriteTimeout. When the write timeout is the
// one that passes, the error says so and the connection is aborted (see
// [Server.WriteTimeout]).
//
// Set write deadlines through the Writer, not on [Writer.Conn]: the Writer
// sets the connection's write deadline before each blocking send, when it
// has a write timeout, and would override one set there.
func (w *Writer) SetWriteDeadline(t time.Time) error {
	w.mu.Lock()
	defer w.unlock()
	w.wd.user = momentOf(t)
	w.wd.used = true
	return w.applyWriteDeadlineLocked()
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

// The write deadline of a pair is shared by two parties: the write timeout
// (Server.WriteTimeout, Dialer.WriteTimeout), which bounds each call that
// waits on the peer and each blocking send of the flusher, and the
// handler's own deadline (Writer.SetWriteDeadline). A call that waits for
// the queue to drain (awaitLocked) watches its WriteTimeout with a timer;
// a blocking send (sendBlocking) runs under the connection's write
// deadline, which the token holder sets before it to the earlier of the
// two and takes back to the handler's after it, so that a passed
// deadline never fails a later non-blocking send.

// writeDeadline is the state behind a Writer's write deadline; it is
// guarded by the Writer's mu, and every change to the connection's write
// deadline is made with mu held.
type writeDeadline struct {
	timeout time.Duration // WriteTimeout: the longest one call may wait on the peer; 0 = no limit. Set once, before use
	user    moment        // SetWriteDeadline's; 0: none
	send    moment        // the WriteTimeout deadline of the blocking send in progress; 0: none
	set     moment        // the connection's write deadline as the Writer last set it
	used    bool          // SetWriteDeadline was called: blocking sends set the connection's deadline

	// timedOut is set once the write timeout failed the Writer, for the
	// read side, which then returns the Writer's error.
	timedOut atomic.Bool
}

// errWriteTimeout is wrapped by the error of a call, or of the flusher's
// send, that waited longer than the write timeout on a peer that does not
// read.
var errWriteTimeout = errors.New("netx: write timeout")

// callEndLocked returns the WriteTimeout deadline of a call that starts
// now, or the zero time if the Writer has no write timeout.
func (w *Writer) callEndLocked() time.Time {
	if w.wd.timeout <= 0 {
		return time.Time{}
	}
	return time.Now().Add(w.wd.timeout)
}

// applyWriteDeadlineLocked sets the connection's write deadline to the
// earlier of the handler's deadline and that of the send in progress, if
// it is not that already.
func (w *Writer) applyWriteDeadlineLocked() error {
	t := earliest(w.wd.send, w.wd.user)
	if t == w.wd.set {
		return nil
	}
	w.wd.set = t
	return w.conn.SetWriteDeadline(t.time())
}

// beginSendLocked prepares a blocking send bounded by end (a call's
// WriteTimeout deadline; zero: none), and endSendLocked ends it: it
// returns err as the send's caller must see it, and fails the Writer by
// the write timeout if that is the deadline the send ran into. For the
// token holder, with mu held.
func (w *Writer) beginSendLocked(end time.Time) {
	if end.IsZero() && !w.wd.used {
		return
	}
	w.wd.send = momentOf(end)
	w.applyWriteDeadlineLocked()
}

func (w *Writer) endSendLocked(end time.Time, err error) error {
	if end.IsZero() && !w.wd.used {
		return err
	}
	w.wd.send = 0
	w.applyWriteDeadlineLocked()
	if err == nil || end.IsZero() || !errors.Is(err, os.ErrDeadlineExceeded) {
		return err
	}
	now := now()
	if u := w.wd.user; u != 0 && now >= u {
		return err // the handler's own deadline: it asked for the write to end
	}
	if now < momentOf(end) {
		return err
	}
	return w.writeTimedOutLocked(err)
}

// writeTimedOutLocked fails the Writer because a call or a send waited
// longer than the write timeout, with an error wrapping errWriteTimeout
// and cause (which matches os.ErrDeadlineExceeded), and aborts the
// connection: its socket is closed, so that the peer that does not read
// can hold neither the connection nor the handler (a read waiting on the
// pair returns the same error). It returns the Writer's error.
func (w *Writer) writeTimedOutLocked(cause error) error {
	if w.err != nil {
		return w.err
	}
	err := fmt.Errorf("%w (a write waited more than %v for the peer to read): %w", errWriteTimeout, w.wd.timeout, cause)
	if w.cr != nil && w.cr.sc != nil {
		w.cr.sc.setCause(causeWriteTimeout)
	}
	w.wd.timedOut.Store(true)
	w.failLocked(err)
	c := w.conn
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn() // no close_notify: the peer does not read
	}
	c.Close()
	return err
}

// writeTimeoutErr returns the Writer's error if the write timeout failed
// it, else nil.
func (w *Writer) writeTimeoutErr() error {
	if !w.wd.timedOut.Load() {
		return nil
	}
	w.mu.Lock()
	defer w.unlock()
	return w.err
}
