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

	// IdleTimeout, if positive, is the longest a connection's read may wait
	// for data. When it passes, the read fails with an error that matches
	// os.ErrDeadlineExceeded, as does every later read on that connection,
	// so the handler's loop ends and the connection is closed. Time the
	// handler spends on anything other than waiting in a read does not
	// count. With IdleTimeout set the server manages the connection's read
	// deadline; handlers must not set it themselves.
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

	// Logger receives handler panics, failed TLS handshakes and accept
	// errors. If nil, slog.Default() is used.
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
}

// serverConn is one connection as the server tracks it, for aborting.
type serverConn struct {
	conn   net.Conn // until the Writer exists
	w      *Writer
	cancel context.CancelCauseFunc
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
	if !s.trackListener(l, true) {
		l.Close()
		return ErrServerClosed
	}
	go func() {
		defer s.serveWG.Done()
		err := s.serve(l)
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
	return s.serve(l)
}

func (s *Server) serve(l net.Listener) error {
	defer s.untrackListener(l)
	defer l.Close()
	sem := s.semaphore()
	closing := s.Closing()
	var delay time.Duration
	for {
		if sem != nil {
			select {
			case sem <- struct{}{}:
			case <-closing:
				return ErrServerClosed
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
		s.startConn(c, sem)
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

func (s *Server) startConn(c net.Conn, sem chan struct{}) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.Close()
		if sem != nil {
			<-sem
		}
		return
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	sc := &serverConn{conn: c, cancel: cancel}
	if s.conns == nil {
		s.conns = make(map[*serverConn]struct{})
	}
	s.conns[sc] = struct{}{}
	s.connWG.Add(1)
	s.mu.Unlock()
	go s.serveConn(ctx, sc, sem)
}

func (s *Server) serveConn(ctx context.Context, sc *serverConn, sem chan struct{}) {
	defer s.connWG.Done()
	defer func() {
		if sem != nil {
			<-sem
		}
	}()
	defer s.untrackConn(sc)
	defer sc.cancel(nil)

	c := sc.conn
	if s.TLSConfig != nil {
		tc := tls.Server(c, s.TLSConfig)
		d := s.HandshakeTimeout
		if d <= 0 {
			d = DefaultHandshakeTimeout
		}
		hctx, cancel := context.WithTimeout(ctx, d)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			s.logger().Debug("netx: TLS handshake failed", "remote", c.RemoteAddr().String(), "err", err)
			c.Close()
			return
		}
		c = tc
	}
	w := newWriter(c)
	w.SetCloseTimeout(s.CloseTimeout)
	w.onFail = func(err error) { sc.cancel(err) }
	r := newReader(w, s.Limit, s.IdleTimeout)

	s.mu.Lock()
	aborting := s.aborting
	sc.w = w
	s.mu.Unlock()
	if aborting {
		w.Abort()
		return
	}

	if s.runHandler(ctx, r, w) {
		w.Abort()
		return
	}
	w.Close()
}

// runHandler calls the handler and reports whether it panicked.
func (s *Server) runHandler(ctx context.Context, r *bufio2.Reader, w *Writer) (panicked bool) {
	defer func() {
		if p := recover(); p != nil {
			panicked = true
			s.logger().Error("netx: handler panicked; connection closed",
				"remote", w.RemoteAddr().String(), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
	}()
	s.Handler(ctx, r, w)
	return false
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
	err := s.beginClose()
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

func (s *Server) abortAll() {
	s.mu.Lock()
	s.aborting = true
	conns := make([]*serverConn, 0, len(s.conns))
	for sc := range s.conns {
		conns = append(conns, sc)
	}
	s.mu.Unlock()
	for _, sc := range conns {
		sc.cancel(ErrServerClosed)
		s.mu.Lock()
		w := sc.w
		s.mu.Unlock()
		if w != nil {
			w.Abort()
		} else {
			sc.conn.Close() // still in the TLS handshake
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

func (s *Server) untrackConn(sc *serverConn) {
	s.mu.Lock()
	delete(s.conns, sc)
	s.mu.Unlock()
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}
