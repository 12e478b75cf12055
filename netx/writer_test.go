package netx_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/internal/testenv"
	"github.com/streamkit/streamkit/netx"
)

// gateConn counts the Write calls that reach the connection; while gate is
// open (not closed), every Write waits for it first.
type gateConn struct {
	net.Conn
	gate    chan struct{} // nil: no waiting
	entered chan struct{} // receives once a Write has started, if not nil

	mu     sync.Mutex
	writes int
}

func (g *gateConn) Write(p []byte) (int, error) {
	g.mu.Lock()
	g.writes++
	g.mu.Unlock()
	if g.entered != nil {
		select {
		case g.entered <- struct{}{}:
		default:
		}
	}
	if g.gate != nil {
		<-g.gate
	}
	return g.Conn.Write(p)
}

func (g *gateConn) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.writes
}

// readAllAsync reads c to the end in the background.
func readAllAsync(c net.Conn) <-chan []byte {
	ch := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(c)
		ch <- b
	}()
	return ch
}

func TestWriteCoalescesBackToBackWrites(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	client, server := connPair(t, "tcp")
	g := &gateConn{Conn: client, gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	_, w := netx.Wrap(g, 0)
	got := readAllAsync(server)

	var want bytes.Buffer
	for i := range 1000 {
		line := fmt.Sprintf("line %d\n", i)
		want.WriteString(line)
		if _, err := w.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			<-g.entered // the flusher holds the first line and waits at the gate
		}
	}
	close(g.gate)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.String(), string(<-got)); diff != "" {
		t.Errorf("bytes received (-want +got):\n%s", diff)
	}
	// One write for the first line, one for the 999 written while it was
	// in flight.
	if n := g.count(); n != 2 {
		t.Errorf("1000 writes issued back to back reached the connection as %d writes, want 2", n)
	}
}

func TestReadSideFlushCoalescesReplies(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	client, server := connPair(t, "tcp")
	g := &gateConn{Conn: server}
	r, w := netx.Wrap(g, 0)
	const n = 2000
	var req bytes.Buffer
	for i := range n {
		fmt.Fprintf(&req, "%d\n", i)
	}
	go client.Write(req.Bytes())
	handlerDone := make(chan error, 1)
	go func() {
		for range n {
			line, err := r.ReadLineSlice()
			if err != nil {
				handlerDone <- err
				return
			}
			if _, err := w.Write(line); err != nil {
				handlerDone <- err
				return
			}
		}
		_, err := r.ReadLineSlice() // blocks: the replies must go out first
		handlerDone <- err
	}()
	br := bufio.NewReader(client)
	for i := range n {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("%d\n", i); line != want {
			t.Fatalf("reply %d = %q, want %q", i, line, want)
		}
	}
	client.Close()
	if err := <-handlerDone; err != io.EOF {
		t.Errorf("handler's last read: %v, want io.EOF", err)
	}
	// Without coalescing there would be one write per reply.
	if c := g.count(); c > n/4 {
		t.Errorf("%d replies took %d writes, want at most %d", n, c, n/4)
	}
	w.Close()
}

func TestWriteDoesNotBlockBelowHighWater(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	c1, c2 := net.Pipe() // synchronous: nothing is taken until c2 reads
	defer c2.Close()
	_, w := netx.Wrap(c1, 0)
	defer w.Abort()
	high, low := w.WriteBufferLimits()
	if high != netx.DefaultHighWater || low != netx.DefaultHighWater/4 {
		t.Fatalf("WriteBufferLimits() = %d, %d; want %d, %d", high, low, netx.DefaultHighWater, netx.DefaultHighWater/4)
	}
	p := bytes.Repeat([]byte("a"), 1000)
	total := 0
	for total+len(p) <= high {
		if _, err := w.Write(p); err != nil {
			t.Fatal(err)
		}
		total += len(p)
	}
	if got := w.Buffered(); got != total {
		t.Errorf("Buffered() = %d, want %d (the peer has read nothing)", got, total)
	}
	got := make([]byte, total)
	if _, err := io.ReadFull(c2, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, bytes.Repeat([]byte("a"), total)) {
		t.Error("wrong bytes received")
	}
}

