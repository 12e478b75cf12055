package netx

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/streamkit/streamkit/bufio2"
)

// ErrServerClosed is returned by [Server.Serve] and [Server.Listen] once the
// server was closed by [Server.Close] or [Server.Shutdown]. It is also the
// cause (context.Cause) of a handler's context cancelled by the server.
var ErrServerClosed = errors.New("netx: server closed")

// DefaultHandshakeTimeout bounds a server-side TLS handshake when
// [Server.HandshakeTimeout] is zero.
const DefaultHandshakeTimeout = 10 * time.Second

// A Handler serves one connection (asyncio's client_connected_cb). It runs
// in its own goroutine; r and w are the connection's pair. ctx is cancelled
// when the connection is aborted ([Server.Close], or [Server.Shutdown]'s
// context ending) or fails (a read or write returns an error other than
// io.EOF and timeouts); context.Cause(ctx) says why. When the handler
// returns, the server flushes w (bounded by [Server.CloseTimeout]) and
// closes the connection.
type Handler func(ctx context.Context, r *bufio2.Reader, w *Writer)

// Listen listens on the network address and serves each connection with h
// in the background (asyncio's start_server and start_unix_server). It
// returns once the server is listening. ctx bounds the listen only; stop
// the server with [Server.Shutdown] or [Server.Close].
func Listen(ctx context.Context, network, address string, h Handler) (*Server, error) {
	s := &Server{Handler: h}
	if err := s.Listen(ctx, network, address); err != nil {
		return nil, err
	}
	return s, nil
}

