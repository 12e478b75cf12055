package netx_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/frame"
	"github.com/streamkit/streamkit/internal/testenv"
	"github.com/streamkit/streamkit/netx"
)

// TestReadTimeoutCoversFrameNext: ReadTimeout bounds a frame.Reader's
// Next over the pair's Reader as it bounds the Reader's own calls: a
// frame dribbled a byte every 10 ms fails after about ReadTimeout, while
// a whole frame sent at once is read.
func TestReadTimeoutCoversFrameNext(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	base := goroutines(t)
	const timeout = 150 * time.Millisecond
	codec := frame.LengthPrefixed{Size: 2}
	results := make(chan readResult, 1)
	first := make(chan string, 1)
	s := &netx.Server{ReadTimeout: timeout, Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		fr := frame.NewReader(r, codec)
		p, err := fr.Next()
		if err != nil {
			first <- err.Error()
			return
		}
		first <- string(p)
		var res readResult
		start := time.Now()
		_, res.err = fr.Next()
		res.took = time.Since(start)
		results <- res
	}}
	addr := serve(t, s, "tcp")
	c := dialRaw(t, addr)
	whole, _ := codec.Append(nil, []byte("whole"))
	c.Write(whole)
	if got := <-first; got != "whole" {
		t.Fatalf("first frame: %q", got)
	}
	stop := make(chan struct{})
	defer close(stop)
	dribbled, _ := codec.Append(nil, make([]byte, 500))
	go dribble(c, dribbled, 10*time.Millisecond, stop)
	res := <-results
	if !errors.Is(res.err, os.ErrDeadlineExceeded) {
		t.Errorf("Next over a dribbled frame: %v, want os.ErrDeadlineExceeded", res.err)
	}
	if res.took < timeout || res.took > 10*timeout {
		t.Errorf("Next over a dribbled frame failed after %v, want about %v", res.took, timeout)
	}
	t.Logf("a frame dribbled a byte every 10 ms failed after %v (ReadTimeout %v)", res.took, timeout)
	s.Close()
	if st := s.Stats(); st.ClosedByReadTimeout != 1 {
		t.Errorf("Stats().ClosedByReadTimeout = %d, want 1", st.ClosedByReadTimeout)
	}
	settleGoroutines(t, base)
}