func TestWriteAboveHighWaterBlocksUntilLowWater(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	c1, c2 := net.Pipe()
	defer c2.Close()
	_, w := netx.Wrap(c1, 0)
	defer w.Abort()
	w.SetWriteBufferLimits(100, 20)

	if _, err := w.Write(bytes.Repeat([]byte("a"), 60)); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("b"), 150)
	done := make(chan error, 1)
	go func() {
		_, err := w.Write(big)
		done <- err
	}()
	got := make([]byte, 60+150-1)
	if _, err := io.ReadFull(c2, got); err != nil {
		t.Fatal(err)
	}
	// One byte of the big write is still unread: the Write cannot have
	// returned.
	select {
	case err := <-done:
		t.Fatalf("Write above the high-water mark returned (%v) before its bytes were taken", err)
	default:
	}
	last := make([]byte, 1)
	if _, err := io.ReadFull(c2, last); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := string(bytes.Repeat([]byte("a"), 60)) + string(big)
	if diff := cmp.Diff(want, string(got)+string(last)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if b := w.Buffered(); b != 0 {
		t.Errorf("Buffered() = %d after the peer read everything", b)
	}
}

func TestWriteDeadlineWhileBlocked(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	c1, c2 := net.Pipe()
	defer c2.Close()
	_, w := netx.Wrap(c1, 0)
	defer w.Abort()
	w.SetWriteBufferLimits(100, 20)
	c1.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
	_, err := w.Write(make([]byte, 200))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Write past the write deadline: %v, want os.ErrDeadlineExceeded", err)
	}
	// Sticky: the Writer is broken.
	c1.SetWriteDeadline(time.Time{})
	if _, err2 := w.Write([]byte("x")); !errors.Is(err2, os.ErrDeadlineExceeded) {
		t.Errorf("later Write: %v, want the same error", err2)
	}
	if err2 := w.Drain(context.Background()); !errors.Is(err2, os.ErrDeadlineExceeded) {
		t.Errorf("later Drain: %v, want the same error", err2)
	}
}

func TestWritePastDeadline(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			testenv.Watchdog(t, 20*time.Second)
			client, _ := connPair(t, network)
			_, w := netx.Wrap(client, 0)
			client.SetWriteDeadline(time.Now().Add(-time.Second))
			// Sent at once without a copy: fails at once.
			if _, err := w.Write(make([]byte, 32<<10)); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("large Write past the deadline: %v, want os.ErrDeadlineExceeded", err)
			}
			_, w = netx.Wrap(client, 0)
			w.SetWriteBufferLimits(100, 0) // Drain waits for an empty buffer
			// Buffered: the flusher fails, and the error is sticky.
			if _, err := w.Write([]byte("small\n")); err != nil {
				t.Fatalf("small Write: %v", err)
			}
			if err := w.Drain(context.Background()); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("Drain past the deadline: %v, want os.ErrDeadlineExceeded", err)
			}
			if _, err := w.Write([]byte("x")); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("Write after the failure: %v, want the sticky os.ErrDeadlineExceeded", err)
			}
			_, w = netx.Wrap(client, 0)
			// Above the high-water mark: the blocking write fails.
			if _, err := w.Write(make([]byte, 1<<20)); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("Write above the high-water mark past the deadline: %v, want os.ErrDeadlineExceeded", err)
			}
		})
	}
}

func TestDrain(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	c1, c2 := net.Pipe()
	defer c2.Close()
	_, w := netx.Wrap(c1, 0)
	defer w.Abort()
	w.SetWriteBufferLimits(100, 20)

	if err := w.Drain(context.Background()); err != nil {
		t.Fatalf("Drain of an empty Writer: %v", err)
	}
	if _, err := w.Write(make([]byte, 50)); err != nil {
		t.Fatal(err)
	}

	// ctx's error when the peer does not read.
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(10*time.Millisecond, cancel)
	if err := w.Drain(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Drain with a cancelled context: %v, want context.Canceled", err)
	}

	// Several goroutines at once.
	const waiters = 10
	errc := make(chan error, waiters)
	for range waiters {
		go func() { errc <- w.Drain(context.Background()) }()
	}
	if _, err := io.ReadFull(c2, make([]byte, 50)); err != nil {
		t.Fatal(err)
	}
	for range waiters {
		if err := <-errc; err != nil {
			t.Errorf("Drain: %v", err)
		}
	}

	// The connection's error.
	if _, err := w.Write(make([]byte, 50)); err != nil {
		t.Fatal(err)
	}
	go func() { errc <- w.Drain(context.Background()) }()
	c2.Close()
	if err := <-errc; !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("Drain after the peer closed: %v, want io.ErrClosedPipe", err)
	}
	if _, err := w.Write([]byte("x")); !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("Write after the connection failed: %v, want the sticky io.ErrClosedPipe", err)
	}
}

