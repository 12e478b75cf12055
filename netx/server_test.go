package netx_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/streamkit/streamkit/internal/testenv"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/netx"
)

// recordHandler is a slog.Handler that keeps the records it gets.
type recordHandler struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, r.Clone())
	return nil
}
func (h *recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordHandler) WithGroup(string) slog.Handler      { return h }

func (h *recordHandler) records() []slog.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]slog.Record(nil), h.recs...)
}

func TestListenUnknownNetwork(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	_, err := netx.Listen(context.Background(), "udp", "127.0.0.1:0", echoHandler)
	var unknown net.UnknownNetworkError
	if !errors.As(err, &unknown) {
		t.Errorf("Listen(udp): %v, want net.UnknownNetworkError", err)
	}
}

func TestServerListensOnSeveralAddresses(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	s := &netx.Server{Handler: echoHandler}
	if s.Addr() != nil {
		t.Errorf("Addr() = %v before Listen, want nil", s.Addr())
	}
	tcpAddr := serve(t, s, "tcp")
	if err := s.Listen(context.Background(), "unix", testAddr(t, "unix")); err != nil {
		t.Fatal(err)
	}
	if s.Addr().String() != tcpAddr {
		t.Errorf("Addr() = %v, want the first listener's %v", s.Addr(), tcpAddr)
	}
	r, w := dial(t, "tcp", tcpAddr)
	w.Write([]byte("tcp\n"))
	if line, err := r.ReadLine(); err != nil || string(line) != "tcp\n" {
		t.Fatalf("ReadLine() = %q, %v", line, err)
	}
}

func TestHandlerContextCancelledByClose(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	base := goroutines(t)
	started := make(chan struct{})
	var returned atomic.Bool
	causes := make(chan error, 1)
	s := &netx.Server{Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		close(started)
		<-ctx.Done()
		causes <- context.Cause(ctx)
		returned.Store(true)
	}}
	addr := serve(t, s, "tcp")
	r, _ := dial(t, "tcp", addr)
	<-started
	select {
	case <-s.Closing():
		t.Fatal("Closing() closed before Close")
	default:
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if !returned.Load() {
		t.Error("Close returned before the handler did")
	}
	if cause := <-causes; !errors.Is(cause, netx.ErrServerClosed) {
		t.Errorf("context.Cause = %v, want ErrServerClosed", cause)
	}
	select {
	case <-s.Closing():
	default:
		t.Error("Closing() not closed after Close")
	}
	if _, err := r.ReadLine(); err == nil {
		t.Error("the client's read succeeded after the server aborted the connection")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Listen(context.Background(), "tcp", "127.0.0.1:0"); err != netx.ErrServerClosed {
		t.Errorf("Listen after Close: %v, want ErrServerClosed", err)
	}
	settleGoroutines(t, base)
}

func TestServeReturnsErrServerClosed(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &netx.Server{Handler: echoHandler}
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	r, w := dial(t, "tcp", l.Addr().String())
	w.Write([]byte("x\n"))
	if _, err := r.ReadLine(); err != nil {
		t.Fatal(err)
	}
	w.Close() // the handler returns at EOF, so Shutdown can finish
	if err := s.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-served; err != netx.ErrServerClosed {
		t.Errorf("Serve after Shutdown: %v, want ErrServerClosed", err)
	}
	l2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(l2); err != netx.ErrServerClosed {
		t.Errorf("Serve on a closed server: %v, want ErrServerClosed", err)
	}
	if _, err := l2.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Serve on a closed server left its listener open: %v", err)
	}
}

// streamClient pipelines lines to addr from one goroutine, at most 256
// ahead of the echoes, half-closes, and checks the echoes and the end of
// the stream in another. It calls progress once some echoes have come back.
func streamClient(t *testing.T, network, addr string, id, lines int, progress func()) error {
	return streamClientCut(t, network, addr, id, lines, progress, false)
}

// streamClientCut is streamClient; with cut, the server may end the
// stream early, with io.EOF after an echo, and the echoes received must
// then be the first ones, in order.
func streamClientCut(t *testing.T, network, addr string, id, lines int, progress func(), cut bool) error {
	r, w, err := netx.Dial(context.Background(), network, addr)
	if err != nil {
		return err
	}
	defer w.Close()
	window := make(chan struct{}, 256)
	done := make(chan struct{})
	defer close(done)
	go func() {
		for i := range lines {
			select {
			case window <- struct{}{}:
			case <-done:
				return
			}
			if _, err := w.Write([]byte(testLine(id, i))); err != nil {
				return
			}
		}
		w.WriteEOF()
	}()
	for i := range lines {
		line, err := r.ReadLine()
		if err == io.EOF && cut && i > min(lines/5, 200) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("client %d: echo %d: %w", id, i, err)
		}
		if want := testLine(id, i); string(line) != want {
			return fmt.Errorf("client %d: echo %d = %q, want %q", id, i, line, want)
		}
		<-window
		if i == min(lines/5, 200) && progress != nil {
			progress()
		}
	}
	if _, err := r.ReadLine(); err != io.EOF {
		return fmt.Errorf("client %d: after the last echo: %v, want io.EOF", id, err)
	}
	return nil
}

