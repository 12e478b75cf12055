package netx

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/streamkit/streamkit/bufio2"
)

// Dial connects to address on the named network and returns the
// connection's reader/writer pair (asyncio's open_connection and
// open_unix_connection). It is [Dialer.Dial] with a zero Dialer: the
// Reader's limit is [bufio2.DefaultLimit] and there is no TLS.
func Dial(ctx context.Context, network, address string) (*bufio2.Reader, *Writer, error) {
	var d Dialer
	return d.Dial(ctx, network, address)
}

// A Dialer holds the options for connecting. Its zero value dials with no
// timeout, the default limit and no TLS. The fields other than Limit,
// TLSConfig and ReadTimeout are net.Dialer's, with the same meaning.
type Dialer struct {
	// Limit is the limit of the returned [bufio2.Reader]. If zero (or
	// negative), bufio2.DefaultLimit is used.
	Limit int

	// TLSConfig, if not nil, makes Dial a TLS client: the handshake
	// completes before Dial returns. If its ServerName is empty, the host
	// of the address is used (for "unix", which has no host, set it).
	TLSConfig *tls.Config

	// ReadTimeout, if positive, is the longest one read call on the
	// returned Reader may take, from its start to its return, as
	// [Server.ReadTimeout] is for a served connection: past it the call
	// fails with an error matching os.ErrDeadlineExceeded, and so does
	// every later read. [Writer.SetReadDeadline] composes with it: each
	// read waits until the earlier of the two.
	ReadTimeout time.Duration

	// Timeout bounds the whole dial, TLS handshake included. If zero,
	// only ctx bounds it.
	Timeout time.Duration

	// Deadline, if not zero, is the time by which the whole dial, TLS
	// handshake included, must finish.
	Deadline time.Time

	// LocalAddr is the local address to use; if nil, one is chosen. It
	// must match the network: a *net.TCPAddr for "tcp", a *net.UnixAddr
	// for "unix".
	LocalAddr net.Addr

	// FallbackDelay is net.Dialer's Happy Eyeballs delay for "tcp" when
	// the host has both IPv4 and IPv6 addresses. If zero, 300ms; if
	// negative, fallback is disabled.
	FallbackDelay time.Duration

	// KeepAlive is the TCP keep-alive period (net.Dialer.KeepAlive). If
	// zero, keep-alives are enabled with the system's default period; if
	// negative, they are disabled. KeepAliveConfig, if its Enable is true,
	// takes precedence.
	KeepAlive       time.Duration
	KeepAliveConfig net.KeepAliveConfig

	// Resolver, if not nil, resolves host names.
	Resolver *net.Resolver

	// Control and ControlContext, if not nil, are called after creating
	// the socket and before connecting (net.Dialer's).
	Control        func(network, address string, c syscall.RawConn) error
	ControlContext func(ctx context.Context, network, address string, c syscall.RawConn) error
}

// Dial connects to address on the named network, "tcp", "tcp4", "tcp6" or
// "unix", and returns the connection's reader/writer pair. The address is
// "host:port" for TCP and a path (or "@name" for Linux's abstract
// namespace) for Unix.
//
// If ctx is cancelled or expires before Dial is done, the dial, the TLS
// handshake included, is aborted at once, and the error returned matches
// ctx's error with errors.Is.
func (d *Dialer) Dial(ctx context.Context, network, address string) (*bufio2.Reader, *Writer, error) {
	switch network {
	case "tcp", "tcp4", "tcp6", "unix":
	default:
		return nil, nil, &net.OpError{Op: "dial", Net: network, Err: net.UnknownNetworkError(network)}
	}
	if d.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d.Timeout)
		defer cancel()
	}
	if !d.Deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Deadline)
		defer cancel()
	}
	nd := net.Dialer{
		LocalAddr:       d.LocalAddr,
		FallbackDelay:   d.FallbackDelay,
		KeepAlive:       d.KeepAlive,
		KeepAliveConfig: d.KeepAliveConfig,
		Resolver:        d.Resolver,
		Control:         d.Control,
		ControlContext:  d.ControlContext,
	}
	conn, err := nd.DialContext(ctx, network, address)
	if err != nil {
		return nil, nil, ctxError(ctx, err)
	}
	var host string
	if network != "unix" {
		host, _, _ = net.SplitHostPort(address)
	}
	if d.TLSConfig != nil {
		cfg := d.TLSConfig
		if cfg.ServerName == "" && host != "" {
			cfg = cfg.Clone()
			cfg.ServerName = host
		}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, nil, ctxError(ctx, fmt.Errorf("netx: dial %s %s: TLS handshake: %w", network, address, err))
		}
		conn = tc
	}
	w := newWriter(conn)
	r := newReader(w, d.Limit, readTimeouts{call: d.ReadTimeout})
	w.host = host
	return r, w, nil
}

// ctxError makes sure that an error caused by ctx's end matches ctx's error.
func ctxError(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w: %w", err, cerr)
	}
	return err
}