func TestSetWriteBufferLimits(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	tests := []struct {
		high, low         int
		wantHigh, wantLow int
	}{
		{-1, -1, netx.DefaultHighWater, netx.DefaultHighWater / 4},
		{1000, -1, 1000, 250},
		{-1, 100, 400, 100},
		{0, -1, 0, 0},
		{10, 10, 10, 10},
		{500, 0, 500, 0},
	}
	c1, c2 := net.Pipe()
	defer c2.Close()
	_, w := netx.Wrap(c1, 0)
	defer w.Abort()
	for _, tt := range tests {
		w.SetWriteBufferLimits(tt.high, tt.low)
		high, low := w.WriteBufferLimits()
		if high != tt.wantHigh || low != tt.wantLow {
			t.Errorf("SetWriteBufferLimits(%d, %d) gave %d, %d; want %d, %d", tt.high, tt.low, high, low, tt.wantHigh, tt.wantLow)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("SetWriteBufferLimits(10, 20) did not panic")
		}
	}()
	w.SetWriteBufferLimits(10, 20)
}

func TestWriteLinesKeepsOrder(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	client, server := connPair(t, "tcp")
	g := &gateConn{Conn: client, gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	_, w := netx.Wrap(g, 0)
	got := readAllAsync(server)

	big := bytes.Repeat([]byte("B"), 20<<10)
	var want bytes.Buffer
	write := func(bufs ...[]byte) {
		for _, b := range bufs {
			want.Write(b)
		}
		if err := w.WriteLines(bufs...); err != nil {
			t.Fatal(err)
		}
	}
	write([]byte("a\n"))
	<-g.entered
	write([]byte("b\n"), []byte("c\n"))
	write(big, []byte("\n"))
	if _, err := w.Write([]byte("d\n")); err != nil {
		t.Fatal(err)
	}
	want.WriteString("d\n")
	write()
	close(g.gate)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.String(), string(<-got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestWriteDoesNotRetain writes large buffers that the kernel cannot take
// at once (small socket buffers), overwrites them as soon as each call
// returns, and checks that the peer gets what was written.
func TestWriteDoesNotRetain(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			w, got := smallBuffers(t, network)
			var want bytes.Buffer
			buf := make([]byte, 24<<10)
			parts := [][]byte{make([]byte, 5000), make([]byte, 7000), make([]byte, 9000)}
			for i := range 20 {
				fill(buf, byte('a'+i))
				want.Write(buf)
				if _, err := w.Write(buf); err != nil {
					t.Fatal(err)
				}
				fill(buf, '!')
				for j, p := range parts {
					fill(p, byte('A'+i+j))
					want.Write(p)
				}
				if err := w.WriteLines(parts...); err != nil {
					t.Fatal(err)
				}
				for _, p := range parts {
					fill(p, '!')
				}
			}
			// A write above the high-water mark goes straight from the
			// caller's slice.
			huge := bytes.Repeat([]byte("H"), 200<<10)
			want.Write(huge)
			if _, err := w.Write(huge); err != nil {
				t.Fatal(err)
			}
			fill(huge, '!')
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if g := <-got; !bytes.Equal(g, want.Bytes()) {
				t.Errorf("received %d bytes that differ from the %d written", len(g), want.Len())
			}
		})
	}
}

func fill(p []byte, c byte) {
	for i := range p {
		p[i] = c
	}
}

