// The tests of the seed's four examples: each program is built once, run
// against its partner, and its output compared with what the seed's
// Python version prints. python_test.go runs them against the seed's
// Python versions themselves.
package examples_test

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamkit/streamkit/examples/internal/exampletest"
	"github.com/streamkit/streamkit/internal/testenv"
)

var programs = &exampletest.Programs{Names: []string{"echo-client", "echo-server", "http-headers", "prod-server", "wait-for-data"}}

func TestMain(m *testing.M) {
	code := m.Run()
	programs.Cleanup()
	os.Exit(code)
}

// The seed's transcripts. The server prints the client's port, which
// varies: maskPort writes it <port>.
var (
	clientWant = []string{
		"Send: 'Hello World!'",
		"Received: 'Hello World!'",
		"Close the socket",
	}
	serverConnWant = []string{
		"Received 'Hello World!' from ('127.0.0.1', <port>)",
		"Send: 'Hello World!'",
		"Close the client socket",
	}
)

var servingOn = regexp.MustCompile(`^Serving on \('127\.0\.0\.1', (\d+)\)$`)

var peerPort = regexp.MustCompile(`^(Received .* from \('127\.0\.0\.1', )\d+\)$`)

// maskPort writes the peer's port in the server's "Received" lines as
// <port>.
func maskPort(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = peerPort.ReplaceAllString(l, "${1}<port>)")
	}
	return out
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// startEchoServer starts examples/echo-server with args and returns it
// and the address it serves on, read from its "Serving on" line.
func startEchoServer(t *testing.T, args ...string) (*exampletest.Process, string) {
	t.Helper()
	srv := exampletest.Start(t, exampletest.Command(context.Background(), programs.Path(t, "echo-server"), args...))
	serving := srv.Line(t)
	m := servingOn.FindStringSubmatch(serving)
	if m == nil {
		t.Fatalf("the server's first line is %q, want Serving on ('127.0.0.1', PORT)", serving)
	}
	return srv, "127.0.0.1:" + m[1]
}

// stop sends sig to the process and checks that it exits with status 0
// and prints nothing more.
func stop(t *testing.T, p *exampletest.Process, sig os.Signal) {
	t.Helper()
	if err := p.Cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	rest, err := p.Wait()
	if err != nil {
		t.Errorf("after %v: %v; stderr:\n%s", sig, err, p.Stderr())
	}
	if len(rest) > 0 {
		t.Errorf("after %v, the server printed %q", sig, rest)
	}
}

func TestEcho(t *testing.T) {
	testenv.Watchdog(t, 3*time.Minute)
	srv, addr := startEchoServer(t, "-addr", "127.0.0.1:0")
	for range 2 { // the server serves one connection after another
		got := exampletest.Run(t, programs.Path(t, "echo-client"), "-addr", addr)
		if diff := cmp.Diff(clientWant, splitLines(got)); diff != "" {
			t.Errorf("echo-client's output (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(serverConnWant, maskPort(srv.Lines(t, 3))); diff != "" {
			t.Errorf("echo-server's output for a connection (-want +got):\n%s", diff)
		}
	}
	stop(t, srv, os.Interrupt)
}

func TestEchoUnix(t *testing.T) {
	testenv.Watchdog(t, 3*time.Minute)
	dir, err := os.MkdirTemp("", "echo") // t.TempDir can be too long for a socket path
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "echo.sock")
	srv := exampletest.Start(t, exampletest.Command(context.Background(), programs.Path(t, "echo-server"), "-network", "unix", "-addr", path))
	// Python prints str() of the path, and repr() of the client's
	// unnamed address: ''.
	if got, want := srv.Line(t), "Serving on "+path; got != want {
		t.Errorf("echo-server printed %q, want %q", got, want)
	}
	got := exampletest.Run(t, programs.Path(t, "echo-client"), "-network", "unix", "-addr", path)
	if diff := cmp.Diff(clientWant, splitLines(got)); diff != "" {
		t.Errorf("echo-client's output (-want +got):\n%s", diff)
	}
	want := []string{"Received 'Hello World!' from ''", "Send: 'Hello World!'", "Close the client socket"}
	if diff := cmp.Diff(want, srv.Lines(t, 3)); diff != "" {
		t.Errorf("echo-server's output for a connection (-want +got):\n%s", diff)
	}
	stop(t, srv, syscall.SIGTERM)
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("the socket file is still there after the server stopped (Lstat: %v)", err)
	}
}