// A Server serves connections with a [Handler]. Set its fields before the
// first call to Listen or Serve and do not change them afterwards; the zero
// value of every field except Handler works.
//
// The server owns every goroutine it starts: one per listener started by
// [Server.Listen] and one per connection, running the Handler. Close and
// Shutdown return once all of them have returned.
type Server struct {
	// Handler serves each connection. It must not be nil.
	Handler Handler

	// Limit is the limit of each connection's [bufio2.Reader]. If zero (or
	// negative), bufio2.DefaultLimit is used.
	Limit int

	// TLSConfig, if not nil, makes the server speak TLS: the handshake
	// completes before the Handler is called.
	TLSConfig *tls.Config

	// HandshakeTimeout bounds each TLS handshake. If zero,
	// DefaultHandshakeTimeout is used.
	HandshakeTimeout time.Duration

	// MaxConns, if positive, is the most connections served at once. While
	// at the limit the server stops accepting, so that further connections
	// wait in the listener's backlog; none is refused by the server.
	MaxConns int

	// ReadTimeout, if positive, is the longest one read call on a
	// connection's Reader (ReadLine, ReadUntil, ReadExactly, Read, Peek, a
	// frame.Reader's Next over it, ...) may take, from its start to its
	// return, however the bytes trickle in: a peer that sends a byte every
	// 200 ms cannot hold a connection. When it passes, the call fails with
	// an error that matches os.ErrDeadlineExceeded, as does every later
	// read on the connection, so the handler's loop ends and the
	// connection is closed; writes still work, for a reply that says why.
	// A call served from what is already buffered takes no time; the time
	// the handler spends between calls does not count. A call that waits
	// for a new message counts its wait too, so ReadTimeout also bounds the
	// silence between a client's messages: set it above the longest pause
	// a legitimate client makes, and IdleTimeout for silence alone.
	ReadTimeout time.Duration

	// WriteTimeout, if positive, is the longest a Write or WriteLines
	// (above the high-water mark), a Drain, a WriteEOF or the flush after
	// the handler returns may wait for a peer that does not read, and the
	// longest one blocking send of the Writer's own flusher may take. It
	// bounds each call as a whole, from its start to its return. When it
	// passes, the call fails with an error that matches
	// os.ErrDeadlineExceeded (and is a net.Error whose Timeout is true);
	// the error is sticky, the connection is aborted (part of the bytes
	// may have been sent, the rest are dropped), the handler's context is
	// cancelled and its reads fail with the same error, so the handler is
	// freed. [ServerStats.ClosedByWriteTimeout] counts those connections.
	// A Write below the high-water mark never waits and is not bounded.
	// [Writer.SetWriteDeadline] composes with it: each blocking send waits
	// until the earlier of the two.
	WriteTimeout time.Duration

	// IdleTimeout, if positive, is the longest one read from the
	// connection may wait for data: it bounds silence, where ReadTimeout
	// bounds a whole call. When it passes, the read fails with an error
	// that matches os.ErrDeadlineExceeded, as does every later read on
	// that connection. Time the handler spends on anything other than
	// waiting in a read does not count.
	//
	// The server's bounds on a connection, side by side (net/http has
	// the same ones, for a request's head and body, a response, and
	// between requests):
	//
	//	ReadTimeout   one call on the Reader, start to return (slowloris)
	//	IdleTimeout   one wait for data inside a call (a silent peer)
	//	WriteTimeout  one call on the Writer that waits on the peer, start
	//	              to return, and one send of the flusher (a peer that
	//	              does not read)
	//	handler's     Writer.SetReadDeadline, Writer.SetWriteDeadline:
	//	              a point in time, any read or blocking send
	//
	// Each read waits until the earliest of the read bounds, each blocking
	// send until the earlier of the write bounds. The handler's own
	// deadlines fail only the read they end (a write's failure is always
	// sticky); ReadTimeout and IdleTimeout end the connection's reads for
	// good, and WriteTimeout aborts the connection.
	IdleTimeout time.Duration

	// CloseTimeout bounds the flush of a connection after its handler
	// returns (see [Writer.Close]). If zero, DefaultCloseTimeout is used.
	CloseTimeout time.Duration

	// UnixSocketMode, if not zero, is the file mode given to a Unix socket
	// file created by Listen. The socket is created with the process's
	// umask and changed right after; to keep others out from the start,
	// put the socket in a directory only its users can enter.
	UnixSocketMode os.FileMode

	// ListenConfig is used by Listen: its Control, KeepAlive and
	// KeepAliveConfig fields apply to the listening socket and the
	// accepted connections.
	ListenConfig net.ListenConfig

	// BaseContext, if not nil, returns the base context of the handlers'
	// contexts for connections accepted on l (net/http's). It is called
	// once per listener, by Listen or Serve before the first accept, and
	// must not return nil. If nil, context.Background() is used.
	BaseContext func(l net.Listener) context.Context

	// ConnContext, if not nil, derives the context of a new connection's
	// handler from the base context (net/http's). It is called in the
	// accept loop, before the TLS handshake, with the connection as
	// accepted (for TLS, the *tls.Conn whose handshake is still to come),
	// and must not return nil. The handler's context is derived from the
	// context it returns.
	ConnContext func(ctx context.Context, c net.Conn) context.Context

	// ConnState, if not nil, is called when a connection changes state
	// (net/http's): StateNew once accepted, then StateActive and StateIdle
	// as messages come and go, and StateClosed last, once the connection
	// is closed. Its c is the connection as given to ConnContext. The
	// calls for one connection come in that order, one at a time, from
	// whichever goroutine reads the connection (the handler's, usually),
	// and never after Close or Shutdown has returned; the server waits
	// for them, so they should be quick.
	ConnState func(c net.Conn, state ConnState)

	// Logger receives handler panics, accept errors, and, at Info and at
	// most once per 10 s for each kind (with the count of records
	// suppressed since the last one), failed TLS handshakes and the
	// moments the server stops accepting because MaxConns connections are
	// open. If nil, slog.Default() is used.
	Logger *slog.Logger

	mu        sync.Mutex
	listeners []net.Listener
	conns     map[*serverConn]struct{}
	closing   chan struct{}
	closed    bool // Close or Shutdown was called
	aborting  bool // Close was called or Shutdown's ctx ended
	sem       chan struct{}
	serveWG   sync.WaitGroup // Serve loops started by Listen
	connWG    sync.WaitGroup // connection goroutines
	counters  serverCounters // under mu

	draining      atomic.Bool // Shutdown was called: idle connections are closed
	maxConnsWaits atomic.Int64
	handshakeLog  logLimiter
	maxConnsLog   logLimiter
}

