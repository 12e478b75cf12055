package dns_test

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
	"github.com/streamkit/streamkit/examples/internal/dns"
	"github.com/streamkit/streamkit/internal/testenv"
	"github.com/streamkit/streamkit/netx"
)

// fakePeer returns a Client (made by New: it does not redial) connected
// to a peer that reads one query, answers with reply(query) and closes the
// connection. The peer is joined at the end of the test.
func fakePeer(t *testing.T, reply func(query []byte) []byte) *dns.Client {
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
		var n [2]byte
		if _, err := io.ReadFull(br, n[:]); err != nil {
			return
		}
		q := make([]byte, int(n[0])<<8|int(n[1]))
		if _, err := io.ReadFull(br, q); err != nil {
			return
		}
		conn.Write(reply(q))
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
	return dns.New(r, w)
}

// answer makes a response to query: its ID and question, and an A record.
func answer(query []byte) []byte {
	msg := append([]byte(nil), query...)
	msg[2] |= 0x80 // QR
	msg[7] = 1     // ANCOUNT
	msg = append(msg, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1)
	return append([]byte{byte(len(msg) >> 8), byte(len(msg))}, msg...)
}

func TestFakeAnswer(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	c := fakePeer(t, answer)
	got, err := c.LookupA(context.Background(), "x.test")
	if err != nil || len(got) != 1 || got[0].String() != "127.0.0.1" {
		t.Fatalf("%v, %v", got, err)
	}
}

// TestLyingPrefix: a length prefix of 65535 followed by 10 bytes and the
// end of the stream is an *errs.IncompleteReadError, and costs what was
// sent.
func TestLyingPrefix(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	c := fakePeer(t, func([]byte) []byte { return append([]byte{0xff, 0xff}, make([]byte, 10)...) })
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := c.LookupA(context.Background(), "x.test")
	runtime.ReadMemStats(&after)
	var ie *errs.IncompleteReadError
	if !errors.As(err, &ie) {
		t.Fatalf("%v, want an *errs.IncompleteReadError", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 32<<10 {
		t.Errorf("a prefix of 65535 with 10 bytes sent allocated %d bytes, want under 32 KiB", n)
	}
	if _, err := c.LookupA(context.Background(), "x.test"); !dns.IsBroken(err) {
		t.Errorf("after: %v, want an error wrapping ErrBroken", err)
	}
}

func TestHostileResponses(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	for _, tc := range []struct {
		name  string
		reply func(q []byte) []byte
		want  any
	}{
		{"unknown ID", func(q []byte) []byte { r := answer(q); r[2] ^= 0xff; return r }, new(*dns.MismatchError)},
		{"other question", func(q []byte) []byte { r := answer(q); r[15] = 'y'; return r }, new(*dns.MismatchError)},
		{"not a response", func(q []byte) []byte { r := answer(q); r[4] &^= 0x80; return r }, new(*dns.MismatchError)},
		{"pointer loop", func(q []byte) []byte { r := answer(q); r[len(r)-15] = byte(len(r) - 2 - 16); return r }, new(*dns.FormatError)},
		{"closed before answering", func([]byte) []byte { return nil }, io.ErrUnexpectedEOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := fakePeer(t, tc.reply)
			_, err := c.LookupA(context.Background(), "x.test")
			ok := false
			if target, isErr := tc.want.(error); isErr {
				ok = errors.Is(err, target)
			} else {
				ok = errors.As(err, tc.want)
			}
			if !ok {
				t.Fatalf("%v (%T), want %T", err, err, tc.want)
			}
			if _, again := c.LookupA(context.Background(), "x.test"); !dns.IsBroken(again) {
				t.Errorf("after %v: %v, want an error wrapping ErrBroken", err, again)
			}
		})
	}
}
