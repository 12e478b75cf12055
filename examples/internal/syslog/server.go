// Package syslog is a small syslog server for TCP (RFC 6587) on a
// netx.Server: it takes, frame by frame, both framings that syslog senders
// use over TCP, as rsyslog's imtcp does, and parses RFC 5424 and RFC 3164
// (BSD) headers.
//
//	octet counted (3.4.1):   77 <165>1 2003-10-11T22:14:15.003Z host app 8710 - - hello
//	                         +--+--+-------------------------------------------------+
//	                         |77|SP|              77 bytes of message                |
//	                         +--+--+-------------------------------------------------+
//	non-transparent (3.4.2): <13>Oct 11 22:14:15 host app[42]: hello LF
//	                         +----------------------------------------+--+
//	                         |        message                         |LF|
//	                         +----------------------------------------+--+
//
// What it shows of streamkit:
//
//   - frame.OctetCounting{NonTransparent: true, Max: ...}, the codec that
//     tells the two framings apart per frame, in a frame.Reader made over
//     the connection's own bufio2.Reader (so it holds no buffer of its own
//     and reads nothing ahead);
//   - bufio2.Reader.Peek, to see which framing the next frame has;
//   - the way past a message over the maximum, which the codec reports
//     with *errs.FrameTooLargeError before buffering it: the bufio2.Reader
//     stands at the frame's start, so the Reader discards it by its count
//     (bufio2.Reader.Discard of the error's Skip) or through its LF
//     (bufio2.Reader.SkipUntil), in O(max) memory, and goes on with a new
//     frame.Reader on the same buffer;
//   - netx.Server: a handler per connection, Server.Shutdown, which closes
//     at once the connections that wait for a message (a relay such as
//     rsyslog keeps its connection open) and lets those in the middle of
//     one finish, and the IdleTimeout and ReadTimeout bounds.
//
// A message's fields are substrings of one copy of its frame: one
// allocation per message for all of them.
package syslog

import (
	"context"
	"errors"
	"io"
	"net"
	"time"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/netx"
)

// Server receives syslog messages over TCP or Unix stream sockets. Set its
// fields before calling Listen or Serve; the zero value is not usable (it
// needs a Handler).
type Server struct {
	// Handler is called with each message, in order, from the goroutine of
	// the connection it came on; calls for different connections run at
	// once. It must not be nil. ctx ends when the connection is aborted.
	Handler func(ctx context.Context, m Message)

	// Error, if not nil, is called with each error of a connection: a
	// *ParseError or an *errs.FrameTooLargeError, after which the
	// connection goes on with the next message, or the error that ends the
	// connection (a malformed octet count, a message cut short, a
	// timeout). A clean end and the server's shutdown are not reported.
	Error func(remote net.Addr, err error)

	// Max is the largest message, in bytes. If zero, DefaultMax is used.
	Max int

	// IdleTimeout, if positive, closes a connection that sends nothing for
	// that long. ReadTimeout, if positive, bounds the reading of one
	// message, from the wait for its first byte to its last (see
	// netx.Server's fields of the same names).
	IdleTimeout, ReadTimeout time.Duration

	srv netx.Server
}

// Listen listens on the address and serves in the background; it returns
// once the server is listening.
func (s *Server) Listen(ctx context.Context, network, address string) error {
	s.setup()
	return s.srv.Listen(ctx, network, address)
}

// Serve serves the connections of l until Shutdown or Close; it then
// returns netx.ErrServerClosed.
func (s *Server) Serve(l net.Listener) error {
	s.setup()
	return s.srv.Serve(l)
}

func (s *Server) setup() {
	if s.Handler == nil {
		panic("syslog: Server.Handler is nil")
	}
	s.srv.Handler = s.serve
	s.srv.IdleTimeout = s.IdleTimeout
	s.srv.ReadTimeout = s.ReadTimeout
	// The connection's limit bounds the Peek and the skips; the frames
	// themselves are bounded by Max.
	s.srv.Limit = max(s.Max, DefaultMax)
}

// Addr returns the address the server listens on.
func (s *Server) Addr() net.Addr { return s.srv.Addr() }

// Shutdown stops accepting, closes the connections that wait for a message,
// and waits for the others to finish theirs; when ctx ends it aborts them.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }

// Close stops accepting and aborts every connection now.
func (s *Server) Close() error { return s.srv.Close() }

func (s *Server) serve(ctx context.Context, br *bufio2.Reader, w *netx.Writer) {
	r := NewReader(br, s.Max)
	for {
		m, err := r.Next()
		if err == nil {
			s.Handler(ctx, m)
			continue
		}
		if err == io.EOF || errors.Is(err, netx.ErrServerClosed) {
			return
		}
		if s.Error != nil {
			s.Error(w.RemoteAddr(), err)
		}
		var pe *ParseError
		var tl *errs.FrameTooLargeError
		if !errors.As(err, &pe) && !errors.As(err, &tl) {
			return
		}
	}
}