// serverConn is one connection as the server tracks it: for aborting, for
// closing it while idle, for its state and its counters.
type serverConn struct {
	srv    *Server
	ctx    context.Context // the handler's; set once, before serve
	sem    chan struct{}   // the MaxConns slot to release when done, or nil; set once, before serve
	raw    net.Conn        // as accepted: closed to abort a TLS handshake
	conn   net.Conn        // raw, or the *tls.Conn over it: the Handler's and the hooks' connection
	w      *Writer         // the pair's Writer once setup published it; under srv.mu
	cr     *connReader     // the pair's read side (its w is the Writer); set once, by pair, before serve
	cancel context.CancelCauseFunc

	// wait is waitIdle while the handler waits in a read with nothing
	// buffered (StartRead with fresh, and no byte since), and waitClosed
	// once Shutdown closed the connection for it; the reader and Shutdown
	// change it by compare-and-swap, so exactly one of them decides
	// whether bytes that arrive as Shutdown begins are read or dropped.
	wait     atomic.Int32
	cause    atomic.Int32 // closeCause: the first one recorded
	returned atomic.Bool  // the handler has returned: Close or Shutdown's end is no longer the cause

	state atomic.Int32 // the last ConnState reported, or -1
	hmu   sync.Mutex   // serializes the ConnState calls
}

// failed is told by the pair that the connection failed: it cancels the
// handler's context with err.
func (sc *serverConn) failed(err error) {
	sc.setCause(causePeer)
	sc.cancel(err)
}

// hooked reports whether the server has a ConnState hook, which, as
// net/http's, is read as each state is reported: set it before Serve.
func (sc *serverConn) hooked() bool { return sc.srv.ConnState != nil }

// The values of serverConn.wait.
const (
	waitNone int32 = iota
	waitIdle
	waitClosed
)

// startWait marks the connection idle: its handler's read call found
// nothing buffered and will wait for a new message. During Shutdown that
// closes it at once.
func (sc *serverConn) startWait() {
	sc.wait.CompareAndSwap(waitNone, waitIdle)
	if sc.hooked() {
		sc.setState(StateIdle)
	}
	if sc.srv.draining.Load() {
		sc.closeIfIdle()
	}
}

// endWait ends the idle wait begun by startWait, when a read returns
// (done: with bytes or an error). It reports whether Shutdown closed the
// connection first.
func (sc *serverConn) endWait(done bool) (closed bool) {
	if done && sc.wait.CompareAndSwap(waitIdle, waitNone) {
		return false
	}
	return sc.wait.Load() == waitClosed
}

// closeIfIdle closes the connection if its handler waits for a new
// message: the waiting read returns at once, and the reader closes the
// connection (connReader.closeIdle). It reports whether it did.
func (sc *serverConn) closeIfIdle() bool {
	if !sc.wait.CompareAndSwap(waitIdle, waitClosed) {
		return false
	}
	// The reader published cr before it could mark the wait.
	sc.cr.closeRead()
	return true
}

// lingerMax bounds how long closing an idle connection during Shutdown
// reads and drops what the peer was still sending (closeGracefully);
// net/http waits as long before closing a connection it half-closed.
// lingerQuiet bounds the wait for a peer that has sent nothing since the
// handler's last read: long enough for bytes it was sending as Shutdown
// came to arrive, short enough that silent peers cost Shutdown little.
const (
	lingerMax   = 500 * time.Millisecond
	lingerQuiet = 20 * time.Millisecond
)

// closeGracefully closes an idle connection so that the peer receives what
// was written and then the end of the stream, never a reset: it sends what
// is buffered (bounded by the close timeout), shuts down the write side
// (for TLS, close_notify and then the TCP FIN), and closes. Closing a
// socket with unread bytes makes the kernel send a reset, which can
// overtake the data and the FIN (TCP) or replace the end of the stream
// (Unix), and a peer that was sending as Shutdown came may have bytes on
// the way that no check can see. So closeGracefully reads and drops what
// the peer sends until it ends its side: a peer that closes when it reads
// the end of the stream costs its round trip; one that sends nothing and
// stays open, lingerQuiet; one that keeps sending, lingerMax at most. An
// abort ends the wait at once.
func (sc *serverConn) closeGracefully() {
	w := sc.w
	d := sc.srv.CloseTimeout
	if d <= 0 {
		d = DefaultCloseTimeout
	}
	sc.raw.SetWriteDeadline(time.Now().Add(d))
	if w.WriteEOF() == nil {
		if cw, ok := sc.raw.(closeWriter); ok && sc.raw != sc.conn {
			cw.CloseWrite() // TLS: WriteEOF sent close_notify; now the FIN
		}
		// The pair's reads are over (Shutdown set a read deadline in the
		// past): this read deadline is the linger's.
		start := time.Now()
		sending := pendingInput(sc.raw)
		if sending {
			sc.raw.SetReadDeadline(start.Add(lingerMax))
		} else {
			sc.raw.SetReadDeadline(start.Add(lingerQuiet))
		}
		buf := make([]byte, 4096)
		for {
			n, err := sc.raw.Read(buf)
			if err != nil {
				break
			}
			if n > 0 && !sending {
				sending = true
				sc.raw.SetReadDeadline(start.Add(lingerMax))
			}
		}
	}
	w.Close()
}

