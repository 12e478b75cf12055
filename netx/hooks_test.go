package netx_test

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/internal/testenv"
	"github.com/streamkit/streamkit/netx"
)

// stateLog records the ConnState calls of each connection.
type stateLog struct {
	mu     sync.Mutex
	states map[net.Conn][]netx.ConnState
	closed chan net.Conn
	after  atomic.Bool // Close has returned: no call may come
	t      *testing.T
}

func newStateLog(t *testing.T) *stateLog {
	return &stateLog{states: map[net.Conn][]netx.ConnState{}, closed: make(chan net.Conn, 100), t: t}
}

func (l *stateLog) hook(c net.Conn, st netx.ConnState) {
	if l.after.Load() {
		l.t.Errorf("ConnState(%v) called after Close returned", st)
	}
	l.mu.Lock()
	l.states[c] = append(l.states[c], st)
	l.mu.Unlock()
	if st == netx.StateClosed {
		l.closed <- c
	}
}

func (l *stateLog) of(c net.Conn) []netx.ConnState {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]netx.ConnState(nil), l.states[c]...)
}

func TestConnStateOrder(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	log := newStateLog(t)
	s := &netx.Server{Handler: echoHandler, ConnState: log.hook}
	addr := serve(t, s, "tcp")
	r, w := dial(t, "tcp", addr)
	for _, msg := range []string{"one\n", "two\n"} {
		w.Write([]byte(msg))
		if line, err := r.ReadLine(); err != nil || string(line) != msg {
			t.Fatalf("ReadLine() = %q, %v", line, err)
		}
	}
	w.Close()
	c := <-log.closed
	want := []netx.ConnState{netx.StateNew, netx.StateActive, netx.StateIdle, netx.StateActive, netx.StateIdle, netx.StateClosed}
	if diff := cmp.Diff(want, log.of(c)); diff != "" {
		t.Errorf("states (-want +got):\n%s", diff)
	}
	if got := netx.StateIdle.String(); got != "idle" {
		t.Errorf("StateIdle.String() = %q", got)
	}
}

// TestConnStateNeverAfterClose: Close waits for the last ConnState calls,
// also of handlers that go on reading in a goroutine of their own.
func TestConnStateNeverAfterClose(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	log := newStateLog(t)
	var strays sync.WaitGroup
	s := &netx.Server{ConnState: log.hook, Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		done := make(chan struct{})
		strays.Add(1)
		go func() { // reads on after the handler returned
			defer strays.Done()
			<-done
			for {
				if _, err := r.ReadLine(); err != nil {
					return
				}
			}
		}()
		r.ReadLine()
		close(done)
	}}
	addr := serve(t, s, "tcp")
	for range 8 {
		_, w := dial(t, "tcp", addr)
		w.Write([]byte("x\nmore\nand more\n"))
	}
	for range 8 {
		<-log.closed
	}
	s.Close()
	log.after.Store(true)
	strays.Wait()
	log.mu.Lock()
	defer log.mu.Unlock()
	for c, states := range log.states {
		if states[0] != netx.StateNew || states[len(states)-1] != netx.StateClosed {
			t.Errorf("%v: states %v, want new first and closed last", c.RemoteAddr(), states)
		}
	}
}

type ctxKey string

func TestBaseContextAndConnContext(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	type seen struct{ base, conn any }
	got := make(chan seen, 1)
	var listener net.Addr
	var connLocal atomic.Value
	s := &netx.Server{
		BaseContext: func(l net.Listener) context.Context {
			listener = l.Addr()
			return context.WithValue(context.Background(), ctxKey("base"), "from BaseContext")
		},
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			connLocal.Store(c.RemoteAddr().String())
			return context.WithValue(ctx, ctxKey("conn"), c.RemoteAddr().String())
		},
		Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
			got <- seen{ctx.Value(ctxKey("base")), ctx.Value(ctxKey("conn"))}
		},
	}
	addr := serve(t, s, "tcp")
	if listener == nil || listener.String() != addr {
		t.Errorf("BaseContext got listener %v, want %v", listener, addr)
	}
	_, w := dial(t, "tcp", addr)
	g := <-got
	if g.base != "from BaseContext" || g.conn != w.LocalAddr().String() {
		t.Errorf("handler's context values %q, %q; want %q, %q", g.base, g.conn, "from BaseContext", w.LocalAddr().String())
	}
}

// TestBaseContextCancelsHandlers: the handlers' contexts derive from the
// base context.
func TestBaseContextCancelsHandlers(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	base, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	s := &netx.Server{
		BaseContext: func(net.Listener) context.Context { return base },
		Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
			close(started)
			<-ctx.Done()
		},
	}
	addr := serve(t, s, "tcp")
	r, _ := dial(t, "tcp", addr)
	<-started
	cancel()
	if _, err := r.ReadLine(); err != io.EOF {
		t.Errorf("client after the base context ended: %v, want io.EOF", err)
	}
}