// TestEchoMessage: the messages are printed with Python's %r (repr).
func TestEchoMessage(t *testing.T) {
	testenv.Watchdog(t, 3*time.Minute)
	srv, addr := startEchoServer(t, "-addr", "127.0.0.1:0")
	for _, tc := range []struct{ message, repr string }{
		{"it's", `"it's"`},
		{`it's "quoted"`, `'it\'s "quoted"'`},
		{"tab\there\n", `'tab\there\n'`},
		{"café \x01\x7f", `'café \x01\x7f'`},
	} {
		got := exampletest.Run(t, programs.Path(t, "echo-client"), "-addr", addr, "-message", tc.message)
		want := []string{"Send: " + tc.repr, "Received: " + tc.repr, "Close the socket"}
		if diff := cmp.Diff(want, splitLines(got)); diff != "" {
			t.Errorf("echo-client -message %q (-want +got):\n%s", tc.message, diff)
		}
		want = []string{"Received " + tc.repr + " from ('127.0.0.1', <port>)", "Send: " + tc.repr, "Close the client socket"}
		if diff := cmp.Diff(want, maskPort(srv.Lines(t, 3))); diff != "" {
			t.Errorf("echo-server, for -message %q (-want +got):\n%s", tc.message, diff)
		}
	}
	stop(t, srv, os.Interrupt)
}

// TestEchoReadsOnce: like the seed's read(100), the server reads once, at
// most 100 bytes, and the client too.
func TestEchoReadsOnce(t *testing.T) {
	testenv.Watchdog(t, 3*time.Minute)
	srv, addr := startEchoServer(t, "-addr", "127.0.0.1:0")
	long := strings.Repeat("x", 150)
	want := fmt.Sprintf("Received '%s' from ('127.0.0.1', <port>)", long[:100])
	got := exampletest.Run(t, programs.Path(t, "echo-client"), "-addr", addr, "-message", long)
	if diff := cmp.Diff([]string{"Send: '" + long + "'", "Received: '" + long[:100] + "'", "Close the socket"}, splitLines(got)); diff != "" {
		t.Errorf("echo-client (-want +got):\n%s", diff)
	}
	if got := maskPort(srv.Lines(t, 3))[0]; got != want {
		t.Errorf("echo-server printed %q, want %q", got, want)
	}
	stop(t, srv, os.Interrupt)
}

// dialIdle connects to the echo server and makes sure the server has
// accepted the connection: a second client is served after it, and the
// server accepts in order.
func dialIdle(t *testing.T, srv *exampletest.Process, addr string) net.Conn {
	t.Helper()
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idle.Close() })
	exampletest.Run(t, programs.Path(t, "echo-client"), "-addr", addr)
	srv.Lines(t, 3)
	return idle
}

// TestEchoServerGracefulShutdown: on SIGTERM the server stops accepting
// and closes at once a connection that waits for its first bytes (netx's
// Shutdown closes idle connections, as net/http does and asyncio 3.13's
// close_clients can): the client reads the end of the stream, and the
// server exits cleanly without waiting for -grace.
func TestEchoServerGracefulShutdown(t *testing.T) {
	testenv.Watchdog(t, 3*time.Minute)
	srv, addr := startEchoServer(t, "-addr", "127.0.0.1:0", "-grace", "1m")
	conn := dialIdle(t, srv, addr)

	start := time.Now()
	if err := srv.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	reply, err := io.ReadAll(conn)
	if err != nil || len(reply) != 0 {
		t.Errorf("the connection idle at SIGTERM got %q, %v; want EOF at once", reply, err)
	}
	rest, err := srv.Wait()
	if len(rest) != 0 {
		t.Errorf("echo-server printed %q after SIGTERM, want nothing", rest)
	}
	if err != nil {
		t.Errorf("echo-server: %v; stderr:\n%s", err, srv.Stderr())
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("echo-server took %v to exit with one idle connection, want well under -grace (1m)", took)
	}
}