// setState reports a change of state to Server.ConnState: StateIdle only
// after StateActive (a wait for the first bytes is still StateNew), and
// nothing after StateClosed.
func (sc *serverConn) setState(st ConnState) {
	sc.hmu.Lock()
	defer sc.hmu.Unlock()
	cur := ConnState(sc.state.Load())
	if cur == st || cur == StateClosed || (st == StateIdle && cur != StateActive) {
		return
	}
	sc.state.Store(int32(st))
	sc.srv.ConnState(sc.conn, st)
}

// Listen listens on the network address ("tcp", "tcp4", "tcp6" or "unix")
// and serves in the background; it returns once the server is listening.
// A server may listen on several addresses. ctx bounds the listen only.
// After Close or Shutdown, Listen returns ErrServerClosed.
//
// For "unix", a stale socket file at the path (one that nobody answers on)
// is replaced, and a live socket or any file that is not a socket makes
// Listen fail; the file is removed when the server closes, if it is still
// the one the server created.
func (s *Server) Listen(ctx context.Context, network, address string) error {
	if s.Handler == nil {
		panic("netx: Server.Handler is nil")
	}
	if s.isClosed() {
		return ErrServerClosed
	}
	var l net.Listener
	var err error
	switch network {
	case "tcp", "tcp4", "tcp6":
		l, err = s.ListenConfig.Listen(ctx, network, address)
	case "unix":
		l, err = listenUnix(ctx, &s.ListenConfig, address, s.UnixSocketMode)
	default:
		err = &net.OpError{Op: "listen", Net: network, Err: net.UnknownNetworkError(network)}
	}
	if err != nil {
		return err
	}
	base := s.baseContext(l)
	if !s.trackListener(l, true) {
		l.Close()
		return ErrServerClosed
	}
	go func() {
		defer s.serveWG.Done()
		err := s.serve(l, base)
		if err != nil && err != ErrServerClosed {
			s.logger().Error("netx: serving stopped", "addr", l.Addr().String(), "err", err)
		}
	}()
	return nil
}

// Serve accepts connections on l and serves each in its own goroutine. It
// blocks until l fails or the server is closed, and closes l before it
// returns. After Close or Shutdown it returns ErrServerClosed.
func (s *Server) Serve(l net.Listener) error {
	if s.Handler == nil {
		panic("netx: Server.Handler is nil")
	}
	if !s.trackListener(l, false) {
		l.Close()
		return ErrServerClosed
	}
	return s.serve(l, s.baseContext(l))
}

// baseContext returns the base context of the connections accepted on l.
func (s *Server) baseContext(l net.Listener) context.Context {
	if s.BaseContext == nil {
		return context.Background()
	}
	ctx := s.BaseContext(l)
	if ctx == nil {
		panic("netx: Server.BaseContext returned a nil context")
	}
	return ctx
}

func (s *Server) serve(l net.Listener, base context.Context) error {
	defer s.untrackListener(l)
	defer l.Close()
	sem := s.semaphore()
	closing := s.Closing()
	var delay time.Duration
	for {
		if sem != nil {
			select {
			case sem <- struct{}{}:
			default:
				s.maxConnsWaits.Add(1)
				s.maxConnsLog.log(s.logger(), "netx: MaxConns connections open; accepting paused until one closes (new ones wait in the listen backlog)",
					"addr", l.Addr().String(), "max_conns", s.MaxConns)
				select {
				case sem <- struct{}{}:
				case <-closing:
					return ErrServerClosed
				}
			}
		}
		c, err := l.Accept()
		if err != nil {
			if sem != nil {
				<-sem
			}
			if s.isClosed() {
				return ErrServerClosed
			}
			if !isTemporary(err) {
				return err
			}
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.logger().Warn("netx: accept failed; retrying", "addr", l.Addr().String(), "err", err, "delay", delay)
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-closing:
				t.Stop()
				return ErrServerClosed
			}
			continue
		}
		delay = 0
		s.startConn(base, c, sem)
	}
}

