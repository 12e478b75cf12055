package netx_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/internal/testenv"
	"github.com/streamkit/streamkit/netx"
)

// dribble writes p to c one byte every interval, until p is sent, a write
// fails or stop is closed.
func dribble(c io.Writer, p []byte, interval time.Duration, stop <-chan struct{}) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for i := range p {
		if _, err := c.Write(p[i : i+1]); err != nil {
			return
		}
		select {
		case <-tick.C:
		case <-stop:
			return
		}
	}
}

type readResult struct {
	err, again error
	took       time.Duration
}

// TestReadTimeoutBoundsOneCall: a peer that sends a byte every 10 ms is
// never silent for long, but one ReadLine may take only ReadTimeout; the
// error is sticky, and the connection is closed when the handler returns.
func TestReadTimeoutBoundsOneCall(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	base := goroutines(t)
	const timeout = 100 * time.Millisecond
	results := make(chan readResult, 1)
	s := &netx.Server{ReadTimeout: timeout, IdleTimeout: time.Second, Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		var res readResult
		start := time.Now()
		_, res.err = r.ReadLine()
		res.took = time.Since(start)
		_, res.again = r.ReadLine()
		w.Write([]byte("too slow\n")) // writes still work
		results <- res
	}}
	addr := serve(t, s, "tcp")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	stop := make(chan struct{})
	defer close(stop)
	go dribble(c, bytes.Repeat([]byte("x"), 1000), 10*time.Millisecond, stop)
	res := <-results
	if !errors.Is(res.err, os.ErrDeadlineExceeded) || !errors.Is(res.again, os.ErrDeadlineExceeded) {
		t.Errorf("reads of a dribbled line: %v, then %v; want os.ErrDeadlineExceeded twice", res.err, res.again)
	}
	var ne net.Error
	if !errors.As(res.err, &ne) || !ne.Timeout() {
		t.Errorf("the read's error %v is not a net.Error with Timeout()", res.err)
	}
	if res.took < timeout || res.took > 10*timeout {
		t.Errorf("the dribbled read failed after %v, want about %v", res.took, timeout)
	}
	t.Logf("a line dribbled a byte every 10 ms failed after %v (ReadTimeout %v)", res.took, timeout)
	got, _ := io.ReadAll(c)
	if string(got) != "too slow\n" {
		t.Errorf("client got %q, want the handler's reply then EOF", got)
	}
	// The peer may see the end before the server has counted the
	// connection as closed; Close waits for that.
	s.Close()
	if st := s.Stats(); st.ClosedByReadTimeout != 1 {
		t.Errorf("Stats().ClosedByReadTimeout = %d, want 1", st.ClosedByReadTimeout)
	}
	settleGoroutines(t, base)
}

// TestReadTimeoutCountsOnlyCalls: time between calls and calls served
// from the buffer do not count; each call gets the whole ReadTimeout.
func TestReadTimeoutCountsOnlyCalls(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	const timeout = 50 * time.Millisecond
	s := &netx.Server{ReadTimeout: timeout, Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		for {
			line, err := r.ReadLine()
			if err != nil {
				return
			}
			<-time.After(2 * timeout) // work longer than ReadTimeout between calls
			w.Write(line)
		}
	}}
	addr := serve(t, s, "tcp")
	r, w := dial(t, "tcp", addr)
	w.Write([]byte("one\ntwo\n")) // two is buffered when its call starts
	for _, want := range []string{"one\n", "two\n"} {
		if line, err := r.ReadLine(); err != nil || string(line) != want {
			t.Fatalf("ReadLine() = %q, %v; want %q", line, err, want)
		}
	}
	w.Write([]byte("three\n"))
	if line, err := r.ReadLine(); err != nil || string(line) != "three\n" {
		t.Fatalf("ReadLine() = %q, %v", line, err)
	}
}

// TestReadTimeoutLargeRead: a large ReadExactly that arrives at full speed
// is one call and finishes well within ReadTimeout.
func TestReadTimeoutLargeRead(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	const size = 8 << 20
	got := make(chan error, 1)
	s := &netx.Server{ReadTimeout: 5 * time.Second, Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		b, err := r.ReadExactly(size)
		if err == nil && len(b) != size {
			err = io.ErrShortBuffer
		}
		got <- err
	}}
	addr := serve(t, s, "tcp")
	_, w := dial(t, "tcp", addr)
	w.Write(make([]byte, size))
	if err := <-got; err != nil {
		t.Errorf("ReadExactly(%d): %v", size, err)
	}
}

