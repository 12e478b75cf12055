package netx

import (
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// A ConnState is a state of a served connection, as reported to
// [Server.ConnState]; the states are net/http's, less the hijacked one.
type ConnState int

const (
	// StateNew is a connection just accepted, before its TLS handshake,
	// whose handler has not read a byte yet. It becomes StateActive when
	// the first bytes arrive, or StateClosed.
	StateNew ConnState = iota

	// StateActive is a connection whose handler has read the first bytes
	// of a message and has not yet started to wait for the next one: it
	// reads the rest of a message, handles it, writes a reply. It becomes
	// StateIdle or StateClosed.
	StateActive

	// StateIdle is a connection whose handler waits in a read with
	// nothing buffered: a call on the Reader that found no data and has
	// received none yet (see [bufio2.ReadStarter]). It becomes StateActive
	// when bytes arrive, or StateClosed. [Server.Shutdown] closes the
	// connections that are idle, or that wait for their first bytes in
	// StateNew.
	StateIdle

	// StateClosed is a closed connection: its handler has returned and the
	// connection was flushed and closed, or its TLS handshake failed. It is
	// the last state.
	StateClosed
)

var stateNames = [...]string{"new", "active", "idle", "closed"}

func (c ConnState) String() string {
	if c >= 0 && int(c) < len(stateNames) {
		return stateNames[c]
	}
	return "ConnState(" + strconv.Itoa(int(c)) + ")"
}

// ServerStats is a snapshot of a [Server]'s counters, from [Server.Stats].
// Counts are since the Server was first used; byte counts include the
// connections still open. At any snapshot, Accepted equals Open plus the
// Closed counts plus FailedHandshakes.
//
// Each closed connection is counted under one cause, the first one that
// happened to it, except that a panic overrides any other:
type ServerStats struct {
	// Open is the number of connections accepted and not yet closed,
	// those in their TLS handshake included.
	Open int
	// Accepted is the number of connections accepted.
	Accepted int64

	// ClosedByPeer counts the connections whose peer ended the stream
	// (a read returned io.EOF) or broke it (a read or write failed with an
	// error such as a reset), before the handler returned.
	ClosedByPeer int64
	// ClosedByHandler counts the connections whose handler returned (or
	// called runtime.Goexit) with none of the other causes.
	ClosedByHandler int64
	// ClosedByReadTimeout counts the connections on which a read call ran
	// past [Server.ReadTimeout].
	ClosedByReadTimeout int64
	// ClosedByIdleTimeout counts the connections on which a read waited
	// for data longer than [Server.IdleTimeout].
	ClosedByIdleTimeout int64
	// ClosedByWriteTimeout counts the connections on which a write, a
	// Drain, a WriteEOF, the flush after the handler returned, or a
	// send of the Writer's own waited longer than [Server.WriteTimeout]
	// for the peer to read; the server aborted them.
	ClosedByWriteTimeout int64
	// ClosedByPanic counts the connections whose handler panicked.
	ClosedByPanic int64
	// ClosedByShutdown counts the connections that the server closed:
	// idle ones closed by [Server.Shutdown], and those aborted by
	// [Server.Close] or at the end of Shutdown's context.
	ClosedByShutdown int64
	// FailedHandshakes counts the connections closed because their TLS
	// handshake failed or ran past [Server.HandshakeTimeout]; their
	// handler never ran.
	FailedHandshakes int64

	// BytesRead and BytesWritten count the bytes the connections' pairs
	// read and wrote: what the handlers received and sent, after TLS
	// decryption and before encryption.
	BytesRead    int64
	BytesWritten int64

	// MaxConnsWaits counts the times the server found [Server.MaxConns]
	// connections open and stopped accepting until one closed.
	MaxConnsWaits int64
}

// closeCause says why a served connection was closed; see ServerStats.
type closeCause int32

const (
	causeNone closeCause = iota
	causePeer
	causeReadTimeout
	causeIdleTimeout
	causeShutdown
	causePanic
	causeHandshake
	causeWriteTimeout
	numCauses
)

// serverCounters are a Server's counters of closed connections, kept
// under Server.mu; the open connections' byte counts are added by Stats.
type serverCounters struct {
	accepted           int64
	closed             [numCauses]int64 // causeNone: closed by the handler
	bytesRead, written int64
}

// setCause records why the connection is being closed, unless a cause
// was recorded already; a panic overrides any cause.
func (sc *serverConn) setCause(c closeCause) {
	if c == causePanic {
		sc.cause.Store(int32(c))
		return
	}
	sc.cause.CompareAndSwap(int32(causeNone), int32(c))
}

// Stats returns a snapshot of the server's counters. It is safe to call
// at any time, from any goroutine, also after Close; it takes the
// server's lock and reads each open connection's byte counts. A
// connection is counted as closed once the server has finished with it,
// which is a moment after its peer sees the end of the stream; Close and
// Shutdown return after that.
func (s *Server) Stats() ServerStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &s.counters
	st := ServerStats{
		Open:                 len(s.conns),
		Accepted:             c.accepted,
		ClosedByPeer:         c.closed[causePeer],
		ClosedByHandler:      c.closed[causeNone],
		ClosedByReadTimeout:  c.closed[causeReadTimeout],
		ClosedByIdleTimeout:  c.closed[causeIdleTimeout],
		ClosedByWriteTimeout: c.closed[causeWriteTimeout],
		ClosedByPanic:        c.closed[causePanic],
		ClosedByShutdown:     c.closed[causeShutdown],
		FailedHandshakes:     c.closed[causeHandshake],
		BytesRead:            c.bytesRead,
		BytesWritten:         c.written,
		MaxConnsWaits:        s.maxConnsWaits.Load(),
	}
	for sc := range s.conns {
		r, w := sc.bytes()
		st.BytesRead += r
		st.BytesWritten += w
	}
	return st
}

// bytes returns the bytes read and written on the connection so far. The
// Writer and its Reader are published under Server.mu (serverConn.setup).
func (sc *serverConn) bytes() (read, written int64) {
	if sc.w == nil {
		return 0, 0
	}
	return sc.cr.nread.Load(), sc.w.sent.Load()
}

// logEvery is the least time between two records of one kind that a
// logLimiter lets through; a variable for the tests (export_test.go).
var logEvery atomic.Int64

func init() { logEvery.Store(int64(10 * time.Second)) }

// logLimiter rate-limits a kind of log record, which an attack or a
// flood could otherwise repeat thousands of times a second: it lets one
// record through per logEvery, and the next one says how many it dropped
// meanwhile.
type logLimiter struct {
	mu      sync.Mutex
	last    time.Time
	dropped int64
}

// log writes the record at Info through l, unless one went out less than
// logEvery ago.
func (ll *logLimiter) log(l *slog.Logger, msg string, args ...any) {
	now := time.Now()
	ll.mu.Lock()
	if !ll.last.IsZero() && now.Sub(ll.last) < time.Duration(logEvery.Load()) {
		ll.dropped++
		ll.mu.Unlock()
		return
	}
	dropped := ll.dropped
	ll.last, ll.dropped = now, 0
	ll.mu.Unlock()
	if dropped > 0 {
		args = append(args, "suppressed", dropped)
	}
	l.Info(msg, args...)
}
