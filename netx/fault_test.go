package netx_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/internal/testenv"
	"github.com/streamkit/streamkit/netx"
)

// reset closes c with SO_LINGER 0: the peer gets a RST, not a FIN.
func reset(t *testing.T, c net.Conn) {
	t.Helper()
	if err := c.(*net.TCPConn).SetLinger(0); err != nil {
		t.Fatal(err)
	}
	c.Close()
}

type handlerResult struct {
	err   error
	cause error
}

func TestResetMidFrame(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	got := make(chan []byte, 1)
	results := make(chan handlerResult, 1)
	s := &netx.Server{Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		b, _ := r.Peek(len("half a"))
		got <- append([]byte(nil), b...)
		_, err := r.ReadLine() // the frame never ends: the peer resets
		<-ctx.Done()
		results <- handlerResult{err, context.Cause(ctx)}
	}}
	addr := serve(t, s, "tcp")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("half a line"))
	if b := <-got; string(b) != "half a" {
		t.Fatalf("server got %q", b)
	}
	reset(t, c)
	res := <-results
	if !errors.Is(res.err, syscall.ECONNRESET) {
		t.Errorf("handler's read after the reset: %v, want ECONNRESET", res.err)
	}
	if !errors.Is(res.cause, syscall.ECONNRESET) {
		t.Errorf("handler's context cause: %v, want ECONNRESET", res.cause)
	}
}

func TestResetWhileServerWrites(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	results := make(chan handlerResult, 1)
	s := &netx.Server{Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		chunk := bytes.Repeat([]byte("p"), 4096)
		var err error
		for err == nil {
			if _, err = w.Write(chunk); err == nil {
				err = w.Drain(ctx)
			}
		}
		<-ctx.Done()
		results <- handlerResult{err, context.Cause(ctx)}
	}}
	addr := serve(t, s, "tcp")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Read(make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	reset(t, c)
	res := <-results
	if !errors.Is(res.err, syscall.ECONNRESET) && !errors.Is(res.err, syscall.EPIPE) && !errors.Is(res.err, context.Canceled) {
		t.Errorf("handler's write after the reset: %v, want ECONNRESET or EPIPE", res.err)
	}
	if !errors.Is(res.cause, syscall.ECONNRESET) && !errors.Is(res.cause, syscall.EPIPE) {
		t.Errorf("handler's context cause: %v, want ECONNRESET or EPIPE", res.cause)
	}
}

// TestSlowReader: a server pushing 64 MiB to a client that does not read
// sees Drain return its context's error with the Writer's buffer bounded,
// while other clients are served as usual.
func TestSlowReader(t *testing.T) {
	testenv.Watchdog(t, 30*time.Second)
	type pushResult struct {
		err      error
		sent     int
		buffered int
	}
	pushed := make(chan pushResult, 1)
	s := &netx.Server{Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		line, err := r.ReadLine()
		if err != nil {
			return
		}
		if string(line) != "push\n" {
			w.Write(line)
			echoHandler(ctx, r, w)
			return
		}
		dctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		chunk := make([]byte, 64<<10)
		res := pushResult{}
		for res.sent < 64<<20 {
			if _, res.err = w.Write(chunk); res.err != nil {
				break
			}
			res.sent += len(chunk)
			if res.err = w.Drain(dctx); res.err != nil {
				break
			}
		}
		res.buffered = w.Buffered()
		pushed <- res
	}}
	addr := serve(t, s, "tcp")
	_, slow := dial(t, "tcp", addr)
	slow.Write([]byte("push\n")) // and never read

	// Other clients meanwhile.
	var wg sync.WaitGroup
	for id := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, w, err := netx.Dial(context.Background(), "tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer w.Close()
			for i := range 500 {
				w.Write([]byte(testLine(id, i)))
				line, err := r.ReadLine()
				if err != nil || string(line) != testLine(id, i) {
					t.Errorf("client %d: ReadLine() = %q, %v", id, line, err)
					return
				}
			}
		}()
	}
	res := <-pushed
	wg.Wait()
	if !errors.Is(res.err, context.DeadlineExceeded) {
		t.Errorf("push to a client that does not read ended with %v after %d bytes, want context.DeadlineExceeded", res.err, res.sent)
	}
	if res.buffered > netx.DefaultHighWater {
		t.Errorf("%d bytes buffered, more than the high-water mark %d", res.buffered, netx.DefaultHighWater)
	}
}

// TestOverlongLine: a line far over the limit fails with
// *errs.LimitOverrunError in O(limit) memory, and the next line is read.
func TestOverlongLine(t *testing.T) {
	testenv.Watchdog(t, 60*time.Second)
	const limit = 4 << 10
	const size = 32 << 20
	type result struct {
		first  error
		second string
	}
	results := make(chan result, 1)
	s := &netx.Server{Limit: limit, Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		var res result
		_, res.first = r.ReadLine()
		line, err := r.ReadLine()
		res.second = string(line)
		if err != nil {
			res.second = err.Error()
		}
		results <- res
	}}
	addr := serve(t, s, "tcp")
	c := dialRaw(t, addr)
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for sent := 0; sent < size; sent += len(chunk) {
		if _, err := c.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	c.Write([]byte("\nnext\n"))
	res := <-results
	runtime.ReadMemStats(&after)
	var over *errs.LimitOverrunError
	if !errors.As(res.first, &over) || over.Limit != limit {
		t.Errorf("overlong line: %v, want *errs.LimitOverrunError with limit %d", res.first, limit)
	}
	if res.second != "next\n" {
		t.Errorf("line after the overlong one: %q, want %q", res.second, "next\n")
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("%s allocated while skipping a %d-byte line with limit %d", fmt.Sprintf("%.1f MiB", float64(alloc)/(1<<20)), size, limit)
	}
}