// TestShutdownEndsStreamsCleanly runs clients that pipeline lines, 256
// ahead of the echoes: whenever the server has read all that arrived, its
// handler waits with nothing buffered, idle, and Shutdown closes it. Each
// client gets the echoes of what the server read, in order, then io.EOF,
// never a reset, though it was still sending.
func TestShutdownEndsStreamsCleanly(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			testenv.Watchdog(t, 30*time.Second)
			base := goroutines(t)
			s := &netx.Server{Handler: echoHandler}
			if err := s.Listen(context.Background(), network, testAddr(t, network)); err != nil {
				t.Fatal(err)
			}
			addr := s.Addr().String()
			const clients, lines = 8, 2000
			var midway sync.WaitGroup
			midway.Add(clients)
			errs := make(chan error, clients)
			for id := range clients {
				go func() { errs <- streamClientCut(t, network, addr, id, lines, midway.Done, true) }()
			}
			midway.Wait() // every client is mid-stream
			shut := make(chan error, 1)
			go func() { shut <- s.Shutdown(context.Background()) }()
			<-s.Closing()
			for range clients {
				if err := <-errs; err != nil {
					t.Error(err)
				}
			}
			if err := <-shut; err != nil {
				t.Errorf("Shutdown: %v", err)
			}
			if _, _, err := netx.Dial(context.Background(), network, addr); err == nil {
				t.Error("Dial succeeded after Shutdown")
			}
			settleGoroutines(t, base)
		})
	}
}

func TestShutdownContextEndAbortsTheRest(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	base := goroutines(t)
	started := make(chan struct{}, 2)
	results := make(chan error, 2)
	s := &netx.Server{Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		_, err := r.ReadLine() // ignores Closing: the client never ends its line
		if ctx.Err() == nil {
			err = fmt.Errorf("read returned %v with the context still live", err)
		} else if cause := context.Cause(ctx); !errors.Is(cause, netx.ErrServerClosed) {
			err = fmt.Errorf("cause %v, want ErrServerClosed", cause)
		} else {
			err = nil
		}
		results <- err
	}}
	s.ConnState = func(c net.Conn, state netx.ConnState) {
		if state == netx.StateActive {
			started <- struct{}{} // the handler has read part of a line
		}
	}
	addr := serve(t, s, "tcp")
	var rs []*bufio2.Reader
	for range 2 {
		r, w := dial(t, "tcp", addr)
		w.Write([]byte("half a li"))
		rs = append(rs, r)
		<-started
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown: %v, want context.DeadlineExceeded", err)
	}
	for range 2 {
		if err := <-results; err != nil {
			t.Error(err)
		}
	}
	for _, r := range rs {
		if _, err := r.ReadLine(); err == nil {
			t.Error("client read succeeded after the abort")
		}
	}
	settleGoroutines(t, base)
}

func TestShutdownWithHandlersWatchingClosing(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	started := make(chan struct{})
	s := &netx.Server{}
	s.Handler = func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		close(started)
		<-s.Closing()
		w.Write([]byte("bye\n"))
	}
	addr := serve(t, s, "tcp")
	r, _ := dial(t, "tcp", addr)
	<-started
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if line, err := r.ReadLine(); err != nil || string(line) != "bye\n" {
		t.Errorf("ReadLine() = %q, %v; want the handler's goodbye", line, err)
	}
	if _, err := r.ReadLine(); err != io.EOF {
		t.Errorf("after the goodbye: %v, want io.EOF", err)
	}
}

func TestCloseAbortsClientsMidStream(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			testenv.Watchdog(t, 30*time.Second)
			base := goroutines(t)
			s := &netx.Server{Handler: echoHandler}
			if err := s.Listen(context.Background(), network, testAddr(t, network)); err != nil {
				t.Fatal(err)
			}
			addr := s.Addr().String()
			const clients = 8
			var midway sync.WaitGroup
			midway.Add(clients)
			errs := make(chan error, clients)
			for id := range clients {
				// Far more lines than fit in flight: the streams are cut.
				go func() { errs <- streamClient(t, network, addr, id, 1<<30, midway.Done) }()
			}
			midway.Wait()
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			for range clients {
				if err := <-errs; err == nil {
					t.Error("a client finished its endless stream")
				}
			}
			settleGoroutines(t, base)
		})
	}
}