// isTemporary reports whether an accept error is worth retrying: a lack of
// file descriptors or memory, which may pass.
func isTemporary(err error) bool {
	for _, e := range []error{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func (s *Server) startConn(base context.Context, c net.Conn, sem chan struct{}) {
	sc := &serverConn{srv: s, raw: c, conn: c}
	sc.state.Store(-1)
	if s.TLSConfig != nil {
		sc.conn = tls.Server(c, s.TLSConfig)
	}
	ctx := base
	if s.ConnContext != nil {
		ctx = s.ConnContext(ctx, sc.conn)
		if ctx == nil {
			panic("netx: Server.ConnContext returned a nil context")
		}
	}
	ctx, sc.cancel = context.WithCancelCause(ctx)
	sc.ctx, sc.sem = ctx, sem
	r := sc.pair()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		sc.cancel(nil)
		c.Close()
		if sem != nil {
			<-sem
		}
		return
	}
	if s.conns == nil {
		s.conns = make(map[*serverConn]struct{})
	}
	s.conns[sc] = struct{}{}
	s.counters.accepted++
	s.connWG.Add(1)
	s.mu.Unlock()
	go sc.serve(r)
}

// pair makes the connection's Writer and Reader, and returns the Reader;
// the Writer is sc.cr.w until setup publishes it as sc.w. It runs in the
// accepting goroutine, not the handler's: an allocation may do work for
// the garbage collector on the stack it runs on, deep enough to grow a
// handler's first 2 KB stack, which would then stay 4 KB while the
// connection idles (README, "Idle connections").
func (sc *serverConn) pair() *bufio2.Reader {
	s := sc.srv
	w := newWriter(sc.conn)
	w.SetCloseTimeout(s.CloseTimeout)
	w.wd.timeout = s.WriteTimeout
	r := newReader(w, s.Limit, readTimeouts{idle: s.IdleTimeout, call: s.ReadTimeout, sc: sc})
	sc.cr = w.cr
	return r
}

// serve runs one connection: the TLS handshake, then the handler.
// However the handler ends (it returns, panics or calls runtime.Goexit),
// end recovers its panic, flushes and closes the connection, untracks it,
// reports StateClosed and releases its MaxConns slot.
//
// serve is the bottom of every handler's stack, so it keeps its frame
// small (its state is in sc, and setup returns before the handler runs):
// a goroutine starts with a 2 KB stack, a handler's read that waits goes
// nearly that deep, and a stack that grew once stays grown while the
// connection idles (README, "Idle connections").
func (sc *serverConn) serve(r *bufio2.Reader) {
	if !sc.setup() {
		sc.done()
		return
	}
	defer sc.end()
	sc.srv.Handler(sc.ctx, r, sc.w)
}

// setup runs the TLS handshake and publishes the connection's Writer, which
// pair made, as sc.w. If the connection is not to be served (the handshake
// failed, or the server is aborting) it closes it and reports false.
//
//go:noinline
func (sc *serverConn) setup() bool {
	s, ctx := sc.srv, sc.ctx
	if sc.hooked() {
		sc.setState(StateNew)
	}
	if tc, ok := sc.conn.(*tls.Conn); ok {
		d := s.HandshakeTimeout
		if d <= 0 {
			d = DefaultHandshakeTimeout
		}
		hctx, cancel := context.WithTimeout(ctx, d)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				sc.setCause(causeShutdown) // aborted by Close or Shutdown
			} else {
				sc.setCause(causeHandshake)
				s.handshakeLog.log(s.logger(), "netx: TLS handshake failed", "remote", sc.raw.RemoteAddr().String(), "err", err)
			}
			sc.raw.Close()
			return false
		}
	}
	w := sc.cr.w
	s.mu.Lock()
	aborting := s.aborting
	sc.w = w
	s.mu.Unlock()
	if aborting {
		sc.setCause(causeShutdown)
		w.Abort()
		return false
	}
	return true
}

