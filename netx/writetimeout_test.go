package netx_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/internal/testenv"
	"github.com/streamkit/streamkit/netx"
)

// dialNonReader dials addr with a small receive buffer and never reads,
// so that a peer pushing to it soon finds the socket full.
func dialNonReader(t testing.TB, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).SetReadBuffer(4 << 10)
	t.Cleanup(func() { c.Close() })
	return c
}

// checkWriteTimeout fails t unless err is a write timeout: it matches
// os.ErrDeadlineExceeded and is a net.Error whose Timeout is true.
func checkWriteTimeout(t testing.TB, what string, err error) {
	t.Helper()
	var ne net.Error
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("%s: %v, want a timeout matching os.ErrDeadlineExceeded", what, err)
	}
}

// TestWriteTimeoutFreesPushers: 20 handlers that push to clients that
// never read are all freed within WriteTimeout (and slack), each with a
// timeout error, and the connections count as closed by the write timeout.
func TestWriteTimeoutFreesPushers(t *testing.T) {
	const n = 20
	const wto = 200 * time.Millisecond
	testenv.Watchdog(t, 20*time.Second)
	base := goroutines(t)
	errs := make(chan error, n)
	chunk := make([]byte, 32<<10)
	s := &netx.Server{
		WriteTimeout: wto,
		Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
			for {
				if _, err := w.Write(chunk); err != nil {
					errs <- err
					// Sticky: a later write and the context say so too.
					if _, err := w.Write(chunk); err == nil {
						t.Errorf("Write after the write timeout succeeded")
					}
					if ctx.Err() == nil {
						t.Errorf("handler's context not cancelled after the write timeout")
					}
					return
				}
			}
		},
	}
	addr := serve(t, s, "tcp")
	start := time.Now()
	for range n {
		dialNonReader(t, addr)
	}
	for i := range n {
		checkWriteTimeout(t, "handler's Write", <-errs)
		if i == n-1 {
			took := time.Since(start)
			t.Logf("%d pushing handlers freed in %v (WriteTimeout %v)", n, took, wto)
			if limit := wto + 2*time.Second; took > limit {
				t.Errorf("handlers freed after %v, want within %v", took, limit)
			}
		}
	}
	s.Close()
	st := s.Stats()
	checkStatsSum(t, st)
	if st.ClosedByWriteTimeout != n {
		t.Errorf("Stats %+v: %d closed by write timeout, want %d", st, st.ClosedByWriteTimeout, n)
	}
	settleGoroutines(t, base)
}

// TestWriteTimeoutDrain: a Drain waiting on a peer that does not read
// returns the timeout error after WriteTimeout.
func TestWriteTimeoutDrain(t *testing.T) {
	const wto = 150 * time.Millisecond
	testenv.Watchdog(t, 20*time.Second)
	base := goroutines(t)
	type result struct {
		err, read error
		took      time.Duration
	}
	done := make(chan result, 1)
	s := &netx.Server{
		WriteTimeout: wto,
		Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
			w.SetWriteBufferLimits(64<<20, 0) // no Write blocks: Drain waits
			w.Write(make([]byte, 16<<20))
			start := time.Now()
			err := w.Drain(context.Background())
			took := time.Since(start)
			_, rerr := r.ReadLine() // the connection is aborted: reads end too
			done <- result{err, rerr, took}
		},
	}
	addr := serve(t, s, "tcp")
	dialNonReader(t, addr)
	res := <-done
	checkWriteTimeout(t, "Drain", res.err)
	checkWriteTimeout(t, "ReadLine after the write timeout", res.read)
	t.Logf("Drain returned after %v (WriteTimeout %v)", res.took, wto)
	if res.took < wto/2 || res.took > wto+time.Second {
		t.Errorf("Drain returned after %v, want about %v", res.took, wto)
	}
	s.Close()
	if st := s.Stats(); st.ClosedByWriteTimeout != 1 {
		t.Errorf("Stats %+v, want 1 closed by write timeout", st)
	}
	settleGoroutines(t, base)
}

// TestWriteTimeoutFlusher: bytes below the high-water mark that the
// flusher cannot send (the peer does not read) fail the connection after
// WriteTimeout, which frees a handler waiting in a read.
func TestWriteTimeoutFlusher(t *testing.T) {
	const wto = 150 * time.Millisecond
	testenv.Watchdog(t, 20*time.Second)
	base := goroutines(t)
	done := make(chan error, 1)
	s := &netx.Server{
		WriteTimeout: wto,
		Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
			w.SetWriteBufferLimits(64<<20, 0)
			w.Write(make([]byte, 16<<20))
			start := time.Now()
			_, err := r.ReadLine() // the client sends nothing
			t.Logf("ReadLine returned after %v (WriteTimeout %v)", time.Since(start), wto)
			done <- err
		},
	}
	addr := serve(t, s, "tcp")
	dialNonReader(t, addr)
	checkWriteTimeout(t, "ReadLine while the flusher is stuck", <-done)
	s.Close()
	if st := s.Stats(); st.ClosedByWriteTimeout != 1 {
		t.Errorf("Stats %+v, want 1 closed by write timeout", st)
	}
	settleGoroutines(t, base)
}

