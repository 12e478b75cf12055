package examples_test

import (
	"context"
	"errors"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamkit/streamkit/examples/internal/exampletest"
	"github.com/streamkit/streamkit/internal/testenv"
)

// The tests in this file run the seed's four examples, verbatim under
// testdata/seed, with CPython 3.6 against the Go examples, and compare the
// outputs line for line. The echo pair uses the seed's port, 8888: these
// tests skip if it is taken, and run one at a time (none is parallel).

// seedPython returns CPython 3.6, or skips t.
func seedPython(t *testing.T) string {
	t.Helper()
	return testenv.Python(t, "3.6.15")
}

// pythonCmd is a command that runs the seed's script name with python,
// unbuffered (so that a server's lines arrive as it prints them) and with
// UTF-8 output whatever the locale.
func pythonCmd(ctx context.Context, python, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, python, append([]string{filepath.Join("testdata", "seed", name)}, args...)...)
	cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1", "PYTHONIOENCODING=utf-8")
	return cmd
}

// skipIfTaken skips t if nothing can listen on the loopback address
// (e.g. the seed's port is taken).
func skipIfTaken(t *testing.T, addr string) {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s, which the seed's Python example needs: %v", addr, err)
	}
	l.Close()
}

// TestSeedClientGoServer: the seed's Python client against
// examples/echo-server on the seed's address.
func TestSeedClientGoServer(t *testing.T) {
	python := seedPython(t)
	testenv.Watchdog(t, 3*time.Minute)
	skipIfTaken(t, "127.0.0.1:8888")
	srv := exampletest.Start(t, exampletest.Command(context.Background(), programs.Path(t, "echo-server"))) // the defaults: the seed's address
	if got, want := srv.Line(t), "Serving on ('127.0.0.1', 8888)"; got != want {
		t.Fatalf("echo-server printed %q, want %q", got, want)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := pythonCmd(ctx, python, "tcp_echo_client.py").Output()
	if err != nil {
		t.Fatalf("the seed's client: %v\n%s", err, out)
	}
	if diff := cmp.Diff(clientWant, splitLines(string(out))); diff != "" {
		t.Errorf("the seed's client's output (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(serverConnWant, maskPort(srv.Lines(t, 3))); diff != "" {
		t.Errorf("echo-server's output (-want +got):\n%s", diff)
	}
	stop(t, srv, os.Interrupt)
}

// TestSeedServerGoClient: examples/echo-client against the seed's Python
// server, and the two servers' outputs compared.
func TestSeedServerGoClient(t *testing.T) {
	python := seedPython(t)
	testenv.Watchdog(t, 3*time.Minute)
	skipIfTaken(t, "127.0.0.1:8888")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := exampletest.Start(t, pythonCmd(ctx, python, "tcp_echo_server.py"))
	if got, want := srv.Line(t), "Serving on ('127.0.0.1', 8888)"; got != want {
		t.Fatalf("the seed's server printed %q, want %q; stderr:\n%s", got, want, srv.Stderr())
	}
	got := exampletest.Run(t, programs.Path(t, "echo-client")) // the defaults: the seed's address
	if diff := cmp.Diff(clientWant, splitLines(got)); diff != "" {
		t.Errorf("echo-client's output (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(serverConnWant, maskPort(srv.Lines(t, 3))); diff != "" {
		t.Errorf("the seed's server's output (-want +got):\n%s", diff)
	}
	// Ctrl+C: the seed's server catches KeyboardInterrupt and closes.
	if err := srv.Cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if rest, err := srv.Wait(); err != nil || len(rest) > 0 {
		t.Errorf("the seed's server exited with %v after printing %q; stderr:\n%s", err, rest, srv.Stderr())
	}
}

// TestSeedWaitForData: the seed's wait_for_data.py and
// examples/wait-for-data print the same.
func TestSeedWaitForData(t *testing.T) {
	python := seedPython(t)
	testenv.Watchdog(t, 3*time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	want, err := pythonCmd(ctx, python, "wait_for_data.py").Output()
	if err != nil {
		t.Fatalf("the seed's wait_for_data.py: %v\n%s", err, want)
	}
	got := exampletest.Run(t, programs.Path(t, "wait-for-data"))
	if diff := cmp.Diff(splitLines(string(want)), splitLines(got)); diff != "" {
		t.Errorf("wait-for-data's output, against the seed's (-python +go):\n%s", diff)
	}
	if got != "Received: abc\n" {
		t.Errorf("wait-for-data printed %q", got)
	}
}

// listenSeedPort listens on the loopback port the seed's http_headers.py
// connects to (80 or 443: it ignores a port in the URL), or skips t.
func listenSeedPort(t *testing.T, port string) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:"+port)
	if errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EADDRINUSE) {
		t.Skipf("the seed's http_headers.py ignores the port in the URL and connects to port %s, "+
			"where this test cannot serve: %v", port, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestSeedHTTPHeaders: the seed's http_headers.py and examples/http-headers
// against the same servers, on ports 80 and 443 of the loopback interface
// (the seed always connects there). The seed's Python trusts the HTTPS
// server's certificate through SSL_CERT_FILE, http-headers through
// -cafile.
func TestSeedHTTPHeaders(t *testing.T) {
	python := seedPython(t)
	testenv.Watchdog(t, 3*time.Minute)

	t.Run("http", func(t *testing.T) {
		seen := make(chan string, 2)
		s := httptest.NewUnstartedServer(headersHandler(seen))
		s.Listener.Close()
		s.Listener = listenSeedPort(t, "80")
		s.Start()
		defer s.Close()
		compareHTTPHeaders(t, python, "http://127.0.0.1/path/page.html", nil)
		for range 2 {
			if got, want := <-seen, "HEAD /path/page.html HTTP/1.0 Host=127.0.0.1 TLS=false"; got != want {
				t.Errorf("the server saw %q, want %q", got, want)
			}
		}
	})

	t.Run("https", func(t *testing.T) {
		seen := make(chan string, 2)
		s := httptest.NewUnstartedServer(headersHandler(seen))
		s.Listener.Close()
		s.Listener = listenSeedPort(t, "443")
		s.StartTLS()
		defer s.Close()
		cafile := writeCert(t, s)
		compareHTTPHeaders(t, python, "https://127.0.0.1/secure", []string{"SSL_CERT_FILE=" + cafile}, "-cafile", cafile)
		for range 2 {
			if got, want := <-seen, "HEAD /secure HTTP/1.0 Host=127.0.0.1 TLS=true"; got != want {
				t.Errorf("the server saw %q, want %q", got, want)
			}
		}
	})

	// The response of TestHTTPHeadersWire, which tests every line of the
	// seed's loop, from a server that sees the exact request.
	t.Run("every line", func(t *testing.T) {
		listenSeedPort(t, "80").Close() // or skip
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, req := rawServerOn(t, "127.0.0.1:80", seedResponse)
		py, err := pythonCmd(ctx, python, "http_headers.py", "http://127.0.0.1/p").Output()
		if err != nil {
			t.Fatalf("the seed's http_headers.py: %v", err)
		}
		if got, want := <-req, "HEAD /p HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"; got != want {
			t.Errorf("the seed's request was %q, want %q", got, want)
		}

		_, req = rawServerOn(t, "127.0.0.1:80", seedResponse)
		got := exampletest.Run(t, programs.Path(t, "http-headers"), "http://127.0.0.1/p")
		if got, want := <-req, "HEAD /p HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"; got != want {
			t.Errorf("http-headers' request was %q, want %q", got, want)
		}
		if diff := cmp.Diff(splitLines(string(py)), splitLines(got)); diff != "" {
			t.Errorf("http-headers, against the seed's (-python +go):\n%s", diff)
		}
		if diff := cmp.Diff(seedResponseWant, splitLines(got)); diff != "" {
			t.Errorf("http-headers (-want +got):\n%s", diff)
		}
	})
}

// compareHTTPHeaders runs the seed's http_headers.py (with env added to
// its environment) and http-headers (with flags) on url, and compares
// their outputs with each other and with headersWant.
func compareHTTPHeaders(t *testing.T, python, url string, env []string, flags ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := pythonCmd(ctx, python, "http_headers.py", url)
	cmd.Env = append(cmd.Env, env...)
	var stderr exampletest.SyncBuffer
	cmd.Stderr = &stderr
	py, err := cmd.Output()
	if err != nil {
		t.Fatalf("the seed's http_headers.py %s: %v\n%s", url, err, stderr.String())
	}
	got := exampletest.Run(t, programs.Path(t, "http-headers"), append(flags, url)...)
	if diff := cmp.Diff(splitLines(string(py)), splitLines(got)); diff != "" {
		t.Errorf("http-headers %s, against the seed's (-python +go):\n%s", url, diff)
	}
	if diff := cmp.Diff(headersWant, splitLines(got)); diff != "" {
		t.Errorf("http-headers %s (-want +got):\n%s", url, diff)
	}
}