// TestHandlerGoexit: a handler that ends by runtime.Goexit (t.FailNow in
// a test handler) counts as returned: flushed, closed, untracked.
func TestHandlerGoexit(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	base := goroutines(t)
	s := &netx.Server{Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		w.Write([]byte("bye\n"))
		runtime.Goexit()
	}}
	if err := s.Listen(context.Background(), "tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	r, w, err := netx.Dial(context.Background(), "tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if line, err := r.ReadLine(); err != nil || string(line) != "bye\n" {
		t.Errorf("ReadLine() = %q, %v", line, err)
	}
	if _, err := r.ReadLine(); err != io.EOF {
		t.Errorf("after the goodbye: %v, want io.EOF", err)
	}
	w.Close()
	// The peer may see the end before the server has counted the
	// connection as closed; Close waits for that.
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if st := s.Stats(); st.Open != 0 || st.ClosedByHandler != 1 {
		t.Errorf("Stats after Goexit: %+v, want 0 open, 1 closed by the handler", st)
	}
	settleGoroutines(t, base)
}

// TestHandlerPanicFlushes: what a handler wrote before it panicked is sent.
func TestHandlerPanicFlushes(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	s := &netx.Server{Logger: slog.New(&recordHandler{}), Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		w.Write([]byte("partial\n"))
		panic("bug")
	}}
	addr := serve(t, s, "tcp")
	r, _ := dial(t, "tcp", addr)
	if line, err := r.ReadLine(); err != nil || string(line) != "partial\n" {
		t.Errorf("ReadLine() = %q, %v", line, err)
	}
	if _, err := r.ReadLine(); err != io.EOF {
		t.Errorf("after the panic: %v, want io.EOF", err)
	}
}

func checkStatsSum(t *testing.T, st netx.ServerStats) {
	t.Helper()
	sum := int64(st.Open) + st.ClosedByPeer + st.ClosedByHandler + st.ClosedByReadTimeout + st.ClosedByIdleTimeout +
		st.ClosedByPanic + st.ClosedByShutdown + st.FailedHandshakes
	if sum != st.Accepted {
		t.Errorf("Stats %+v: open and closed add up to %d, accepted %d", st, sum, st.Accepted)
	}
}

// TestStats closes one connection for each cause and checks the counts.
func TestStats(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	log := newStateLog(t)
	s := &netx.Server{
		Logger:      slog.New(&recordHandler{}),
		ReadTimeout: 30 * time.Millisecond,
		IdleTimeout: 20 * time.Millisecond,
		ConnState:   log.hook,
		Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
			line, err := r.ReadLine()
			if err != nil {
				return
			}
			switch string(line) {
			case "peer\n": // echo until the client ends
				w.Write(line)
				for {
					if _, err := r.ReadLine(); err != nil {
						return
					}
				}
			case "handler\n":
				w.Write([]byte("bye\n"))
			case "idle\n":
				r.ReadLine()
			case "slow\n":
				r.ReadLine()
			case "panic\n":
				panic("counted")
			case "hold\n":
				<-ctx.Done() // until Close aborts it
			}
		},
	}
	addr := serve(t, s, "tcp")
	// One connection at a time, each to its end.
	one := func(msg string, client func(r *bufio2.Reader, w *netx.Writer)) {
		r, w := dial(t, "tcp", addr)
		w.Write([]byte(msg))
		client(r, w)
		<-log.closed
	}
	one("peer\n", func(r *bufio2.Reader, w *netx.Writer) {
		r.ReadLine()
		w.Close()
	})
	one("handler\n", func(r *bufio2.Reader, w *netx.Writer) {})
	one("idle\n", func(r *bufio2.Reader, w *netx.Writer) {})
	one("slow\n", func(r *bufio2.Reader, w *netx.Writer) {
		// Never silent for IdleTimeout, until the server closes.
		go dribble(w, make([]byte, 1<<20), 5*time.Millisecond, nil)
	})
	one("panic\n", func(r *bufio2.Reader, w *netx.Writer) {})

	// A failed TLS handshake: a server of its own, counted apart.
	srvCfg, _ := testCerts(t)
	ts := &netx.Server{TLSConfig: srvCfg, Logger: slog.New(&recordHandler{}), Handler: echoHandler}
	taddr := serve(t, ts, "tcp")
	c, err := net.Dial("tcp", taddr)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("not a TLS client hello\r\n\r\n"))
	io.Copy(io.Discard, c)
	c.Close()
	for ts.Stats().Open > 0 {
		runtime.Gosched()
	}
	if st := ts.Stats(); st.FailedHandshakes != 1 || st.Accepted != 1 {
		t.Errorf("TLS server's Stats %+v, want 1 failed handshake of 1 accepted", st)
	}

	// One held through Close.
	_, hw := dial(t, "tcp", addr)
	hw.Write([]byte("hold\n"))
	for s.Stats().Open == 0 {
		runtime.Gosched()
	}
	st := s.Stats()
	checkStatsSum(t, st)
	if st.BytesRead == 0 || st.BytesWritten == 0 {
		t.Errorf("Stats %+v count no bytes", st)
	}
	s.Close()

	st = s.Stats()
	checkStatsSum(t, st)
	want := netx.ServerStats{
		Accepted: 6, ClosedByPeer: 1, ClosedByHandler: 1, ClosedByIdleTimeout: 1, ClosedByReadTimeout: 1,
		ClosedByPanic: 1, ClosedByShutdown: 1, BytesRead: st.BytesRead, BytesWritten: st.BytesWritten,
	}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
	// "peer\n" echoed (5), "bye\n" (4); read: the six messages and the dribble.
	if st.BytesWritten != 9 {
		t.Errorf("BytesWritten = %d, want 9", st.BytesWritten)
	}
	if min := int64(len("peer\nhandler\nidle\nslow\npanic\nhold\n")); st.BytesRead < min {
		t.Errorf("BytesRead = %d, want at least %d", st.BytesRead, min)
	}
}