// TestEchoServerIdleAtSignal: whatever -grace says, a connection that
// waits for its first bytes does not hold the server up: Shutdown closes
// it at once. (-grace and a second Ctrl+C bound the handlers in the middle
// of a message; the seed's handler makes one read and is never there for
// long, and netx's Shutdown tests cover the abort at the context's end.)
func TestEchoServerIdleAtSignal(t *testing.T) {
	for _, grace := range []string{"10ms", "1h"} {
		t.Run("grace="+grace, func(t *testing.T) {
			testenv.Watchdog(t, 3*time.Minute)
			srv, addr := startEchoServer(t, "-addr", "127.0.0.1:0", "-grace", grace)
			conn := dialIdle(t, srv, addr)
			if err := srv.Cmd.Process.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadAll(conn); err != nil && !isReset(err) {
				t.Errorf("reading from the connection the server closed: %v", err)
			}
			rest, err := srv.Wait()
			if err != nil || len(rest) > 0 {
				t.Errorf("echo-server exited with %v and printed %q; stderr:\n%s", err, rest, srv.Stderr())
			}
		})
	}
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET)
}

// TestWaitForData runs examples/wait-for-data.
func TestWaitForData(t *testing.T) {
	testenv.Watchdog(t, 3*time.Minute)
	got := exampletest.Run(t, programs.Path(t, "wait-for-data"))
	if got != "Received: abc\n" {
		t.Errorf("wait-for-data printed %q, want %q", got, "Received: abc\n")
	}
}

// headersHandler answers with headers that do not change (no Date).
func headersHandler(seen chan<- string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- fmt.Sprintf("%s %s %s Host=%s TLS=%t", r.Method, r.URL.RequestURI(), r.Proto, r.Host, r.TLS != nil)
		w.Header()["Date"] = nil
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Example", "seed")
		w.WriteHeader(http.StatusTeapot)
	})
}

var headersWant = []string{
	"HTTP header> HTTP/1.0 418 I'm a teapot",
	"HTTP header> Content-Type: text/plain; charset=utf-8",
	"HTTP header> X-Example: seed",
}

// writeCert writes the certificate of the TLS server s to a PEM file.
func writeCert(t *testing.T, s *httptest.Server) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestHTTPHeaders(t *testing.T) {
	testenv.Watchdog(t, 3*time.Minute)
	seen := make(chan string, 1)
	plain := httptest.NewServer(headersHandler(seen))
	defer plain.Close()
	secure := httptest.NewUnstartedServer(headersHandler(seen))
	secure.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake below
	secure.StartTLS()
	defer secure.Close()
	cafile := writeCert(t, secure)

	for _, tc := range []struct {
		name string
		args []string
		seen string
	}{
		{"http", []string{plain.URL + "/path/page.html?query=ignored"}, "HEAD /path/page.html HTTP/1.0 Host=127.0.0.1 TLS=false"},
		{"http, no path", []string{plain.URL}, "HEAD / HTTP/1.0 Host=127.0.0.1 TLS=false"},
		{"http, escaped path", []string{plain.URL + "/a%20b/%C3%A9"}, "HEAD /a%20b/%C3%A9 HTTP/1.0 Host=127.0.0.1 TLS=false"},
		{"https", []string{"-cafile", cafile, "-timeout", "1m", secure.URL + "/secure"}, "HEAD /secure HTTP/1.0 Host=127.0.0.1 TLS=true"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := exampletest.Run(t, programs.Path(t, "http-headers"), tc.args...)
			if diff := cmp.Diff(headersWant, splitLines(got)); diff != "" {
				t.Errorf("http-headers' output (-want +got):\n%s", diff)
			}
			if got := <-seen; got != tc.seen {
				t.Errorf("the server saw %q, want %q", got, tc.seen)
			}
		})
	}

	t.Run("https, untrusted", func(t *testing.T) {
		cmd := exampletest.Command(context.Background(), programs.Path(t, "http-headers"), secure.URL)
		out, err := cmd.Output()
		if err == nil || len(out) > 0 {
			t.Errorf("without -cafile, http-headers printed %q and exited with %v; want no output and an error", out, err)
		}
	})
}

