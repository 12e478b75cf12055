package netx_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/internal/testenv"
	"github.com/streamkit/streamkit/netx"
)

// countHandler reads lines to the end of the stream, then replies with
// their count: it needs the client's half-close to answer.
func countHandler(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
	n := 0
	for {
		_, err := r.ReadLine()
		if err == io.EOF {
			break
		}
		if err != nil {
			return
		}
		n++
	}
	fmt.Fprintf(w, "%d lines\n", n)
}

func TestHalfClose(t *testing.T) {
	serverTLS, clientTLS := testCerts(t)
	for _, tc := range []struct {
		name, network string
		tls           bool
	}{{"tcp", "tcp", false}, {"unix", "unix", false}, {"tls", "tcp", true}} {
		t.Run(tc.name, func(t *testing.T) {
			testenv.Watchdog(t, 20*time.Second)
			s := &netx.Server{Handler: countHandler}
			d := netx.Dialer{}
			if tc.tls {
				s.TLSConfig = serverTLS
				d.TLSConfig = clientTLS
			}
			addr := serve(t, s, tc.network)
			r, w, err := d.Dial(context.Background(), tc.network, addr)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if !w.CanWriteEOF() {
				t.Fatal("CanWriteEOF() = false")
			}
			const lines = 1000
			for i := range lines {
				w.Write([]byte(testLine(1, i)))
			}
			if err := w.WriteEOF(); err != nil {
				t.Fatalf("WriteEOF: %v", err)
			}
			if err := w.WriteEOF(); err != nil {
				t.Errorf("second WriteEOF: %v", err)
			}
			if _, err := w.Write([]byte("late\n")); err == nil {
				t.Error("Write after WriteEOF succeeded")
			}
			// Our reads go on after the half-close.
			line, err := r.ReadLine()
			if want := fmt.Sprintf("%d lines\n", lines); err != nil || string(line) != want {
				t.Fatalf("reply = %q, %v; want %q", line, err, want)
			}
			if _, err := r.ReadLine(); !errors.Is(err, io.EOF) {
				t.Errorf("after the reply: %v, want io.EOF", err)
			}
		})
	}
}
