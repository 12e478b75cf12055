//go:build unix

package netx_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/netx"
)

// TestIdleHandlerStackStaysSmall: a handler of the seed's echo idiom
// (ReadLineSlice, Write) that served a 64-byte line or a 60 KiB one and
// then waits for the next keeps the 2 KB stack its goroutine started with.
// A goroutine's stack that grew once stays grown while it is parked, so a
// read path that goes past the first 2 KB anywhere (the read, the pool's
// Get or Put of the read buffer, the reader's send of the queued reply at
// the end of its read burst) doubles every idle connection's stack: the
// README's idle figures, 5 KB per connection, rest on this. A stack that
// grew reads as 4 KB or more per connection; the bound leaves room for
// the few that the runtime's own work (a GC assist, a sweep) deepens.
func TestIdleHandlerStackStaysSmall(t *testing.T) {
	if size := os.Getenv(idleStackEnv); size != "" {
		n, _ := strconv.Atoi(size)
		idleStackChild(t, n)
		return
	}
	if raceEnabled {
		t.Skip("the race detector's instrumentation deepens every frame")
	}
	if testing.CoverMode() != "" {
		t.Skip("coverage counters change the frames")
	}
	if testing.Short() {
		t.Skip("1,000 connections")
	}
	if n := openFileLimit(); n < 2*idleStackConns+100 {
		t.Skipf("the open-file limit (%d) does not fit %d connections at both ends", n, idleStackConns)
	}
	// Each case runs in a child process of its own, which begins with no
	// stack grown or cached: a stack freed by an earlier test stays in the
	// runtime's caches and would count.
	for _, size := range []int{64, 60 << 10} {
		t.Run(fmt.Sprintf("line=%d", size), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestIdleHandlerStackStaysSmall$", "-test.v")
			cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d", idleStackEnv, size))
			out, err := cmd.CombinedOutput()
			t.Logf("child:\n%s", out)
			if err != nil {
				t.Errorf("child: %v", err)
			}
		})
	}
}

// idleStackEnv names the line size for the child of
// TestIdleHandlerStackStaysSmall; idleStackConns is its connection count,
// enough that the few stacks the runtime's own work deepens average out.
const (
	idleStackEnv   = "NETX_TEST_IDLE_STACK"
	idleStackConns = 1000
)

func idleStackChild(t *testing.T, size int) {
	line := append(bytes.Repeat([]byte("x"), size-1), '\n')
	s := startNetxServer(t, "tcp", func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		for {
			l, err := r.ReadLineSlice()
			if err != nil {
				return
			}
			if _, err := w.Write(l); err != nil {
				return
			}
		}
	})
	runtime.GC()
	before := stackInuse()
	echo := make([]byte, len(line))
	for range idleStackConns {
		c, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write(line); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, echo); err != nil {
			t.Fatal(err)
		}
	}
	// Every handler has sent its echo; let each reach its wait.
	time.Sleep(100 * time.Millisecond)
	runtime.GC()
	per := float64(stackInuse()-before) / idleStackConns
	t.Logf("%d idle connections after a %d-byte line: %.0f bytes of stack each", idleStackConns, size, per)
	if per > 3<<10 {
		t.Errorf("%.0f bytes of stack per idle connection, want the goroutine's first 2 KB (at most 3 KB on average)", per)
	}
}

func openFileLimit() uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	return lim.Cur
}

func stackInuse() int64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.StackInuse)
}
