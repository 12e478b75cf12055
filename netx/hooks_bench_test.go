package netx_test

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/netx"
)

type benchKey struct{}

// BenchmarkServerHooks: the idiom's echo server without hooks and with
// every hook set (BaseContext, ConnContext, a ConnState that counts the
// transitions) and Stats read every millisecond from another goroutine, in
// one run: what an operator's hooks cost. The counters that Stats reads are
// kept either way (one atomic add per system call).
func BenchmarkServerHooks(b *testing.B) {
	for _, bench := range []string{"pipelined", "pingpong"} {
		for _, hooks := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/hooks=%v", bench, hooks), func(b *testing.B) {
				s := &netx.Server{Handler: netxIdiomSliceServer}
				var transitions atomic.Int64
				if hooks {
					s.BaseContext = func(net.Listener) context.Context { return context.Background() }
					s.ConnContext = func(ctx context.Context, _ net.Conn) context.Context {
						return context.WithValue(ctx, benchKey{}, 1)
					}
					s.ConnState = func(net.Conn, netx.ConnState) { transitions.Add(1) }
				}
				if err := s.Listen(context.Background(), "tcp", benchAddr(b, "tcp")); err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { s.Close() })
				if hooks {
					done := make(chan struct{})
					b.Cleanup(func() { close(done) })
					go func() {
						t := time.NewTicker(time.Millisecond)
						defer t.Stop()
						for {
							select {
							case <-done:
								return
							case <-t.C:
								s.Stats()
							}
						}
					}()
				}
				ps := dialNetx(b, "tcp", s.Addr().String(), 1)
				p := ps[0]
				line := benchPayload()
				b.SetBytes(benchLine)
				ctx := context.Background()
				stop := measureIO(b)
				if bench == "pipelined" {
					rounds(b, 1, func(_, n int) { idiomClientRound(b, p, line, n, (*bufio2.Reader).ReadLineSlice) })
				} else {
					for range b.N {
						if _, err := p.w.Write(line); err != nil {
							b.Fatal(err)
						}
						if err := p.w.Drain(ctx); err != nil {
							b.Fatal(err)
						}
						if _, err := p.r.ReadLineSlice(); err != nil {
							b.Fatal(err)
						}
					}
				}
				stop()
				if hooks && transitions.Load() == 0 {
					b.Fatal("ConnState was never called")
				}
			})
		}
	}
}
