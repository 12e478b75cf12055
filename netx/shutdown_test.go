package netx_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/internal/testenv"
	"github.com/streamkit/streamkit/netx"
)

// TestShutdownClosesIdleConnections: handlers that wait in a read with
// nothing buffered are closed at once; their read returns an error
// matching ErrServerClosed, and the peer receives what was written, then
// io.EOF.
func TestShutdownClosesIdleConnections(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			testenv.Watchdog(t, 20*time.Second)
			base := goroutines(t)
			const clients = 4
			idle := make(chan struct{}, clients)
			errs := make(chan error, clients)
			s := &netx.Server{
				Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
					line, err := r.ReadLine()
					if err != nil {
						errs <- err
						return
					}
					w.Write(append([]byte("echo "), line...))
					w.Write([]byte("unflushed goodbye\n")) // sent with the close
					_, err = r.ReadLine()
					if ctx.Err() == nil || !errors.Is(context.Cause(ctx), netx.ErrServerClosed) {
						t.Errorf("context after the idle close: %v, cause %v; want cancelled with ErrServerClosed", ctx.Err(), context.Cause(ctx))
					}
					errs <- err
				},
				ConnState: func(c net.Conn, st netx.ConnState) {
					if st == netx.StateIdle {
						idle <- struct{}{}
					}
				},
			}
			addr := serve(t, s, network)
			var rs []*bufio2.Reader
			for i := range clients {
				r, w := dial(t, network, addr)
				w.Write([]byte{byte('a' + i), '\n'})
				rs = append(rs, r)
			}
			for range clients {
				// The handler waits in its read by now; if it does not yet,
				// its read finds Shutdown begun and closes just the same.
				time.Sleep(20 * time.Millisecond)
			}
			if err := s.Shutdown(context.Background()); err != nil {
				t.Errorf("Shutdown: %v", err)
			}
			for range clients {
				if err := <-errs; !errors.Is(err, netx.ErrServerClosed) {
					t.Errorf("the idle handler's read: %v, want an error matching ErrServerClosed", err)
				}
			}
			for i, r := range rs {
				for _, want := range []string{"echo " + string(rune('a'+i)) + "\n", "unflushed goodbye\n"} {
					if line, err := r.ReadLine(); err != nil || string(line) != want {
						t.Errorf("client %d: ReadLine() = %q, %v; want %q", i, line, err, want)
					}
				}
				if _, err := r.ReadLine(); err != io.EOF {
					t.Errorf("client %d after the goodbye: %v, want io.EOF", i, err)
				}
			}
			if st := s.Stats(); st.ClosedByShutdown != clients || st.Open != 0 {
				t.Errorf("Stats: %d closed by shutdown, %d open; want %d, 0", st.ClosedByShutdown, st.Open, clients)
			}
			settleGoroutines(t, base)
		})
	}
}

// TestShutdownClosesNewConnectionsWaiting: a connection whose handler
// waits for its first bytes is idle too.
func TestShutdownClosesNewConnectionsWaiting(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	errs := make(chan error, 1)
	s := &netx.Server{Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		w.Write([]byte("greeting\n"))
		_, err := r.ReadLine()
		errs <- err
	}}
	addr := serve(t, s, "tcp")
	r, _ := dial(t, "tcp", addr)
	if line, err := r.ReadLine(); err != nil || string(line) != "greeting\n" {
		t.Fatalf("ReadLine() = %q, %v", line, err)
	}
	waitBlocked(t, lazyWait, 1)
	if err := s.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-errs; !errors.Is(err, netx.ErrServerClosed) {
		t.Errorf("handler's read: %v, want ErrServerClosed", err)
	}
	if _, err := r.ReadLine(); err != io.EOF {
		t.Errorf("client: %v, want io.EOF", err)
	}
}

// TestShutdownLetsMidMessageHandlersFinish: a handler that has read part
// of a message goes on; it is closed when it next waits for a new one.
func TestShutdownLetsMidMessageHandlersFinish(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	active := make(chan struct{}, 1)
	second := make(chan error, 1)
	s := &netx.Server{
		Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
			line, err := r.ReadLine()
			if err != nil {
				second <- err
				return
			}
			w.Write(line)
			_, err = r.ReadLine()
			second <- err
		},
		ConnState: func(c net.Conn, st netx.ConnState) {
			if st == netx.StateActive {
				active <- struct{}{}
			}
		},
	}
	addr := serve(t, s, "tcp")
	r, w := dial(t, "tcp", addr)
	w.Write([]byte("a message in "))
	<-active // the handler has read the first bytes
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()
	<-s.Closing()
	w.Write([]byte("two parts\n"))
	if line, err := r.ReadLine(); err != nil || string(line) != "a message in two parts\n" {
		t.Errorf("ReadLine() = %q, %v; want the whole message echoed", line, err)
	}
	if err := <-second; !errors.Is(err, netx.ErrServerClosed) {
		t.Errorf("the handler's next read: %v, want ErrServerClosed", err)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if _, err := r.ReadLine(); err != io.EOF {
		t.Errorf("client: %v, want io.EOF", err)
	}
}