// TestHandlerDeadlineComposes: the handler's own read deadline, earlier
// than ReadTimeout, fails only the read it ends; moved, reads go on.
func TestHandlerDeadlineComposes(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	first := make(chan error, 1)
	line := make(chan string, 1)
	s := &netx.Server{ReadTimeout: 10 * time.Second, IdleTimeout: 10 * time.Second, Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		w.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		_, err := r.ReadLine()
		first <- err
		w.SetReadDeadline(time.Time{})
		l, err := r.ReadLine()
		if err != nil {
			line <- err.Error()
			return
		}
		line <- string(l)
	}}
	addr := serve(t, s, "tcp")
	_, w := dial(t, "tcp", addr)
	w.Write([]byte("half ")) // the first read is mid-line when its deadline passes
	if err := <-first; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the handler's deadline: %v, want os.ErrDeadlineExceeded", err)
	}
	w.Write([]byte("and half\n"))
	if got := <-line; got != "half and half\n" {
		t.Errorf("after the deadline was cleared: %q, want the whole line", got)
	}
	if st := s.Stats(); st.ClosedByReadTimeout != 0 {
		t.Errorf("a handler's deadline counted as a ReadTimeout: %+v", st)
	}
}

// TestServerTimeoutBeatsLaterHandlerDeadline: a ReadTimeout that passes
// before the handler's deadline fails the read for good.
func TestServerTimeoutBeatsLaterHandlerDeadline(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	results := make(chan readResult, 1)
	s := &netx.Server{ReadTimeout: 30 * time.Millisecond, Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		w.SetReadDeadline(time.Now().Add(10 * time.Second))
		var res readResult
		_, res.err = r.ReadLine()
		w.SetReadDeadline(time.Time{})
		_, res.again = r.ReadLine()
		results <- res
	}}
	addr := serve(t, s, "tcp")
	dial(t, "tcp", addr)
	res := <-results
	if !errors.Is(res.err, os.ErrDeadlineExceeded) || !errors.Is(res.again, os.ErrDeadlineExceeded) {
		t.Errorf("reads: %v, %v; want the ReadTimeout twice", res.err, res.again)
	}
}

// TestSetReadDeadlineWakesWaitingRead: a deadline set from another
// goroutine ends a read that waits, also under the server's timeouts.
func TestSetReadDeadlineWakesWaitingRead(t *testing.T) {
	for _, plain := range []bool{false, true} {
		t.Run(map[bool]string{false: "lazy", true: "plain"}[plain], func(t *testing.T) {
			testenv.Watchdog(t, 20*time.Second)
			defer netx.SetPlainReads(plain)()
			got := make(chan error, 1)
			s := &netx.Server{IdleTimeout: time.Minute, ReadTimeout: time.Minute, Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
				go func() {
					waitBlocked(t, map[bool]string{false: lazyWait, true: plainWait}[plain], 1)
					w.SetReadDeadline(time.Now())
				}()
				_, err := r.ReadLine()
				got <- err
			}}
			addr := serve(t, s, "tcp")
			dial(t, "tcp", addr)
			if err := <-got; !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("read woken by SetReadDeadline: %v, want os.ErrDeadlineExceeded", err)
			}
		})
	}
}

// TestDialerReadTimeout: the pairs a Dialer returns obey its ReadTimeout.
func TestDialerReadTimeout(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	stop := make(chan struct{})
	defer close(stop)
	s := &netx.Server{Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		dribble(w, bytes.Repeat([]byte("y"), 1000), 10*time.Millisecond, stop)
	}}
	addr := serve(t, s, "tcp")
	d := netx.Dialer{ReadTimeout: 50 * time.Millisecond}
	r, w, err := d.Dial(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	_, err = r.ReadLine()
	_, again := r.ReadLine()
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.Is(again, os.ErrDeadlineExceeded) {
		t.Errorf("client reads of a dribbled line: %v, %v; want os.ErrDeadlineExceeded twice", err, again)
	}
}

// TestReadTimeoutTLS: ReadTimeout bounds reads through TLS too.
func TestReadTimeoutTLS(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	srvCfg, cliCfg := testCerts(t)
	got := make(chan error, 1)
	s := &netx.Server{TLSConfig: srvCfg, ReadTimeout: 50 * time.Millisecond, Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		_, err := r.ReadLine()
		got <- err
	}}
	addr := serve(t, s, "tcp")
	d := netx.Dialer{TLSConfig: cliCfg}
	_, w, err := d.Dial(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	stop := make(chan struct{})
	defer close(stop)
	go dribble(w, bytes.Repeat([]byte("z"), 1000), 10*time.Millisecond, stop)
	if err := <-got; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("TLS read of a dribbled line: %v, want os.ErrDeadlineExceeded", err)
	}
}