func TestHandlerPanicClosesOnlyItsConnection(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	logs := &recordHandler{}
	s := &netx.Server{Logger: slog.New(logs), Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		for {
			line, err := r.ReadLine()
			if err != nil {
				return
			}
			if string(line) == "panic\n" {
				panic("handler bug")
			}
			w.Write(line)
		}
	}}
	addr := serve(t, s, "tcp")
	rOther, wOther := dial(t, "tcp", addr)
	wOther.Write([]byte("before\n"))
	if line, err := rOther.ReadLine(); err != nil || string(line) != "before\n" {
		t.Fatalf("ReadLine() = %q, %v", line, err)
	}

	r, w := dial(t, "tcp", addr)
	w.Write([]byte("panic\n"))
	if line, err := r.ReadLine(); err == nil {
		t.Errorf("the panicking handler's connection gave %q, want it closed", line)
	}

	// The other connection and new ones are served.
	wOther.Write([]byte("after\n"))
	if line, err := rOther.ReadLine(); err != nil || string(line) != "after\n" {
		t.Fatalf("other connection after the panic: ReadLine() = %q, %v", line, err)
	}
	r2, w2 := dial(t, "tcp", addr)
	w2.Write([]byte("new\n"))
	if line, err := r2.ReadLine(); err != nil || string(line) != "new\n" {
		t.Fatalf("new connection after the panic: ReadLine() = %q, %v", line, err)
	}

	var found bool
	for _, rec := range logs.records() {
		rec.Attrs(func(a slog.Attr) bool {
			if a.Key == "panic" && a.Value.String() == "handler bug" && rec.Level == slog.LevelError {
				found = true
			}
			return true
		})
	}
	if !found {
		t.Errorf("no error record with the panic value among %d records", len(logs.records()))
	}
}

func TestHandlerReturnFlushesAndCloses(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	const lines = 20000
	s := &netx.Server{Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		for i := range lines {
			if _, err := w.Write([]byte(testLine(0, i))); err != nil {
				return
			}
		}
	}}
	addr := serve(t, s, "tcp")
	r, _ := dial(t, "tcp", addr)
	for i := range lines {
		line, err := r.ReadLine()
		if err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if string(line) != testLine(0, i) {
			t.Fatalf("line %d = %q", i, line)
		}
	}
	if _, err := r.ReadLine(); err != io.EOF {
		t.Errorf("after the last line: %v, want io.EOF", err)
	}
}

func TestMaxConnsQueuesInBacklog(t *testing.T) {
	testenv.Watchdog(t, 30*time.Second)
	var inFlight, maxInFlight, served atomic.Int32
	var released atomic.Bool
	holders := make(chan struct{}, 2)
	s := &netx.Server{MaxConns: 2, Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		line, err := r.ReadLine()
		if err != nil {
			return
		}
		if string(line) == "hold\n" {
			holders <- struct{}{}
		} else if !released.Load() {
			t.Error("a third connection was served while two were held")
		}
		w.Write(line)
		served.Add(1)
		r.ReadLine() // until the client closes
	}}
	addr := serve(t, s, "tcp")
	var holdWs []*netx.Writer
	for range 2 {
		_, w := dial(t, "tcp", addr)
		w.Write([]byte("hold\n"))
		<-holders
		holdWs = append(holdWs, w)
	}
	// More connections: accepted by the kernel, waiting for a slot.
	const extra = 6
	errs := make(chan error, extra)
	for i := range extra {
		go func() {
			r, w, err := netx.Dial(context.Background(), "tcp", addr)
			if err != nil {
				errs <- err
				return
			}
			defer w.Close()
			w.Write([]byte(fmt.Sprintf("%d\n", i)))
			line, err := r.ReadLine()
			if err == nil && string(line) != fmt.Sprintf("%d\n", i) {
				err = fmt.Errorf("echo %q", line)
			}
			errs <- err
		}()
	}
	released.Store(true)
	for _, w := range holdWs {
		w.Close()
	}
	for range extra {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if m := maxInFlight.Load(); m > 2 {
		t.Errorf("%d handlers ran at once, MaxConns is 2", m)
	}
	if n := served.Load(); n != 2+extra {
		t.Errorf("%d connections served, want %d", n, 2+extra)
	}
}

func TestIdleTimeout(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	const idle = 50 * time.Millisecond
	type result struct {
		first, second error
	}
	results := make(chan result, 1)
	s := &netx.Server{IdleTimeout: idle, Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		var res result
		_, res.first = r.ReadLine()
		_, res.second = r.ReadLine()
		results <- res
	}}
	addr := serve(t, s, "tcp")
	r, _ := dial(t, "tcp", addr) // sends nothing
	res := <-results
	if !errors.Is(res.first, os.ErrDeadlineExceeded) || !errors.Is(res.second, os.ErrDeadlineExceeded) {
		t.Errorf("reads on an idle connection: %v, %v; want os.ErrDeadlineExceeded twice", res.first, res.second)
	}
	if _, err := r.ReadLine(); err != io.EOF {
		t.Errorf("client read on the idled connection: %v, want io.EOF", err)
	}
}

func TestIdleTimeoutCountsOnlyReads(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	const idle = 50 * time.Millisecond
	got := make(chan string, 1)
	s := &netx.Server{IdleTimeout: idle, Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		// Busy with something else for longer than IdleTimeout.
		<-time.After(4 * idle)
		line, err := r.ReadLine()
		if err != nil {
			got <- err.Error()
			return
		}
		got <- string(line)
	}}
	addr := serve(t, s, "tcp")
	_, w := dial(t, "tcp", addr)
	w.Write([]byte("sent early\n"))
	if diff := cmp.Diff("sent early\n", <-got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
