package netx

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"

	"github.com/streamkit/streamkit/bufio2"
)

// ErrUnreadPlaintext is matched (errors.Is) by the error of
// [Writer.StartTLS] and [Writer.StartTLSServer] when the Reader still holds
// plaintext bytes that were received before the upgrade.
var ErrUnreadPlaintext = errors.New("netx: plaintext still buffered unread")

// StartTLS upgrades the connection of the pair r, w to TLS as the client
// (asyncio's StreamWriter.start_tls). It waits until everything written so
// far has been handed to the kernel, then performs the handshake, bounded by
// ctx. Afterwards r and w read and write through TLS, and [Writer.Conn]
// returns the *tls.Conn. If config.ServerName is empty and the pair was
// made by Dial, the dialed host is used.
//
// StartTLS refuses, with an error matching [ErrUnreadPlaintext], if r still
// buffers bytes received before the upgrade: the protocol (SMTP's STARTTLS,
// say) must have been read up to the point of the upgrade. No read or write
// on the pair may be in progress during StartTLS. If the handshake fails,
// the Writer is failed with its error.
func (w *Writer) StartTLS(ctx context.Context, r *bufio2.Reader, config *tls.Config) error {
	return w.startTLS(ctx, r, config, false)
}

// StartTLSServer is [Writer.StartTLS] for the server side of the
// connection.
func (w *Writer) StartTLSServer(ctx context.Context, r *bufio2.Reader, config *tls.Config) error {
	return w.startTLS(ctx, r, config, true)
}

func (w *Writer) startTLS(ctx context.Context, r *bufio2.Reader, config *tls.Config, server bool) error {
	if config == nil {
		panic("netx: StartTLS: nil tls.Config")
	}
	if n := r.Buffered(); n > 0 {
		return fmt.Errorf("netx: StartTLS: %d plaintext bytes are buffered unread: %w", n, ErrUnreadPlaintext)
	}
	tc, err := w.switchToTLS(ctx, config, server)
	if err != nil {
		return err
	}
	r.Reset(w.cr)
	if err := tc.HandshakeContext(ctx); err != nil {
		err = ctxError(ctx, fmt.Errorf("netx: StartTLS: handshake: %w", err))
		w.mu.Lock()
		defer w.unlock()
		w.failLocked(err)
		return err
	}
	return nil
}

// switchToTLS waits, bounded by ctx, until everything written so far has
// been handed to the kernel and nobody sends, then puts a TLS connection
// over the plain one under both sides of the pair.
func (w *Writer) switchToTLS(ctx context.Context, config *tls.Config, server bool) (*tls.Conn, error) {
	w.mu.Lock()
	defer w.unlock()
	if err := w.writeErrLocked(); err != nil {
		return nil, err
	}
	if err := w.awaitLocked(ctx.Done(), w.quietLocked); err != nil {
		if err == errStopped {
			return nil, ctx.Err()
		}
		return nil, err
	}
	if err := w.writeErrLocked(); err != nil {
		return nil, err
	}
	if w.cr == nil {
		panic("netx: StartTLS: Writer without a Reader")
	}
	var tc *tls.Conn
	if server {
		tc = tls.Server(w.conn, config)
	} else {
		cfg := config
		if cfg.ServerName == "" && w.host != "" {
			cfg = cfg.Clone()
			cfg.ServerName = w.host
		}
		tc = tls.Client(w.conn, cfg)
	}
	w.conn = tc
	w.raw = nil
	w.lazyReads = false
	w.cr.conn = tc
	return tc, nil
}

// quietLocked reports whether nothing is queued and nobody sends or waits
// to.
func (w *Writer) quietLocked() bool {
	return w.q.size() == 0 && !w.tok.held && w.tok.queued == 0
}
