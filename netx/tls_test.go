package netx_test

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/internal/testenv"
	"github.com/streamkit/streamkit/netx"
)

// startTLSHandler speaks a tiny STARTTLS protocol: "STARTTLS\n" is
// answered "OK\n" and followed by the upgrade; then lines are echoed. With
// peek > 0 it first waits until that many bytes after the command are
// buffered.
func startTLSHandler(cfg *tls.Config, peek int, errs chan<- error) netx.Handler {
	return func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		line, err := r.ReadLine()
		if err != nil || string(line) != "STARTTLS\n" {
			errs <- err
			return
		}
		if peek > 0 {
			if _, err := r.Peek(peek); err != nil {
				errs <- err
				return
			}
		}
		w.Write([]byte("OK\n"))
		if err := w.StartTLSServer(ctx, r, cfg); err != nil {
			errs <- err
			return
		}
		if _, ok := w.Conn().(*tls.Conn); !ok {
			errs <- errors.New("Conn() is not a *tls.Conn after StartTLSServer")
			return
		}
		errs <- nil
		echoHandler(ctx, r, w)
	}
}

func TestStartTLS(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	serverTLS, clientTLS := testCerts(t)
	errs := make(chan error, 1)
	s := &netx.Server{Handler: startTLSHandler(serverTLS, 0, errs)}
	addr := serve(t, s, "tcp")
	r, w := dial(t, "tcp", addr)
	w.Write([]byte("STARTTLS\n"))
	if line, err := r.ReadLine(); err != nil || string(line) != "OK\n" {
		t.Fatalf("ReadLine() = %q, %v", line, err)
	}
	// ServerName is empty: the dialed host (127.0.0.1) is used.
	if err := w.StartTLS(context.Background(), r, clientTLS); err != nil {
		t.Fatalf("StartTLS: %v", err)
	}
	if err := <-errs; err != nil {
		t.Fatalf("server side: %v", err)
	}
	tc, ok := w.Conn().(*tls.Conn)
	if !ok || !tc.ConnectionState().HandshakeComplete {
		t.Fatalf("Conn() = %T after StartTLS, want a *tls.Conn with its handshake done", w.Conn())
	}
	for _, msg := range []string{"secret 1\n", "secret 2\n"} {
		w.Write([]byte(msg))
		if line, err := r.ReadLine(); err != nil || string(line) != msg {
			t.Fatalf("ReadLine() over TLS = %q, %v", line, err)
		}
	}
	if err := w.WriteEOF(); err != nil {
		t.Errorf("WriteEOF over TLS: %v", err)
	}
}

func TestStartTLSRefusesBufferedPlaintext(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	serverTLS, _ := testCerts(t)
	errs := make(chan error, 1)
	s := &netx.Server{Handler: startTLSHandler(serverTLS, len("INJECTED\n"), errs)}
	addr := serve(t, s, "tcp")
	_, w := dial(t, "tcp", addr)
	// Bytes after STARTTLS that the server reads as plaintext: an
	// injection the upgrade must not swallow.
	w.Write([]byte("STARTTLS\nINJECTED\n"))
	if err := <-errs; !errors.Is(err, netx.ErrUnreadPlaintext) {
		t.Errorf("StartTLSServer with plaintext buffered: %v, want ErrUnreadPlaintext", err)
	}
}

func TestTLSServerHandshakeFailure(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	serverTLS, _ := testCerts(t)
	logs := &recordHandler{}
	s := &netx.Server{Handler: echoHandler, TLSConfig: serverTLS, Logger: slog.New(logs)}
	addr := serve(t, s, "tcp")
	// A client that does not trust the server's certificate.
	d := netx.Dialer{TLSConfig: &tls.Config{ServerName: "localhost"}}
	if _, _, err := d.Dial(context.Background(), "tcp", addr); err == nil {
		t.Fatal("Dial trusted an unknown certificate")
	}
	// The server goes on.
	_, clientTLS := testCerts(t)
	d = netx.Dialer{TLSConfig: clientTLS}
	r, w, err := d.Dial(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.Write([]byte("still serving\n"))
	if line, err := r.ReadLine(); err != nil || string(line) != "still serving\n" {
		t.Fatalf("ReadLine() = %q, %v", line, err)
	}
}