// rawServer serves one connection on a free loopback port: it reads the
// request, sends it to got and answers with response. It stops listening
// once it has accepted the connection.
func rawServer(t *testing.T, response string) (addr string, got <-chan string) {
	t.Helper()
	return rawServerOn(t, "127.0.0.1:0", response)
}

// rawServerOn is rawServer on the address addr.
func rawServerOn(t *testing.T, addr, response string) (string, <-chan string) {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	c := make(chan string, 1)
	go func() {
		conn, err := l.Accept()
		l.Close() // one connection only: the address is free again once got is sent
		if err != nil {
			c <- err.Error()
			return
		}
		defer conn.Close()
		var req []byte
		buf := make([]byte, 1024)
		for !strings.HasSuffix(string(req), "\r\n\r\n") {
			n, err := conn.Read(buf)
			req = append(req, buf[:n]...)
			if err != nil {
				break
			}
		}
		c <- string(req)
		if response != "" {
			conn.Write([]byte(response))
		}
	}()
	return l.Addr().String(), c
}

// seedResponse is a response whose lines test the seed's loop: Latin-1
// bytes, trailing whitespace as Python's str.rstrip sees it, blank lines,
// and a last line without a newline.
const seedResponse = "HTTP/1.0 200 OK\r\n" +
	"X-Latin1: caf\xe9 \xa0\r\n" +
	"X-Trailing: a\t\x1c\x1d\x1e\x1f\x85\x0b\x0c \r\n" +
	"X-Not-Space: b\x1b\r\n" +
	"\r\n" +
	"body line\n" +
	"   \n" +
	"last line"

var seedResponseWant = []string{
	"HTTP header> HTTP/1.0 200 OK",
	"HTTP header> X-Latin1: café",
	"HTTP header> X-Trailing: a",
	"HTTP header> X-Not-Space: b\x1b",
	"HTTP header> body line",
	"HTTP header> last line",
}

// TestHTTPHeadersWire checks the exact request and the printing of every
// line of the response, as the seed's loop does.
func TestHTTPHeadersWire(t *testing.T) {
	testenv.Watchdog(t, 3*time.Minute)
	addr, req := rawServer(t, seedResponse)
	out := exampletest.Run(t, programs.Path(t, "http-headers"), "http://LocalHost:"+strings.Split(addr, ":")[1]+"/p")
	if diff := cmp.Diff(seedResponseWant, splitLines(out)); diff != "" {
		t.Errorf("http-headers' output (-want +got):\n%s", diff)
	}
	if got, want := <-req, "HEAD /p HTTP/1.0\r\nHost: localhost\r\n\r\n"; got != want {
		t.Errorf("the request was %q, want %q", got, want)
	}
}

// TestHTTPHeadersTimeout: a server that never answers makes http-headers
// fail once -timeout has passed.
func TestHTTPHeadersTimeout(t *testing.T) {
	testenv.Watchdog(t, 3*time.Minute)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close() // the connection stays in the backlog, unanswered
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exampletest.Command(ctx, programs.Path(t, "http-headers"), "-timeout", "50ms", "http://"+l.Addr().String()+"/")
	out, err := cmd.Output()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || len(out) > 0 {
		t.Errorf("http-headers -timeout 50ms against a silent server printed %q and ended with %v; want exit status 1", out, err)
	}
}

// TestHTTPHeadersUsage: without a URL, http-headers prints its usage and
// exits with status 2.
func TestHTTPHeadersUsage(t *testing.T) {
	testenv.Watchdog(t, 3*time.Minute)
	cmd := exampletest.Command(context.Background(), programs.Path(t, "http-headers"))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(stderr.String(), "usage: http-headers") {
		t.Errorf("http-headers without a URL: %v, stderr %q; want exit status 2 and the usage", err, stderr.String())
	}
}