// setBuffers makes the kernel's socket buffers small, so that large writes
// are taken in parts.
func setBuffers(t *testing.T, client, server net.Conn, n int) {
	t.Helper()
	type bufferer interface {
		SetWriteBuffer(int) error
		SetReadBuffer(int) error
	}
	if err := client.(bufferer).SetWriteBuffer(n); err != nil {
		t.Fatal(err)
	}
	if err := server.(bufferer).SetReadBuffer(n); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentWriters(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			testenv.Watchdog(t, 30*time.Second)
			client, server := connPair(t, network)
			_, w := netx.Wrap(client, 0)
			const writers, lines = 8, 500
			var wg sync.WaitGroup
			for g := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range lines {
						var err error
						if i%2 == 0 {
							_, err = w.Write([]byte(fmt.Sprintf("%d %d %s\n", g, i, strings.Repeat("w", i%40))))
						} else {
							err = w.WriteLines([]byte(fmt.Sprintf("%d %d ", g, i)), []byte(strings.Repeat("l", i%300)), []byte("\n"))
						}
						if err != nil {
							t.Error(err)
							return
						}
						if i%100 == 0 {
							if err := w.Drain(context.Background()); err != nil {
								t.Error(err)
								return
							}
						}
					}
				}()
			}
			got := readAllAsync(server)
			wg.Wait()
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			next := make([]int, writers)
			sc := bufio.NewScanner(bytes.NewReader(<-got))
			for sc.Scan() {
				f := strings.SplitN(sc.Text(), " ", 3)
				if len(f) != 3 {
					t.Fatalf("garbled line %q", sc.Text())
				}
				var g, i int
				fmt.Sscan(f[0], &g)
				fmt.Sscan(f[1], &i)
				rest := f[2]
				if g < 0 || g >= writers || i != next[g] {
					t.Fatalf("line %q out of order", sc.Text())
				}
				wantRest := strings.Repeat("w", i%40)
				if i%2 == 1 {
					wantRest = strings.Repeat("l", i%300)
				}
				if rest != wantRest {
					t.Fatalf("line %q is not contiguous", sc.Text())
				}
				next[g]++
			}
			for g, n := range next {
				if n != lines {
					t.Errorf("writer %d: %d lines received, want %d", g, n, lines)
				}
			}
		})
	}
}

func TestCloseFlushes(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			testenv.Watchdog(t, 20*time.Second)
			client, server := connPair(t, network)
			_, w := netx.Wrap(client, 0)
			got := readAllAsync(server)
			var want bytes.Buffer
			for i := range 2000 {
				line := fmt.Sprintf("%d %s\n", i, strings.Repeat("z", i%500))
				want.WriteString(line)
				if _, err := w.Write([]byte(line)); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if g := <-got; !bytes.Equal(g, want.Bytes()) {
				t.Errorf("received %d bytes, want the %d written before Close", len(g), want.Len())
			}
		})
	}
}

func TestCloseIsBoundedAndIdempotent(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	client, server := connPair(t, "tcp") // the server end never reads
	setBuffers(t, client, server, 64<<10)
	_, w := netx.Wrap(client, 0)
	w.SetWriteBufferLimits(1<<30, -1)
	w.SetCloseTimeout(50 * time.Millisecond)
	chunk := make([]byte, 1<<20)
	for range 8 { // more than the kernel's buffers hold
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	errs := make(chan error, 2)
	for range 2 {
		go func() { errs <- w.Close() }()
	}
	err1, err2 := <-errs, <-errs
	if !errors.Is(err1, os.ErrDeadlineExceeded) {
		t.Errorf("Close with a peer that does not read: %v, want os.ErrDeadlineExceeded", err1)
	}
	if err1 != err2 {
		t.Errorf("two Close calls returned %v and %v, want the same", err1, err2)
	}
	if err := w.Close(); err != err1 {
		t.Errorf("third Close: %v, want %v", err, err1)
	}
	if _, err := w.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Write after Close: %v, want net.ErrClosed", err)
	}
}

func TestAbortDropsUnsent(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	c1, c2 := net.Pipe()
	_, w := netx.Wrap(c1, 0)
	if _, err := w.Write([]byte("never read")); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	if _, err := c2.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("peer's read after Abort: %v, want io.EOF", err)
	}
	if _, err := w.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Write after Abort: %v, want net.ErrClosed", err)
	}
	if err := w.Abort(); err != nil {
		t.Errorf("second Abort: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("Close after Abort: %v", err)
	}
}

