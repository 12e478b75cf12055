package netx_test

import (
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
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/internal/testenv"
	"github.com/streamkit/streamkit/netx"
)

// Where a goroutine blocked in the pair's read waits, by way of reading.
const (
	lazyWait  = "netx.(*lazyReader).ReadLazy"
	plainWait = "netx.(*connReader).Read"
)

// waitBlocked waits until n goroutines are parked waiting for the network
// ([IO wait]) inside fn, polling their stacks.
func waitBlocked(t testing.TB, fn string, n int) {
	t.Helper()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	var buf []byte
	for {
		if got := countBlocked(&buf, fn); got >= n {
			return
		}
		<-tick.C
	}
}

func countBlocked(buf *[]byte, fn string) int {
	for {
		k := runtime.Stack(*buf, true)
		if k < len(*buf) {
			*buf = (*buf)[:cap(*buf)]
			stacks := string((*buf)[:k])
			count := 0
			for _, g := range strings.Split(stacks, "\n\n") {
				header, _, _ := strings.Cut(g, "\n")
				if strings.Contains(header, "[IO wait") && strings.Contains(g, fn) {
					count++
				}
			}
			return count
		}
		*buf = make([]byte, 2*len(*buf)+64<<10)
	}
}

// liveHeap returns the bytes of live heap objects once the garbage the
// pools hold is collected too: sync.Pool drops what it holds over two
// collections.
func liveHeap() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestIdleConnectionHoldsNoReadBuffer: connections whose handlers read a
// line that filled the 64 KiB default limit and then wait in ReadLine hold
// no read buffer on plain TCP and Unix connections: their live heap is a
// few KiB each, where reading through the connection's Read (the control,
// SetPlainReads) keeps the 64 KiB buffer of each.
func TestIdleConnectionHoldsNoReadBuffer(t *testing.T) {
	testenv.Watchdog(t, 2*time.Minute)
	conns := 200
	if raceEnabled || testing.Short() {
		conns = 50
	}
	line := append(bytes.Repeat([]byte("x"), bufio2.DefaultLimit-1), '\n') // fills the limit
	for _, network := range []string{"tcp", "unix"} {
		for _, plain := range []bool{false, true} {
			name := network + "/lazy"
			if plain {
				name = network + "/plain"
			}
			t.Run(name, func(t *testing.T) {
				if plain {
					defer netx.SetPlainReads(true)()
				}
				per := idleHeapPerConn(t, network, conns, line, plain)
				t.Logf("%d idle connections: %d bytes of live heap each", conns, per)
				if plain {
					// The control: the measure sees the buffers a Reader
					// keeps, so the lazy figure below means something.
					if per < bufio2.DefaultLimit {
						t.Errorf("reading through Read, each idle connection holds %d bytes; want at least the %d-byte buffer", per, bufio2.DefaultLimit)
					}
					return
				}
				if per > 16<<10 {
					t.Errorf("each idle connection holds %d bytes of live heap; want under 16 KiB (no read buffer)", per)
				}
			})
		}
	}
}

// idleHeapPerConn serves conns connections that each send line, which the
// handler reads whole before it waits for the next, and returns the live
// heap each costs while they all wait. plain says whether SetPlainReads is
// on, which changes where the handlers wait.
func idleHeapPerConn(t *testing.T, network string, conns int, line []byte, plain bool) int {
	var read sync.WaitGroup
	read.Add(conns)
	s := &netx.Server{Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		got, err := r.ReadLineSlice()
		if err != nil || len(got) != len(line) {
			t.Errorf("handler: ReadLineSlice() = %d bytes, %v; want %d bytes", len(got), err, len(line))
		}
		read.Done()
		r.ReadLine() // idle until the client closes
	}}
	addr := serve(t, s, network)
	base := liveHeap()
	clients := make([]net.Conn, conns)
	for i := range clients {
		c, err := net.Dial(network, addr)
		if err != nil {
			t.Fatal(err)
		}
		clients[i] = c
		t.Cleanup(func() { c.Close() })
		if _, err := c.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	read.Wait()
	wait := lazyWait
	if plain {
		wait = plainWait
	}
	waitBlocked(t, wait, conns)
	held := int(liveHeap()) - int(base)
	for _, c := range clients {
		c.Close()
	}
	return held / conns
}

// readErrShape is what a caller can tell about a read error.
type readErrShape struct {
	IsEOF                       bool // io.EOF itself, unwrapped
	Op, Net                     string
	SourceIsLocal, AddrIsRemote bool
	Inner                       string // the *net.OpError's Err, by type
	Syscall                     string // the *os.SyscallError's, if any
	Timeout, Closed, Reset      bool   // errors.Is os.ErrDeadlineExceeded, net.ErrClosed, ECONNRESET
}

