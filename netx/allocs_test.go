package netx_test

import (
	"context"
	"testing"
	"time"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/internal/testenv"
	"github.com/streamkit/streamkit/netx"
)

// TestPingPongAllocatesNothing: the seed's idiom with the zero-copy reads,
// write a line and read its echo, allocates nothing per message on either
// side, whoever sends the bytes (the reader before it waits, or a blocking
// send).
func TestPingPongAllocatesNothing(t *testing.T) {
	testenv.Watchdog(t, 30*time.Second)
	if testenv.Race {
		t.Skip("the race detector allocates on its own")
	}
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			s := &netx.Server{Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
				for {
					line, err := r.ReadLineSlice()
					if err != nil {
						return
					}
					w.Write(line)
				}
			}}
			addr := serve(t, s, network)
			r, w := dial(t, network, addr)
			msg := []byte("a line of some sixty-four bytes, as the benchmarks send it....\n")
			pingPong := func() {
				if _, err := w.Write(msg); err != nil {
					t.Fatal(err)
				}
				if _, err := r.ReadLineSlice(); err != nil {
					t.Fatal(err)
				}
			}
			for range 100 { // buffers and goroutines settle
				pingPong()
			}
			if allocs := testing.AllocsPerRun(500, pingPong); allocs > 0 {
				t.Errorf("a ping-pong allocates %v times per message, want 0", allocs)
			}
		})
	}
}