func TestAbortCutsCloseShort(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	c1, c2 := net.Pipe()
	defer c2.Close()
	_, w := netx.Wrap(c1, 0)
	w.SetCloseTimeout(time.Hour)
	if _, err := w.Write([]byte("never read")); err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() { closed <- w.Close() }()
	// Close waits for the peer, which never reads; Abort ends it. Wait
	// until Close has begun: then writes fail.
	for {
		if _, err := w.Write(nil); err != nil {
			break
		}
		runtime.Gosched()
	}
	if err := w.Abort(); err != nil {
		t.Errorf("Abort: %v", err)
	}
	if err := <-closed; !errors.Is(err, net.ErrClosed) {
		t.Errorf("Close cut short by Abort: %v, want an error matching net.ErrClosed", err)
	}
}

func TestWriterOwnsNoGoroutineWhenIdle(t *testing.T) {
	testenv.Watchdog(t, 30*time.Second)
	base := goroutines(t)
	const pairs = 20
	var ws []*netx.Writer
	for range pairs {
		client, server := connPair(t, "tcp")
		_, w := netx.Wrap(client, 0)
		sr, sw := netx.Wrap(server, 0)
		ws = append(ws, w, sw)
		for i := range 100 {
			if _, err := w.Write([]byte(fmt.Sprintf("%d\n", i))); err != nil {
				t.Fatal(err)
			}
		}
		for range 100 {
			line, err := sr.ReadLine()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sw.Write(line); err != nil {
				t.Fatal(err)
			}
		}
		if err := sw.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// Nothing is pending: every flusher has exited.
	settleGoroutines(t, base)
	for _, w := range ws {
		w.Close()
	}
	settleGoroutines(t, base)
}

func TestWriteEOFUnsupported(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	c1, c2 := net.Pipe()
	defer c2.Close()
	_, w := netx.Wrap(c1, 0)
	defer w.Abort()
	if w.CanWriteEOF() {
		t.Error("CanWriteEOF() = true for net.Pipe")
	}
	if err := w.WriteEOF(); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("WriteEOF on net.Pipe: %v, want errors.ErrUnsupported", err)
	}
}

// TestPingPongWithoutDrain checks that a writer that then reads sends
// before it waits, on every kind of connection.
func TestPingPongWithoutDrain(t *testing.T) {
	kinds := map[string]func(t *testing.T) (net.Conn, net.Conn){
		"tcp":  func(t *testing.T) (net.Conn, net.Conn) { return connPair(t, "tcp") },
		"unix": func(t *testing.T) (net.Conn, net.Conn) { return connPair(t, "unix") },
		"pipe": func(t *testing.T) (net.Conn, net.Conn) { return net.Pipe() },
	}
	for name, mk := range kinds {
		t.Run(name, func(t *testing.T) {
			testenv.Watchdog(t, 20*time.Second)
			c1, c2 := mk(t)
			r1, w1 := netx.Wrap(c1, 0)
			r2, w2 := netx.Wrap(c2, 0)
			defer w1.Close()
			go func() {
				defer w2.Close()
				echoHandler(context.Background(), r2, w2)
			}()
			for i := range 200 {
				want := fmt.Sprintf("ping %d\n", i)
				if _, err := w1.Write([]byte(want)); err != nil {
					t.Fatal(err)
				}
				got, err := r1.ReadLine()
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != want {
					t.Fatalf("got %q, want %q", got, want)
				}
			}
		})
	}
}

// TestWriteThenWaitIsSent: a handler that writes and then waits on
// something other than a read still gets its bytes out.
func TestWriteThenWaitIsSent(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	release := make(chan struct{})
	s := &netx.Server{Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		for range 3 {
			if _, err := r.ReadLine(); err != nil {
				return
			}
			w.Write([]byte("reply\n"))
		}
		w.Write([]byte("pushed\n"))
		<-release
	}}
	addr := serve(t, s, "tcp")
	defer close(release)
	r, w := dial(t, "tcp", addr)
	// The handler has read before: its reader is between reads when it
	// writes, so the Writer waits briefly for a read that never comes.
	for range 3 {
		w.Write([]byte("req\n"))
		if line, err := r.ReadLine(); err != nil || string(line) != "reply\n" {
			t.Fatalf("ReadLine() = %q, %v", line, err)
		}
	}
	if line, err := r.ReadLine(); err != nil || string(line) != "pushed\n" {
		t.Fatalf("ReadLine() = %q, %v; want the pushed line", line, err)
	}
}

