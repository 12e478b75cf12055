package examples_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/streamkit/streamkit/examples/internal/exampletest"
	"github.com/streamkit/streamkit/internal/testenv"
)

// TestProdServer runs examples/prod-server, ends one connection of each
// kind (the client quits, a slowloris runs into -read-timeout, an idle one
// is closed by the shutdown), stops it with SIGINT and checks the Stats
// it logs on the way out.
func TestProdServer(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGINT")
	}
	testenv.Watchdog(t, time.Minute)
	srv := exampletest.Start(t, exampletest.Command(context.Background(), programs.Path(t, "prod-server"),
		"-addr", "127.0.0.1:0", "-log-format", "json", "-read-timeout", "300ms", "-idle-timeout", "30s",
		"-write-timeout", "2s", "-grace", "10s"))
	var serving struct{ Msg, Addr string }
	if line := srv.Line(t); json.Unmarshal([]byte(line), &serving) != nil || serving.Msg != "serving" {
		t.Fatalf("first line %q, want the serving record", line)
	}
	conn := func() (net.Conn, *bufio.Reader) {
		c, err := net.Dial("tcp", serving.Addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c, bufio.NewReader(c)
	}
	expect := func(c net.Conn, r *bufio.Reader, send, want string) {
		t.Helper()
		if send != "" {
			io.WriteString(c, send)
		}
		if got, err := r.ReadString('\n'); got != want+"\n" {
			t.Errorf("after %q: %q, %v; want %q", send, got, err, want)
		}
	}
	expectEOF := func(r *bufio.Reader) {
		t.Helper()
		if got, err := r.ReadString('\n'); err != io.EOF {
			t.Errorf("got %q, %v; want io.EOF", got, err)
		}
	}

	// A client that quits: closed by the handler.
	c, r := conn()
	expect(c, r, "PING\n", "PONG")
	expect(c, r, "ECHO hello there\n", "hello there")
	expect(c, r, "FLY\n", "ERR unknown command")
	expect(c, r, "QUIT\n", "BYE")
	expectEOF(r)

	// A slowloris: half a command, then nothing.
	c, r = conn()
	expect(c, r, "PI", "ERR read timeout")
	expectEOF(r)

	// An idle client, closed by the shutdown once it is asked for.
	c, r = conn()
	expect(c, r, "PING\n", "PONG")
	if err := srv.Cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	expectEOF(r)

	rest, err := srv.Wait()
	if err != nil {
		t.Errorf("prod-server: %v\nstdout:\n%v", err, rest)
	}
	var stats map[string]any
	for _, line := range rest {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "stopped" {
			stats = rec
		}
	}
	if stats == nil {
		t.Fatalf("no stopped record in %q", rest)
	}
	want := map[string]any{
		"accepted": 3.0, "open": 0.0, "closed_by_handler": 1.0, "closed_by_read_timeout": 1.0,
		"closed_by_shutdown": 1.0, "closed_by_peer": 0.0, "closed_by_idle_timeout": 0.0,
		"closed_by_write_timeout": 0.0, "closed_by_panic": 0.0,
	}
	got := map[string]any{}
	for k := range want {
		got[k] = stats[k]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Stats logged on exit (-want +got):\n%s\nrecord: %v", diff, stats)
	}
	if n, _ := stats["bytes_written"].(float64); n == 0 {
		t.Errorf("record %v counts no bytes written", stats)
	}
}