// TestWriteTimeoutBoundsClose: the flush after the handler returns is
// bounded by WriteTimeout, well below the close timeout.
func TestWriteTimeoutBoundsClose(t *testing.T) {
	const wto = 150 * time.Millisecond
	testenv.Watchdog(t, 20*time.Second)
	base := goroutines(t)
	returned := make(chan time.Time, 1)
	closed := make(chan time.Time, 1)
	s := &netx.Server{
		WriteTimeout: wto,
		CloseTimeout: 10 * time.Second,
		Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
			w.SetWriteBufferLimits(64<<20, 0)
			w.Write(make([]byte, 16<<20))
			returned <- time.Now()
		},
		ConnState: func(c net.Conn, st netx.ConnState) {
			if st == netx.StateClosed {
				closed <- time.Now()
			}
		},
	}
	addr := serve(t, s, "tcp")
	dialNonReader(t, addr)
	took := (<-closed).Sub(<-returned)
	t.Logf("closed %v after the handler returned (WriteTimeout %v)", took, wto)
	if took > wto+time.Second {
		t.Errorf("closed %v after the handler returned, want about %v", took, wto)
	}
	s.Close()
	if st := s.Stats(); st.ClosedByWriteTimeout != 1 {
		t.Errorf("Stats %+v, want 1 closed by write timeout", st)
	}
	settleGoroutines(t, base)
}

// TestWriteTimeoutReadingClientUnaffected: a client that reads receives
// everything, however long the whole transfer takes, since no call waits
// WriteTimeout on it.
func TestWriteTimeoutReadingClientUnaffected(t *testing.T) {
	const total = 64 << 20
	testenv.Watchdog(t, 30*time.Second)
	base := goroutines(t)
	s := &netx.Server{
		WriteTimeout: 100 * time.Millisecond,
		Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
			chunk := make([]byte, 64<<10)
			for sent := 0; sent < total; sent += len(chunk) {
				if _, err := w.Write(chunk); err != nil {
					t.Errorf("Write: %v", err)
					return
				}
			}
			if err := w.Drain(ctx); err != nil {
				t.Errorf("Drain: %v", err)
			}
		},
	}
	addr := serve(t, s, "tcp")
	r, _ := dial(t, "tcp", addr)
	start := time.Now()
	n, err := io.Copy(io.Discard, r)
	t.Logf("%d MiB read in %v", n>>20, time.Since(start))
	if n != total || err != nil {
		t.Errorf("read %d bytes, %v; want %d, nil", n, err, total)
	}
	s.Close()
	if st := s.Stats(); st.ClosedByWriteTimeout != 0 || st.ClosedByHandler != 1 {
		t.Errorf("Stats %+v, want 1 closed by the handler", st)
	}
	settleGoroutines(t, base)
}

// TestDialerWriteTimeout: a client's Write to a server that does not read
// fails after the Dialer's WriteTimeout, and for good.
func TestDialerWriteTimeout(t *testing.T) {
	const wto = 150 * time.Millisecond
	testenv.Watchdog(t, 20*time.Second)
	base := goroutines(t)
	hold := make(chan struct{})
	s := &netx.Server{Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		<-hold
	}}
	addr := serve(t, s, "tcp")
	d := netx.Dialer{WriteTimeout: wto}
	_, w, err := d.Dial(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err = w.Write(chunk); err != nil {
			break
		}
	}
	checkWriteTimeout(t, "client's Write", err)
	if _, err := w.Write(chunk); err == nil {
		t.Errorf("Write after the timeout succeeded")
	}
	checkWriteTimeout(t, "Close", w.Close())
	close(hold)
	s.Close()
	settleGoroutines(t, base)
}

// TestWriteDeadlineComposes: the handler's earlier write deadline ends a
// blocked Write before WriteTimeout would; that is the handler's timeout,
// not the server's.
func TestWriteDeadlineComposes(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	base := goroutines(t)
	type result struct {
		err  error
		took time.Duration
	}
	done := make(chan result, 1)
	var once sync.Once
	s := &netx.Server{
		WriteTimeout: 10 * time.Second,
		Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
			start := time.Now()
			w.SetWriteDeadline(start.Add(100 * time.Millisecond))
			chunk := make([]byte, 64<<10)
			for {
				if _, err := w.Write(chunk); err != nil {
					once.Do(func() { done <- result{err, time.Since(start)} })
					return
				}
			}
		},
	}
	addr := serve(t, s, "tcp")
	dialNonReader(t, addr)
	res := <-done
	checkWriteTimeout(t, "Write past the handler's deadline", res.err)
	if res.took > 5*time.Second {
		t.Errorf("Write failed after %v, want about 100ms", res.took)
	}
	s.Close()
	if st := s.Stats(); st.ClosedByWriteTimeout != 0 {
		t.Errorf("Stats %+v: the handler's deadline counted as the server's write timeout", st)
	}
	settleGoroutines(t, base)
}
