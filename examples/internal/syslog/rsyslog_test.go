// The tests against a real rsyslogd: .ci/servers starts one, with its
// imtcp input at STREAMKIT_RSYSLOG_ADDR, forwarding every message it
// receives to STREAMKIT_SYSLOG_SINK_ADDR twice, on two connections: once
// octet-counted in RFC 5424 format, once LF-terminated in its forward
// format (RFC 3164 with an RFC 3339 timestamp). Without it they skip.
package syslog_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamkit/streamkit/examples/internal/realserver"
	"github.com/streamkit/streamkit/examples/internal/syslog"
	"github.com/streamkit/streamkit/internal/testenv"
)

// sink starts a Server on the sink address whose Handler passes on the
// messages whose text holds token, and shuts it down gracefully at the end
// of the test (Shutdown must close rsyslogd's idle connections at once).
// Messages from earlier tests that rsyslogd still had queued are dropped.
func sink(t testing.TB, token string) (*syslog.Server, <-chan syslog.Message) {
	t.Helper()
	addr := realserver.Addr(t, realserver.SyslogSink)
	ch := make(chan syslog.Message, 1024)
	errc := make(chan error, 16)
	srv := &syslog.Server{
		Handler: func(ctx context.Context, m syslog.Message) {
			if !strings.Contains(m.Msg, token) {
				return
			}
			select {
			case ch <- m:
			case <-ctx.Done():
			}
		},
		Error: func(_ net.Addr, err error) {
			select {
			case errc <- err:
			default:
			}
		},
		IdleTimeout: time.Minute,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Listen(ctx, "tcp", addr); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Shutdown took %v with rsyslogd's connections idle", d)
		}
		select {
		case err := <-errc:
			t.Errorf("the server reported %v", err)
		default:
		}
	})
	return srv, ch
}

// send writes the frames to rsyslogd's imtcp input on one connection.
func send(t testing.TB, frames ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", realserver.Addr(t, realserver.Rsyslog))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(strings.Join(frames, ""))); err != nil {
		t.Fatal(err)
	}
}

func token() string { return fmt.Sprintf("tok%016x", rand.Uint64()) }

// TestRsyslog sends rsyslogd one RFC 5424 message octet-counted and one RFC
// 3164 message LF-terminated, and checks that each arrives twice at the
// server, once in each framing, with its header and text.
func TestRsyslog(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	tok := token()
	_, ch := sink(t, tok)
	msg5424 := "a message in RFC 5424 " + tok
	msg3164 := "a message in RFC 3164 " + tok
	send(t,
		octet("<165>1 2003-08-24T05:14:15.000003-07:00 host5424.example myapp 8710 ID47 - "+msg5424),
		"<13>Oct 11 22:14:15 host3164 tag3164[42]: "+msg3164+"\n")

	type key struct {
		text    string
		framing syslog.Framing
	}
	got := map[key]syslog.Message{}
	for len(got) < 4 {
		m := <-ch
		k := key{strings.TrimSpace(m.Msg), m.Framing} // rsyslog keeps 3164's space after the tag in the text it writes in 5424
		if _, dup := got[k]; dup {
			t.Errorf("%v copy of %q arrived twice", m.Framing, k.text)
		}
		got[k] = m
	}
	check := func(k key, prio, version int, host, app, procID, msgID string, ts time.Time) {
		t.Helper()
		m, ok := got[k]
		if !ok {
			t.Errorf("no %v copy of %q; got %v", k.framing, k.text, got)
			return
		}
		if m.Priority != prio || m.Version != version || m.Hostname != host || m.AppName != app || m.ProcID != procID || m.MsgID != msgID ||
			!ts.IsZero() && !m.Timestamp.Equal(ts) {
			t.Errorf("%v copy of %q: %+v\nwant PRI %d, version %d, host %q, app %q, procid %q, msgid %q, time %v",
				k.framing, k.text, m, prio, version, host, app, procID, msgID, ts)
		}
	}
	ts := mustTime("2003-08-24T05:14:15.000003-07:00")
	check(key{msg5424, syslog.OctetCounted}, 165, 1, "host5424.example", "myapp", "8710", "ID47", ts)
	check(key{msg5424, syslog.NonTransparent}, 165, 0, "host5424.example", "myapp", "8710", "", ts) // the forward format has no MSGID
	check(key{msg3164, syslog.OctetCounted}, 13, 1, "host3164", "tag3164", "42", "", time.Time{})   // rsyslog adds the year
	check(key{msg3164, syslog.NonTransparent}, 13, 0, "host3164", "tag3164", "42", "", time.Time{})
	for k, m := range got {
		if m.Timestamp.Month() != time.August && m.Timestamp.Month() != time.October {
			t.Errorf("%v copy of %q: timestamp %v", k.framing, k.text, m.Timestamp)
		}
	}
}

// TestRsyslogMany sends 1000 messages in both framings on four
// connections at once and checks that all 2000 copies of each arrive.
func TestRsyslogMany(t *testing.T) {
	testenv.Watchdog(t, 2*time.Minute)
	tok := token()
	_, ch := sink(t, tok)
	const conns, per = 4, 250
	var wg sync.WaitGroup
	errc := make(chan error, conns)
	for c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var frames []string
			for i := range per {
				text := fmt.Sprintf("n=%d.%d %s", c, i, tok)
				if i%2 == 0 {
					frames = append(frames, octet("<14>1 - h a - - - "+text))
				} else {
					frames = append(frames, "<14>Oct 11 22:14:15 h a: "+text+"\n")
				}
			}
			var d net.Dialer
			conn, err := d.Dial("tcp", realserver.Addr(t, realserver.Rsyslog))
			if err != nil {
				errc <- err
				return
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(30 * time.Second))
			_, err = conn.Write([]byte(strings.Join(frames, "")))
			errc <- err
		}()
	}
	wg.Wait()
	for range conns {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]int{}
	for n := 0; n < 2*conns*per; n++ {
		m := <-ch
		text, _, _ := strings.Cut(strings.TrimSpace(m.Msg), " ")
		seen[text+" "+m.Framing.String()]++
	}
	for c := range conns {
		for i := range per {
			for _, f := range []syslog.Framing{syslog.OctetCounted, syslog.NonTransparent} {
				if k := fmt.Sprintf("n=%d.%d %v", c, i, f); seen[k] != 1 {
					t.Fatalf("%s arrived %d times, want once", k, seen[k])
				}
			}
		}
	}
}

// TestShutdownIdle: Shutdown closes at once a connection that waits for its
// next message, after the messages it sent, and returns.
func TestShutdownIdle(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	got := make(chan syslog.Message, 1)
	srv := &syslog.Server{Handler: func(_ context.Context, m syslog.Message) { got <- m }}
	if err := srv.Listen(context.Background(), "tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("<13>1 - h app - - - ping\n"))
	if m := <-got; m.Msg != "ping" {
		t.Fatalf("got %q", m.Msg)
	}
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("the client's read after Shutdown: %v, want EOF", err)
	}
}
