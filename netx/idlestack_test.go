//go:build unix

package netx_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/frame"
	"github.com/streamkit/streamkit/netx"
)

// TestIdleHandlerStackStaysSmall: a handler of the seed's echo idiom
// (ReadLineSlice, Write), or one that echoes length-prefixed frames
// through a frame.Reader, that served a 64-byte message or a 60 KiB one
// and then waits for the next keeps the 2 KB stack its goroutine started
// with.
// A goroutine's stack that grew once stays grown while it is parked, so a
// read path that goes past the first 2 KB anywhere (the read, the pool's
// Get or Put of the read buffer, the reader's send of the queued reply at
// the end of its read burst) doubles every idle connection's stack: the
// README's idle figures, 5 KB per connection, rest on this. A stack that
// grew reads as 4 KB or more per connection; the bound leaves room for
// the few that the runtime's own work (a GC assist, a sweep) deepens.
func TestIdleHandlerStackStaysSmall(t *testing.T) {
	if v := os.Getenv(idleStackEnv); v != "" {
		mode, size, _ := strings.Cut(v, ",")
		n, _ := strconv.Atoi(size)
		idleStackChild(t, mode, n)
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
	// Each case runs in a child process of its own, which begins with no
	// stack grown or cached: a stack freed by an earlier test stays in the
	// runtime's caches and would count.
	for _, mode := range []string{"line", "frame"} {
		for _, size := range []int{64, 60 << 10} {
			t.Run(fmt.Sprintf("%s=%d", mode, size), func(t *testing.T) {
				cmd := exec.Command(os.Args[0], "-test.run=^TestIdleHandlerStackStaysSmall$", "-test.v")
				cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s,%d", idleStackEnv, mode, size))
				out, err := cmd.CombinedOutput()
				t.Logf("child:\n%s", out)
				if err != nil {
					t.Errorf("child: %v", err)
				}
			})
		}
	}
}

// idleStackEnv names the line size for the child of
// TestIdleHandlerStackStaysSmall; idleStackConns is its connection count,
// enough that the few stacks the runtime's own work deepens average out.
const (
	idleStackEnv   = "NETX_TEST_IDLE_STACK"
	idleStackConns = 1000
)

func idleStackChild(t *testing.T, mode string, size int) {
	raiseFiles(t, 2*idleStackConns+100) // both ends of every connection
	// The seed's echo idiom with lines; with frame, a length-prefixed
	// frame (4-byte header and size-4 bytes) echoed through a
	// frame.Reader over the pair's bufio2.Reader.
	msg := append(bytes.Repeat([]byte("x"), size-1), '\n')
	h := func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		for {
			l, err := r.ReadLineSlice()
			if err != nil {
				return
			}
			if _, err := w.Write(l); err != nil {
				return
			}
		}
	}
	if mode == "frame" {
		binary.BigEndian.PutUint32(msg, uint32(size-4))
		h = func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
			fr := frame.NewReader(r, frame.LengthPrefixed{})
			var hdr [4]byte
			for {
				p, err := fr.Next()
				if err != nil {
					return
				}
				binary.BigEndian.PutUint32(hdr[:], uint32(len(p)))
				if err := w.WriteLines(hdr[:], p); err != nil {
					return
				}
			}
		}
	}
	s := startNetxServer(t, "tcp", h)
	runtime.GC()
	before := stackInuse()
	echo := make([]byte, len(msg))
	for range idleStackConns {
		c, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write(msg); err != nil {
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
	t.Logf("%d idle connections after a %d-byte %s: %.0f bytes of stack each", idleStackConns, size, mode, per)
	if per > 3<<10 {
		t.Errorf("%.0f bytes of stack per idle connection, want the goroutine's first 2 KB (at most 3 KB on average)", per)
	}
}

func stackInuse() int64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.StackInuse)
}