// TestPushWithoutReading: a handler that read once and then only writes,
// one message at a time, gets every message out without a read to carry
// it.
func TestPushWithoutReading(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	msgs := make(chan string)
	s := &netx.Server{Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		if _, err := r.ReadLine(); err != nil {
			return
		}
		for {
			select {
			case m := <-msgs:
				w.Write([]byte(m))
			case <-ctx.Done():
				return
			}
		}
	}}
	addr := serve(t, s, "tcp")
	r, w := dial(t, "tcp", addr)
	w.Write([]byte("subscribe\n"))
	for i := range 50 {
		want := fmt.Sprintf("message %d\n", i)
		msgs <- want
		line, err := r.ReadLine()
		if err != nil || string(line) != want {
			t.Fatalf("ReadLine() = %q, %v; want %q", line, err, want)
		}
	}
}

// TestPushWithinTwoSweeps states the bound for a server push that no read
// follows: its bytes wait for the handler's next read, and the sweeper's
// second tick after the write sends them at the latest (the tick is 1 ms,
// so within 2 ms). The test drives the sweeper's clock by hand.
func TestPushWithinTwoSweeps(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	defer netx.StopSweepClock()()
	queued := make(chan int)
	release := make(chan struct{})
	defer close(release)
	s := &netx.Server{Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		if _, err := r.ReadLine(); err != nil {
			return
		}
		w.Write([]byte("reply\n")) // sent by the handler's next read
		if _, err := r.ReadLine(); err != nil {
			return
		}
		w.Write([]byte("pushed\n")) // no read follows
		queued <- w.Buffered()
		<-release
	}}
	addr := serve(t, s, "tcp")
	r, w := dial(t, "tcp", addr)
	w.Write([]byte("one\n"))
	if line, err := r.ReadLine(); err != nil || string(line) != "reply\n" {
		t.Fatalf("ReadLine() = %q, %v; want the reply", line, err)
	}
	// The client writes and then reads, which sends "two" (with the clock
	// stopped, nothing else would); the read waits for the push.
	w.Write([]byte("two\n"))
	type result struct {
		line []byte
		err  error
	}
	got := make(chan result, 1)
	go func() {
		line, err := r.ReadLine()
		got <- result{line, err}
	}()
	if n := <-queued; n != len("pushed\n") {
		t.Fatalf("before any sweep the handler's Writer holds %d bytes, want %d (nobody sends them yet)", n, len("pushed\n"))
	}
	netx.SweepTick() // the Writer was listed during this interval
	netx.SweepTick() // now it is due: a flusher sends the push
	if res := <-got; res.err != nil || string(res.line) != "pushed\n" {
		t.Fatalf("ReadLine() = %q, %v; want the pushed line", res.line, res.err)
	}
}

// TestWriteLinesManyBuffers sends WriteLines calls large enough to go to
// the kernel straight from the caller's slices, with from 1 to 100
// buffers (some empty) and small socket buffers, so that the vectored
// writes take several system calls and stop part way; the peer must get
// every byte in order.
func TestWriteLinesManyBuffers(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			w, got := smallBuffers(t, network)
			var want bytes.Buffer
			for i, n := range []int{1, 2, 3, 8, 9, 16, 17, 100} {
				parts := make([][]byte, n)
				for j := range parts {
					size := (40 << 10) / n
					if j%4 == 1 {
						size = 0
					}
					parts[j] = bytes.Repeat([]byte{byte('a' + (i*7+j)%26)}, size)
					want.Write(parts[j])
				}
				if err := w.WriteLines(parts...); err != nil {
					t.Fatal(err)
				}
				for _, p := range parts {
					fill(p, '!') // the Writer must not have kept them
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if g := <-got; !bytes.Equal(g, want.Bytes()) {
				t.Errorf("the peer got %d bytes, want %d (first difference at %d)", len(g), want.Len(), firstDiff(g, want.Bytes()))
			}
		})
	}
}

// smallBuffers returns a Writer over a connection whose socket buffers
// are 32 KiB, so that large writes take several system calls, and what its
// peer reads until the end of the stream.
func smallBuffers(t *testing.T, network string) (*netx.Writer, <-chan []byte) {
	testenv.Watchdog(t, 20*time.Second)
	client, server := connPair(t, network)
	setBuffers(t, client, server, 32<<10)
	_, w := netx.Wrap(client, 0)
	return w, readAllAsync(server)
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