// end is deferred by serve: it recovers a panic of the handler and logs
// it, then flushes and closes the connection (an abort during the flush is
// not the cause: the handler had returned) and ends the server's record of
// it. After a runtime.Goexit in the handler, which counts as a return,
// recover reports nil.
func (sc *serverConn) end() {
	if p := recover(); p != nil {
		sc.setCause(causePanic)
		sc.srv.logger().Error("netx: handler panicked; connection closed",
			"remote", sc.w.RemoteAddr().String(), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
	}
	sc.returned.Store(true)
	sc.w.Close()
	sc.done()
}

// done ends the server's record of a connection that is closed (or was
// never served): its context, its counters, its StateClosed, its MaxConns
// slot. Close and Shutdown wait for it.
func (sc *serverConn) done() {
	s := sc.srv
	sc.cancel(nil)
	s.mu.Lock()
	delete(s.conns, sc)
	c := &s.counters
	c.closed[sc.cause.Load()]++
	r, w := sc.bytes()
	c.bytesRead += r
	c.written += w
	s.mu.Unlock()
	if sc.hooked() {
		sc.setState(StateClosed)
	}
	if sc.sem != nil {
		<-sc.sem
	}
	s.connWG.Done()
}

// Addr returns the address of the first listener (asyncio's
// server.sockets[0].getsockname()), or nil if the server is not listening.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.listeners) == 0 {
		return nil
	}
	return s.listeners[0].Addr()
}

// Closing returns a channel that is closed as soon as Close or Shutdown is
// called. A handler that should wind down early during a graceful
// shutdown watches it.
func (s *Server) Closing() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closingLocked()
}

func (s *Server) closingLocked() chan struct{} {
	if s.closing == nil {
		s.closing = make(chan struct{})
	}
	return s.closing
}

// Shutdown stops the server gracefully (asyncio's close and wait_closed):
// it stops accepting, closes [Server.Closing], and waits for the handlers to
// return and their connections to be flushed and closed. If ctx ends first,
// Shutdown aborts the remaining connections (cancelling their handlers'
// contexts and closing them), waits for their handlers to return, and
// returns ctx's error. Otherwise it returns the error from closing the
// listeners, if any.
func (s *Server) Shutdown(ctx context.Context) error {
	s.draining.Store(true)
	err := s.beginClose()
	s.closeIdle()
	s.serveWG.Wait()
	done := make(chan struct{})
	go func() {
		s.connWG.Wait()
		close(done)
	}()
	select {
	case <-done:
		return err
	case <-ctx.Done():
		s.abortAll()
		<-done
		return ctx.Err()
	}
}

// Close stops the server at once: it stops accepting, closes
// [Server.Closing], aborts every connection (cancelling its handler's
// context, dropping what is unsent and closing it), and waits for the
// handlers to return. A handler that blocks on something other than its
// connection or context holds Close up. Close returns the error from
// closing the listeners, if any; it is idempotent.
func (s *Server) Close() error {
	err := s.beginClose()
	s.abortAll()
	s.serveWG.Wait()
	s.connWG.Wait()
	return err
}

func (s *Server) beginClose() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.closingLocked())
	ls := append([]net.Listener(nil), s.listeners...)
	s.mu.Unlock()
	var err error
	for _, l := range ls {
		if e := l.Close(); e != nil && err == nil && !errors.Is(e, net.ErrClosed) {
			err = e
		}
	}
	return err
}

// closeIdle closes every connection whose handler waits for a new message.
// Those that start to wait later close themselves (serverConn.startWait).
func (s *Server) closeIdle() {
	s.mu.Lock()
	conns := make([]*serverConn, 0, len(s.conns))
	for sc := range s.conns {
		conns = append(conns, sc)
	}
	s.mu.Unlock()
	for _, sc := range conns {
		sc.closeIfIdle()
	}
}

func (s *Server) abortAll() {
	s.mu.Lock()
	s.aborting = true
	conns := make([]*serverConn, 0, len(s.conns))
	for sc := range s.conns {
		conns = append(conns, sc)
	}
	s.mu.Unlock()
	for _, sc := range conns {
		if !sc.returned.Load() {
			sc.setCause(causeShutdown)
		}
		sc.cancel(ErrServerClosed)
		s.mu.Lock()
		w := sc.w
		s.mu.Unlock()
		if w != nil {
			w.Abort()
		} else {
			sc.raw.Close() // still in the TLS handshake
		}
	}
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *Server) semaphore() chan struct{} {
	if s.MaxConns <= 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sem == nil {
		s.sem = make(chan struct{}, s.MaxConns)
	}
	return s.sem
}

// trackListener registers l; with serving set it also counts the
// background Serve loop. It reports false if the server is closed.
func (s *Server) trackListener(l net.Listener, serving bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.listeners = append(s.listeners, l)
	if serving {
		s.serveWG.Add(1)
	}
	return true
}

func (s *Server) untrackListener(l net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.listeners {
		if x == l {
			s.listeners = append(s.listeners[:i], s.listeners[i+1:]...)
			break
		}
	}
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}