// countRecords counts the records with msg at level.
func countRecords(h *recordHandler, level slog.Level, msg string) (n int, last slog.Record) {
	for _, r := range h.records() {
		if r.Level == level && r.Message == msg {
			n++
			last = r
		}
	}
	return n, last
}

// TestHandshakeFailuresLoggedRateLimited: failed TLS handshakes are logged
// at Info, one record per interval, the next one with the count dropped.
func TestHandshakeFailuresLoggedRateLimited(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	defer netx.SetLogInterval(time.Hour)()
	logs := &recordHandler{}
	srvCfg, _ := testCerts(t)
	s := &netx.Server{TLSConfig: srvCfg, Logger: slog.New(logs), Handler: echoHandler}
	addr := serve(t, s, "tcp")
	bad := func() {
		c, err := tls.Dial("tcp", addr, &tls.Config{ServerName: "localhost"}) // the test CA is unknown: fails
		if err == nil {
			c.Close()
			t.Fatal("the handshake with an unknown CA succeeded")
		}
	}
	waitFailed := func(n int64) {
		for s.Stats().FailedHandshakes < n {
			runtime.Gosched()
		}
	}
	for i := range 3 {
		bad()
		waitFailed(int64(i + 1))
	}
	if n, _ := countRecords(logs, slog.LevelInfo, "netx: TLS handshake failed"); n != 1 {
		t.Errorf("%d records for 3 failed handshakes within the interval, want 1", n)
	}
	netx.SetLogInterval(0)
	bad()
	waitFailed(4)
	n, last := countRecords(logs, slog.LevelInfo, "netx: TLS handshake failed")
	if n != 2 {
		t.Fatalf("%d records after the interval, want 2", n)
	}
	var suppressed int64
	last.Attrs(func(a slog.Attr) bool {
		if a.Key == "suppressed" {
			suppressed = a.Value.Int64()
		}
		return true
	})
	if suppressed != 2 {
		t.Errorf("the second record says %d suppressed, want 2", suppressed)
	}
}

// TestMaxConnsSaturationLogged: reaching MaxConns is logged at Info and
// counted.
func TestMaxConnsSaturationLogged(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	logs := &recordHandler{}
	release := make(chan struct{})
	s := &netx.Server{MaxConns: 1, Logger: slog.New(logs), Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		line, _ := r.ReadLine()
		w.Write(line)
		if string(line) == "hold\n" {
			<-release
		}
	}}
	addr := serve(t, s, "tcp")
	r1, w1 := dial(t, "tcp", addr)
	w1.Write([]byte("hold\n"))
	r1.ReadLine()
	for s.Stats().MaxConnsWaits == 0 {
		runtime.Gosched()
	}
	r2, w2 := dial(t, "tcp", addr) // waits in the backlog
	w2.Write([]byte("next\n"))
	close(release)
	if line, err := r2.ReadLine(); err != nil || string(line) != "next\n" {
		t.Errorf("the waiting client: %q, %v", line, err)
	}
	if n, _ := countRecords(logs, slog.LevelInfo, "netx: MaxConns connections open; accepting paused until one closes (new ones wait in the listen backlog)"); n == 0 {
		t.Error("no Info record of MaxConns reached")
	}
}