// TestShutdownClosesLaterWaits: a handler busy when Shutdown begins is
// closed as soon as it starts to wait for a new message.
func TestShutdownClosesLaterWaits(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	busy := make(chan struct{})
	release := make(chan struct{})
	result := make(chan error, 1)
	s := &netx.Server{Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		if _, err := r.ReadLine(); err != nil {
			result <- err
			return
		}
		close(busy)
		<-release
		w.Write([]byte("done\n"))
		_, err := r.ReadLine()
		result <- err
	}}
	addr := serve(t, s, "tcp")
	r, w := dial(t, "tcp", addr)
	w.Write([]byte("work\n"))
	<-busy
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()
	<-s.Closing()
	close(release)
	if err := <-result; !errors.Is(err, netx.ErrServerClosed) {
		t.Errorf("read after Shutdown began: %v, want ErrServerClosed", err)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if line, err := r.ReadLine(); err != nil || string(line) != "done\n" {
		t.Errorf("ReadLine() = %q, %v", line, err)
	}
	if _, err := r.ReadLine(); err != io.EOF {
		t.Errorf("client: %v, want io.EOF", err)
	}
}

// TestShutdownThousandIdle: Shutdown with 1,000 idle connections returns
// within 100 ms (the handlers only return).
func TestShutdownThousandIdle(t *testing.T) {
	const n = 1000
	raiseFiles(t, 2*n+100)
	testenv.Watchdog(t, 60*time.Second)
	base := goroutines(t)
	var ready sync.WaitGroup
	ready.Add(n)
	s := &netx.Server{
		Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
			for {
				if _, err := r.ReadLine(); err != nil {
					return
				}
			}
		},
		ConnState: func(c net.Conn, st netx.ConnState) {
			if st == netx.StateIdle {
				ready.Done()
			}
		},
	}
	addr := serve(t, s, "tcp")
	conns := dialMany(t, addr, n)
	for _, c := range conns {
		c.Write([]byte("hello\n"))
	}
	ready.Wait() // every handler waits for its next line
	runtime.GC()
	start := time.Now()
	if err := s.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	took := time.Since(start)
	t.Logf("Shutdown with %d idle connections: %v", n, took)
	limit := 100 * time.Millisecond
	if raceEnabled {
		limit *= 5 // the race detector slows each handler's exit
	}
	if took > limit {
		t.Errorf("Shutdown took %v with %d idle connections, want at most %v", took, n, limit)
	}
	if st := s.Stats(); st.ClosedByShutdown != n {
		t.Errorf("%d connections closed by shutdown, want %d", st.ClosedByShutdown, n)
	}
	for _, c := range conns {
		c.Close()
	}
	settleGoroutines(t, base)
}

// TestShutdownLingerIsBounded: closing an idle connection, Shutdown reads
// and drops what the peer still sends, so that the peer is not reset, but
// not for ever: a peer that starts sending once it has read the end of the
// stream, and never stops or closes, holds Shutdown about 500 ms, and one
// that sends nothing and stays open, about 20 ms. Either reads what was
// written, then io.EOF.
func TestShutdownLingerIsBounded(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sends bool
		most  time.Duration
	}{
		{"silent", false, 400 * time.Millisecond},
		{"sending", true, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testenv.Watchdog(t, 20*time.Second)
			s := &netx.Server{
				Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
					w.Write([]byte("hello\n"))
					r.ReadLine() // nothing comes: Shutdown closes it
				},
			}
			addr := serve(t, s, "tcp")
			c := dialRaw(t, addr)
			br := bufio2.NewReader(c)
			if line, err := br.ReadLine(); string(line) != "hello\n" || err != nil {
				t.Fatalf("greeting: %q, %v", line, err)
			}
			// The handler waits in its read by now; if it does not yet,
			// its read finds Shutdown begun and closes just the same.
			time.Sleep(20 * time.Millisecond)
			stop := make(chan struct{})
			sent := make(chan int64, 1)
			go func() {
				var total int64
				defer func() { sent <- total }()
				if _, err := br.ReadLine(); err != io.EOF {
					t.Errorf("after the greeting: %v, want io.EOF", err)
					return
				}
				if !tc.sends {
					<-stop
					return
				}
				chunk := make([]byte, 4096)
				for {
					select {
					case <-stop:
						return
					default:
					}
					c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
					n, err := c.Write(chunk)
					total += int64(n)
					if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
						return // the server closed: EPIPE or a reset, after our EOF
					}
				}
			}()
			start := time.Now()
			if err := s.Shutdown(context.Background()); err != nil {
				t.Errorf("Shutdown: %v", err)
			}
			took := time.Since(start)
			close(stop)
			total := <-sent
			t.Logf("Shutdown took %v; the peer sent %d bytes after the end of the stream", took, total)
			if took > tc.most {
				t.Errorf("Shutdown took %v, want at most %v", took, tc.most)
			}
			if tc.sends && took < 400*time.Millisecond {
				t.Errorf("Shutdown took %v with a peer still sending: it did not linger", took)
			}
		})
	}
}
