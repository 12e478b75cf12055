package netx_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"slices"
	"sync"
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
	c := dialRaw(t, addr)
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

// slowlorisDribble writes a byte to each of conns every interval, never a
// whole line, until stop is closed; it stops writing to a connection once a
// write fails (the server closed it).
func slowlorisDribble(conns []net.Conn, interval time.Duration, stop <-chan struct{}) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	live := append([]net.Conn(nil), conns...)
	for len(live) > 0 {
		for i := 0; i < len(live); {
			if _, err := live[i].Write([]byte{'x'}); err != nil {
				live[i] = live[len(live)-1]
				live = live[:len(live)-1]
				continue
			}
			i++
		}
		select {
		case <-tick.C:
		case <-stop:
			return
		}
	}
}

// roundTrip dials addr, sends a line, reads the echo and returns how long
// that took.
func roundTrip(t testing.TB, addr string) time.Duration {
	t.Helper()
	start := time.Now()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("good client: %v", err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("ping\n")); err != nil {
		t.Fatalf("good client: %v", err)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatalf("good client: %v", err)
	}
	return time.Since(start)
}

func percentile(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[int(float64(len(s)-1)*p)]
}

// TestSlowloris: 1,000 connections that send a byte every 200 ms, never a
// whole line, are all closed by ReadTimeout (1 s) within 2 s, while a
// good client, dialing afresh for each request, is answered promptly.
func TestSlowloris(t *testing.T) {
	const n = 1000
	const readTimeout = time.Second
	raiseFiles(t, 2*n+200)
	testenv.Watchdog(t, 30*time.Second)
	base := goroutines(t)
	s := &netx.Server{ReadTimeout: readTimeout, Handler: echoHandler}
	addr := serve(t, s, "tcp")
	runtime.GC()
	rss0 := rss()
	conns := dialMany(t, addr, n)
	dialed := time.Now()
	stop := make(chan struct{})
	dribbled := make(chan struct{})
	go func() {
		defer close(dribbled)
		slowlorisDribble(conns, 200*time.Millisecond, stop)
	}()
	defer func() { close(stop); <-dribbled }()

	for s.Stats().Accepted < n {
		runtime.Gosched()
	}
	rssPeak := rss()
	var lat []time.Duration
	pace := time.NewTicker(10 * time.Millisecond)
	defer pace.Stop()
	var took time.Duration
	for {
		lat = append(lat, roundTrip(t, addr))
		if s.Stats().ClosedByReadTimeout == n {
			took = time.Since(dialed)
			break
		}
		<-pace.C
	}
	runtime.GC()
	rss1 := rss()
	p50, max := percentile(lat, 0.5), percentile(lat, 1)
	t.Logf("%d slowloris connections closed by ReadTimeout %v within %v of dialing; good client: %d round trips, p50 %v, p90 %v, max %v",
		n, readTimeout, took, len(lat), p50, percentile(lat, 0.9), max)
	t.Logf("RSS: %d KiB before dialing, %d KiB with the connections accepted, %d KiB after they closed", rss0>>10, rssPeak>>10, rss1>>10)
	limit, latLimit := 2*time.Second, 10*time.Millisecond
	if raceEnabled {
		limit, latLimit = 2*limit, 5*latLimit // the race detector slows every handler
	}
	if took > limit {
		t.Errorf("slowloris connections closed within %v, want %v", took, limit)
	}
	if p50 > latLimit {
		t.Errorf("good client's median round trip %v, want at most %v", p50, latLimit)
	}
	s.Close()
	st := s.Stats()
	checkStatsSum(t, st)
	if st.ClosedByReadTimeout != n {
		t.Errorf("Stats %+v: %d closed by ReadTimeout, want %d", st, st.ClosedByReadTimeout, n)
	}
	close(stop)
	<-dribbled
	stop = make(chan struct{}) // for the deferred close
	for _, c := range conns {
		c.Close()
	}
	settleGoroutines(t, base)
}

// TestSlowlorisMaxConns: with MaxConns connections held by dribblers, a
// legitimate client waits in the backlog and is served once ReadTimeout
// has cut the dribblers.
func TestSlowlorisMaxConns(t *testing.T) {
	const n = 100
	const readTimeout = 500 * time.Millisecond
	raiseFiles(t, 2*n+200)
	testenv.Watchdog(t, 30*time.Second)
	base := goroutines(t)
	s := &netx.Server{
		ReadTimeout: readTimeout,
		MaxConns:    n,
		Logger:      slog.New(&recordHandler{}),
		Handler:     echoHandler,
	}
	addr := serve(t, s, "tcp")
	conns := dialMany(t, addr, n)
	stop := make(chan struct{})
	dribbled := make(chan struct{})
	go func() {
		defer close(dribbled)
		slowlorisDribble(conns, 100*time.Millisecond, stop)
	}()
	for s.Stats().Open < n {
		runtime.Gosched()
	}
	const good = 5
	lat := make([]time.Duration, good)
	var wg sync.WaitGroup
	for i := range good {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat[i] = roundTrip(t, addr)
		}()
	}
	wg.Wait()
	t.Logf("with %d dribblers holding MaxConns, %d good clients served after %v to %v (ReadTimeout %v)",
		n, good, percentile(lat, 0), percentile(lat, 1), readTimeout)
	if max := percentile(lat, 1); max > readTimeout+2*time.Second {
		t.Errorf("good clients served after up to %v, want within ReadTimeout %v and slack", max, readTimeout)
	}
	for s.Stats().ClosedByReadTimeout < n {
		runtime.Gosched()
	}
	close(stop)
	<-dribbled
	s.Close()
	st := s.Stats()
	checkStatsSum(t, st)
	if st.ClosedByReadTimeout != n || st.MaxConnsWaits == 0 {
		t.Errorf("Stats %+v: want %d closed by ReadTimeout and MaxConns waits", st, n)
	}
	for _, c := range conns {
		c.Close()
	}
	settleGoroutines(t, base)
}

// TestReadDeadlineWithoutMonotonicReading: a deadline given as a wall-clock
// time (no monotonic reading, as time.Date or time.Unix make) passes when
// the wall clock says so, and a zero time clears it.
func TestReadDeadlineWithoutMonotonicReading(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	got := make(chan error, 2)
	s := &netx.Server{Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		w.SetReadDeadline(time.Now().Add(50 * time.Millisecond).Round(0))
		_, err := r.ReadLine()
		got <- err
		w.SetReadDeadline(time.Time{})
		_, err = r.ReadLine()
		got <- err
	}}
	addr := serve(t, s, "tcp")
	_, c := dial(t, "tcp", addr)
	start := time.Now()
	if err := <-got; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past a wall-clock deadline: %v, want os.ErrDeadlineExceeded", err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("the 50 ms deadline passed after %v", d)
	}
	if _, err := c.Write([]byte("after\n")); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Errorf("read after the deadline was cleared: %v", err)
	}
}