func shapeOf(err error, w *netx.Writer) readErrShape {
	s := readErrShape{
		IsEOF:   err == io.EOF,
		Timeout: errors.Is(err, os.ErrDeadlineExceeded),
		Closed:  errors.Is(err, net.ErrClosed),
		Reset:   errors.Is(err, syscall.ECONNRESET),
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		s.Op, s.Net = oe.Op, oe.Net
		s.SourceIsLocal = oe.Source != nil && oe.Source.String() == w.LocalAddr().String()
		s.AddrIsRemote = oe.Addr != nil && oe.Addr.String() == w.RemoteAddr().String()
		s.Inner = fmt.Sprintf("%T", oe.Err)
	}
	var se *os.SyscallError
	if errors.As(err, &se) {
		s.Syscall = se.Syscall
	}
	return s
}

// TestReadErrorsMatchNetConn: a read that waits without a buffer ends as a
// read through the connection's Read does (SetPlainReads, which is
// net.Conn.Read's own error), for the end of the stream, a reset, the read
// deadline passing (after which a read may be retried), a deadline already
// past, and an Abort while waiting.
func TestReadErrorsMatchNetConn(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	type scenario struct {
		name     string
		networks []string
		before   func(t *testing.T, peer net.Conn, w *netx.Writer) // before the read starts
		act      func(t *testing.T, peer net.Conn, w *netx.Writer) // while it waits
		want     func(s readErrShape) bool
		after    func(t *testing.T, peer net.Conn, r *bufio2.Reader, w *netx.Writer)
	}
	retry := func(t *testing.T, peer net.Conn, r *bufio2.Reader, w *netx.Writer) {
		if err := w.Conn().SetReadDeadline(time.Time{}); err != nil {
			t.Fatal(err)
		}
		peer.Write([]byte("x"))
		if c, err := r.ReadByte(); err != nil || c != 'x' {
			t.Errorf("ReadByte after the deadline was lifted = %q, %v; want 'x'", c, err)
		}
	}
	scenarios := []scenario{
		{
			name:     "EOF",
			networks: []string{"tcp", "unix"},
			act:      func(t *testing.T, peer net.Conn, w *netx.Writer) { peer.Close() },
			want:     func(s readErrShape) bool { return s.IsEOF },
		},
		{
			name:     "reset",
			networks: []string{"tcp"},
			act:      func(t *testing.T, peer net.Conn, w *netx.Writer) { reset(t, peer) },
			want:     func(s readErrShape) bool { return s.Reset && s.Op == "read" },
		},
		{
			name:     "deadline",
			networks: []string{"tcp", "unix"},
			act: func(t *testing.T, peer net.Conn, w *netx.Writer) {
				w.Conn().SetReadDeadline(time.Now())
			},
			want:  func(s readErrShape) bool { return s.Timeout && s.Op == "read" },
			after: retry,
		},
		{
			name:     "deadline already past",
			networks: []string{"tcp", "unix"},
			before: func(t *testing.T, peer net.Conn, w *netx.Writer) {
				w.Conn().SetReadDeadline(time.Now().Add(-time.Second))
			},
			want:  func(s readErrShape) bool { return s.Timeout && s.Op == "read" },
			after: retry,
		},
		{
			name:     "abort",
			networks: []string{"tcp", "unix"},
			act:      func(t *testing.T, peer net.Conn, w *netx.Writer) { w.Abort() },
			want:     func(s readErrShape) bool { return s.Closed && s.Op == "read" },
		},
	}
	for _, sc := range scenarios {
		for _, network := range sc.networks {
			t.Run(sc.name+"/"+network, func(t *testing.T) {
				var shapes [2]readErrShape
				for i, plain := range []bool{true, false} {
					restore := netx.SetPlainReads(plain)
					peer, conn := connPair(t, network)
					r, w := netx.Wrap(conn, 0)
					restore()
					if sc.before != nil {
						sc.before(t, peer, w)
					}
					errc := make(chan error, 1)
					go func() {
						_, err := r.ReadByte()
						errc <- err
					}()
					if sc.act != nil {
						where := lazyWait
						if plain {
							where = plainWait
						}
						waitBlocked(t, where, 1)
						sc.act(t, peer, w)
					}
					err := <-errc
					shapes[i] = shapeOf(err, w)
					if !sc.want(shapes[i]) {
						t.Errorf("plain=%v: ReadByte() = %v (%+v), not the expected error", plain, err, shapes[i])
					}
					if sc.after != nil {
						sc.after(t, peer, r, w)
					}
					w.Abort()
				}
				if diff := cmp.Diff(shapes[0], shapes[1]); diff != "" {
					t.Errorf("the error of a lazy read differs from net.Conn.Read's (-want +got):\n%s", diff)
				}
			})
		}
	}
}
