// Replies that a real memcached does not send, from a peer on loopback
// that answers requests with the bytes given.
package memcache_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/examples/internal/memcache"
	"github.com/streamkit/streamkit/internal/testenv"
	"github.com/streamkit/streamkit/netx"
)

// fakePeer returns a Client connected to a peer that answers the i-th
// request line with replies[i] and, after the last, closes the connection,
// so that a reply cut short meets the end of the stream instead of a peer
// that waits for a request the Client will never send. The peer's goroutine
// is joined at the end of the test.
func fakePeer(t *testing.T, replies ...string) *memcache.Client {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		conn, err := l.Accept()
		l.Close()
		if err != nil {
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(30 * time.Second))
		br := bufio.NewReader(conn)
		for _, reply := range replies {
			if _, err := br.ReadString('\n'); err != nil {
				return
			}
			if _, err := io.WriteString(conn, reply); err != nil {
				return
			}
		}
	}()
	r, w, err := netx.Dial(context.Background(), "tcp", l.Addr().String())
	if err != nil {
		l.Close()
		<-done
		t.Fatal(err)
	}
	t.Cleanup(func() {
		w.Close()
		<-done
	})
	return memcache.New(r, w)
}

func TestReplyErrors(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	for _, tc := range []struct {
		name   string
		reply  string
		want   any // a pointer to an error type for errors.As, or an error for errors.Is
		broken bool
	}{
		{"key not asked for", "VALUE other 0 1\r\nx\r\nEND\r\n", new(*memcache.ProtocolError), true},
		{"no CRLF after the block", "VALUE k 0 3\r\nabcd\r\nEND\r\n", new(*errs.MalformedFrameError), true},
		{"no byte count", "VALUE k 0\r\n", new(*memcache.ProtocolError), true},
		{"flags over 32 bits", "VALUE k 4294967296 1\r\nx\r\nEND\r\n", new(*memcache.ProtocolError), true},
		{"count over MaxValue", "VALUE k 0 1073741825\r\n", new(*memcache.ProtocolError), true},
		{"block cut short", "VALUE k 0 3\r\nab", new(*errs.IncompleteReadError), true},
		{"END cut short", "VALUE k 0 3\r\nabc\r\nEND", new(*errs.IncompleteReadError), true},
		{"no END", "VALUE k 0 3\r\nabc\r\n", io.ErrUnexpectedEOF, true},
		{"LF alone", "VALUE k 0 3\nabc\r\nEND\r\n", new(*memcache.ProtocolError), true},
		{"unknown line", "HELLO\r\n", new(*memcache.ProtocolError), true},
		{"SERVER_ERROR", "SERVER_ERROR out of memory\r\n", new(*memcache.ServerError), false},
		{"CLIENT_ERROR", "CLIENT_ERROR bad data chunk\r\n", new(*memcache.ServerError), false},
		{"ERROR", "ERROR\r\n", new(*memcache.ServerError), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			replies := []string{tc.reply}
			if !tc.broken {
				replies = append(replies, "END\r\n") // the answer to the second get
			}
			c := fakePeer(t, replies...)
			_, err := c.Get(context.Background(), "k")
			var ok bool
			if target, isErr := tc.want.(error); isErr {
				ok = errors.Is(err, target)
			} else {
				ok = errors.As(err, tc.want)
			}
			if !ok {
				t.Fatalf("reply %q: %v (%T), want %T", tc.reply, err, err, tc.want)
			}
			_, again := c.Get(context.Background(), "k")
			if tc.broken && !memcache.IsBroken(again) {
				t.Errorf("reply %q: after %v, the next get returned %v, want an error wrapping ErrBroken", tc.reply, err, again)
			}
			if !tc.broken && again != nil {
				t.Errorf("reply %q: after %v, the next get returned %v, want no error", tc.reply, err, again)
			}
		})
	}
}

// TestServerErrorKinds: each of the three error replies is a *ServerError
// whose Kind and Msg are the reply's.
func TestServerErrorKinds(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	for _, tc := range []struct {
		reply string
		want  memcache.ServerError
	}{
		{"ERROR\r\n", memcache.ServerError{Kind: "ERROR"}},
		{"CLIENT_ERROR bad command line format\r\n", memcache.ServerError{Kind: "CLIENT_ERROR", Msg: "bad command line format"}},
		{"SERVER_ERROR object too large for cache\r\n", memcache.ServerError{Kind: "SERVER_ERROR", Msg: "object too large for cache"}},
	} {
		c := fakePeer(t, tc.reply)
		err := c.Delete(context.Background(), "k")
		var se *memcache.ServerError
		if !errors.As(err, &se) || *se != tc.want {
			t.Errorf("reply %q: %v, want %+v", tc.reply, err, tc.want)
		}
	}
}

// TestLyingCount: a VALUE line that claims nearly MaxValue bytes and a
// peer that sends three costs what was sent, not what was claimed.
func TestLyingCount(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	c := fakePeer(t, "VALUE k 0 1000000000\r\nabc")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := c.Get(context.Background(), "k")
	runtime.ReadMemStats(&after)
	var ie *errs.IncompleteReadError
	if !errors.As(err, &ie) {
		t.Fatalf("get: %v, want an *errs.IncompleteReadError", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("a claim of 1e9 bytes with 3 sent allocated %d bytes, want under 1 MiB", got)
	}
}
