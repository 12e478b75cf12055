package netx_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/frame"
	"github.com/streamkit/streamkit/internal/testenv"
	"github.com/streamkit/streamkit/netx"
)

// TestStartTLSSeesPlaintextHeldForFrames: plaintext that arrives after a
// STARTTLS frame, in the same packet, is an injection; a frame.Reader over
// the pair's Reader reads nothing ahead of its frames, so StartTLS sees the
// bytes and refuses, however the protocol was framed before the upgrade.
func TestStartTLSSeesPlaintextHeldForFrames(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	serverTLS, _ := testCerts(t)
	errs := make(chan error, 1)
	s := &netx.Server{Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		fr := frame.NewReader(r, frame.Netstring{})
		for {
			p, err := fr.Next()
			if err != nil {
				errs <- err
				return
			}
			if string(p) == "STARTTLS" {
				break
			}
		}
		// Wait until the injected bytes have arrived, as they would in
		// the same packet.
		if _, err := r.Peek(1); err != nil {
			errs <- err
			return
		}
		errs <- w.StartTLSServer(ctx, r, serverTLS)
	}}
	addr := serve(t, s, "tcp")
	_, w := dial(t, "tcp", addr)
	w.Write([]byte("5:hello,8:STARTTLS,8:INJECTED,"))
	if err := <-errs; !errors.Is(err, netx.ErrUnreadPlaintext) {
		t.Errorf("StartTLSServer with plaintext after the frames: %v, want ErrUnreadPlaintext", err)
	}
}
