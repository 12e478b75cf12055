package netx_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamkit/streamkit/internal/testenv"
	"github.com/streamkit/streamkit/netx"
)

// loadScale returns the load test's size: 200 clients × 2,000 lines (about
// 100 MB each way), a few seconds on two cores. Under the race detector
// (ten times slower) the clients send 500 lines each, and with -short 50
// clients send 200.
func loadScale() (clients, lines int) {
	switch {
	case testing.Short():
		return 50, 200
	case raceEnabled:
		return 200, 500
	}
	return 200, 2000
}

// loadLines returns client id's lines: random lengths from 1 to 512 bytes,
// '\n' included, from a seed of its own, so that both sides can make them.
func loadLine(rng *rand.Rand, id, i int) string {
	n := rng.IntN(512)
	head := fmt.Sprintf("%d.%d:", id, i)
	if n < len(head) {
		return head[:n] + "\n"
	}
	return head + strings.Repeat(string(rune('a'+(id+i)%26)), n-len(head)) + "\n"
}

// TestLoad: many concurrent clients pipeline lines of random length to an
// echo server; every byte must come back, in order, on its own connection.
func TestLoad(t *testing.T) {
	clients, lines := loadScale()
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			testenv.Watchdog(t, 120*time.Second)
			base := goroutines(t)
			s := &netx.Server{Handler: echoHandler}
			if err := s.Listen(context.Background(), network, testAddr(t, network)); err != nil {
				t.Fatal(err)
			}
			addr := s.Addr().String()
			var wg sync.WaitGroup
			for id := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := loadClient(network, addr, id, lines); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if err := s.Shutdown(context.Background()); err != nil {
				t.Errorf("Shutdown: %v", err)
			}
			settleGoroutines(t, base)
		})
	}
}

func loadClient(network, addr string, id, lines int) error {
	r, w, err := netx.Dial(context.Background(), network, addr)
	if err != nil {
		return err
	}
	defer w.Close()
	errc := make(chan error, 1)
	go func() {
		rng := rand.New(rand.NewPCG(uint64(id), 1))
		for i := range lines {
			if _, err := w.Write([]byte(loadLine(rng, id, i))); err != nil {
				errc <- err
				return
			}
		}
		errc <- w.WriteEOF()
	}()
	rng := rand.New(rand.NewPCG(uint64(id), 1))
	for i := range lines {
		want := loadLine(rng, id, i)
		got, err := r.ReadLineSlice()
		if err != nil {
			return fmt.Errorf("client %d: line %d: %w", id, i, err)
		}
		if string(got) != want {
			return fmt.Errorf("client %d: line %d = %q, want %q", id, i, got, want)
		}
	}
	if _, err := r.ReadLineSlice(); err != io.EOF {
		return fmt.Errorf("client %d: after the last line: %v, want io.EOF", id, err)
	}
	return <-errc
}
