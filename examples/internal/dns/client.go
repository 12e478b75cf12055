// Package dns is a small DNS client over TCP (RFC 1035 section 4.2.2, RFC
// 7766) on a netx pair: A and AAAA queries, answers with compressed names,
// and many queries pipelined on one connection, their responses matched by
// ID in whatever order the server sends them.
//
// Over TCP each message is preceded by its length, two bytes, big-endian:
//
//	00 1e  ab cd 01 00 00 01 00 00 00 00 00 00  07 e x a m p l e 04 t e s t 00  00 01 00 01
//	+-----+-----------------------------------+--------------------------------+-----+-----+
//	| 30  | ID, flags (RD), 1 question        | example.test.                  |  A  | IN  |
//	+-----+-----------------------------------+--------------------------------+-----+-----+
//	length  the message: 30 bytes
//
// which is frame.LengthPrefixed{Size: 2, Max: 65535}: a frame.Writer writes
// the queries (a pipeline goes out in few writes, 4 KiB each) and a frame.Reader over
// the connection's own bufio2.Reader reads the responses, each one in place,
// its memory growing only as its bytes arrive, so a length prefix that
// lies costs what was sent.
//
// [Parse] reads a message as hostile input: a name's compression pointer
// must point inside the message (ErrPointerRange) and before the labels it
// ends (a loop needs one that does not: ErrPointerLoop), a name must fit
// in 255 bytes (ErrBadName), and every count and length is checked against
// the bytes there (ErrShort), all as a *FormatError; a count of 65535
// records costs nothing until their bytes are there.
package dns

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/frame"
	"github.com/streamkit/streamkit/netx"
)

// Codec is the framing of DNS over TCP.
var Codec = frame.LengthPrefixed{Size: 2, Max: MaxMessage}

// RcodeError is a response whose Rcode is not RcodeSuccess: for
// RcodeNameError, the name does not exist.
type RcodeError struct {
	Name  string
	Rcode Rcode
}

func (e *RcodeError) Error() string { return fmt.Sprintf("dns: %s: %v", e.Name, e.Rcode) }

// ErrBroken is wrapped by the error of every call on a Client after a
// response could not be read, or did not answer a query sent.
var ErrBroken = errors.New("dns: connection broken by an earlier error")

// MismatchError is a response that answers no query in flight: an ID not
// sent, or a question other than the query's.
type MismatchError struct {
	ID       uint16
	Question string // the response's question, "" if it has none
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("dns: response %d (%q) answers no query sent", e.ID, e.Question)
}

// Client is a connection to a DNS server over TCP. It is not safe for
// concurrent use.
type Client struct {
	dial func(ctx context.Context) (*bufio2.Reader, *netx.Writer, error) // nil: no redial
	w    *netx.Writer
	fr   *frame.Reader
	fw   *frame.Writer
	qbuf []byte
	id   uint16
	err  error // sticky
	// answered counts the responses read on this connection: a redial is
	// only for a connection that answered, so that it cannot loop.
	answered int
}

// Dial connects to the DNS server at address ("host:port").
//
// A server may close a connection between two responses at any time
// (dnsmasq does after 100 queries); RFC 7766 section 6.2.1 asks the client
// to send the queries still unanswered again on a new connection. A Client
// made by Dial does so, within the Lookup call and its ctx, as long as each
// connection answers at least one query before it is closed.
func Dial(ctx context.Context, network, address string) (*Client, error) {
	dial := func(ctx context.Context) (*bufio2.Reader, *netx.Writer, error) {
		return netx.Dial(ctx, network, address)
	}
	r, w, err := dial(ctx)
	if err != nil {
		return nil, err
	}
	c := New(r, w)
	c.dial = dial
	return c, nil
}

// New returns a Client over a netx pair. When the server closes it, the
// Client is broken: it does not know how to connect again.
func New(r *bufio2.Reader, w *netx.Writer) *Client {
	c := &Client{id: uint16(time.Now().UnixNano())}
	c.use(r, w)
	return c
}

func (c *Client) use(r *bufio2.Reader, w *netx.Writer) {
	c.w = w
	c.answered = 0
	c.fr = frame.NewReader(r, Codec)
	c.fw = frame.NewWriter(w, Codec)
}

// Close closes the connection.
func (c *Client) Close() error { return c.w.Close() }

// send writes the queries of ids, those of pending, in one Flush (and as
// few writes as the frame.Writer's buffer allows).
func (c *Client) send(t Type, names []string, pending map[uint16]int, ids []uint16) error {
	for _, id := range ids {
		i, ok := pending[id]
		if !ok {
			continue
		}
		q, _ := AppendQuery(c.qbuf[:0], id, names[i], t) // names are checked by Lookup
		c.qbuf = q
		if err := c.fw.WriteFrame(q); err != nil {
			return err
		}
	}
	return c.fw.Flush()
}

// redial replaces the connection that the server closed and sends the
// queries of pending again.
func (c *Client) redial(ctx context.Context, t Type, names []string, pending map[uint16]int) error {
	c.w.Abort()
	r, w, err := c.dial(ctx)
	if err != nil {
		return err
	}
	c.use(r, w)
	ids := make([]uint16, 0, len(pending))
	for id := range pending {
		ids = append(ids, id)
	}
	slices.Sort(ids) // in the order they were first sent, but for a wrap of the IDs
	return c.send(t, names, pending, ids)
}

// canRedial reports whether err, from a read or a write, says that the
// server closed the connection and a Client made by Dial may connect
// again.
func (c *Client) canRedial(ctx context.Context, err error) bool {
	return c.dial != nil && ctx.Err() == nil && c.closed(err)
}

// Result is the answer to one query of [Client.Lookup].
type Result struct {
	Name  string
	Addrs []netip.Addr // the A (or AAAA) records of the answer, in order
	Err   error        // *RcodeError for NXDOMAIN and the like
}

// Lookup sends one query per name, for records of type t (TypeA or
// TypeAAAA), all in one write, and reads the responses, matched to the
// queries by ID whatever their order. The results are in the order of
// names. The error is for the connection: a response that breaks the
// format (*FormatError), answers no query (*MismatchError), or does not
// come; after it the Client is broken.
//
// A ctx that ends while Lookup waits interrupts the read (through the
// connection's read deadline) and breaks the Client.
func (c *Client) Lookup(ctx context.Context, t Type, names ...string) ([]Result, error) {
	if c.err != nil {
		return nil, c.err
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("dns: %w", context.Cause(ctx))
	}
	if len(names) > 1<<16-1 {
		return nil, fmt.Errorf("dns: %d queries at once, over the %d IDs", len(names), 1<<16-1)
	}
	// Every name is checked before any query is buffered, so that a bad
	// one leaves nothing half sent.
	for _, name := range names {
		q, err := AppendQuery(c.qbuf[:0], 0, name, t)
		if err != nil {
			return nil, err
		}
		c.qbuf = q
	}
	results := make([]Result, len(names))
	pending := make(map[uint16]int, len(names))
	ids := make([]uint16, len(names))
	for i, name := range names {
		c.id++
		for _, taken := pending[c.id]; taken; _, taken = pending[c.id] {
			c.id++
		}
		pending[c.id] = i
		ids[i] = c.id
		results[i].Name = name
	}
	stop := c.watch(ctx)
	defer func() { stop() }()
	// A write that fails because the server closed the connection (it may
	// close after some of a pipeline, with the rest unread) ends the
	// writing, not the call: the responses it sent are read, and the read
	// loop sends the rest again.
	if err := c.send(t, names, pending, ids); err != nil && !c.canRedial(ctx, err) {
		return nil, c.fail(err)
	}
	for len(pending) > 0 {
		p, err := c.fr.Next()
		if err != nil && c.canRedial(ctx, err) && c.answered > 0 {
			// Closed: again on a new connection.
			stop()
			if err := c.redial(ctx, t, names, pending); err != nil && !c.canRedial(ctx, err) {
				return nil, c.fail(err)
			}
			stop = c.watch(ctx)
			continue
		}
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			if ctx.Err() != nil {
				err = fmt.Errorf("dns: %w", context.Cause(ctx))
			}
			return nil, c.fail(err)
		}
		m, err := Parse(p)
		if err != nil {
			return nil, c.fail(err)
		}
		i, ok := pending[m.ID]
		if !ok || !m.Response || len(m.Questions) != 1 || !strings.EqualFold(m.Questions[0].Name, fqdn(names[i])) || m.Questions[0].Type != t {
			q := ""
			if len(m.Questions) > 0 {
				q = m.Questions[0].Name
			}
			return nil, c.fail(&MismatchError{ID: m.ID, Question: q})
		}
		delete(pending, m.ID)
		c.answered++
		if m.Rcode != RcodeSuccess {
			results[i].Err = &RcodeError{Name: names[i], Rcode: m.Rcode}
			continue
		}
		for _, rr := range m.Answers {
			if rr.Type != t {
				continue // a CNAME on the way
			}
			if a, ok := rr.Addr(); ok {
				results[i].Addrs = append(results[i].Addrs, a)
			}
		}
	}
	return results, nil
}

// LookupA returns name's IPv4 addresses, or an *RcodeError.
func (c *Client) LookupA(ctx context.Context, name string) ([]netip.Addr, error) {
	rs, err := c.Lookup(ctx, TypeA, name)
	if err != nil {
		return nil, err
	}
	return rs[0].Addrs, rs[0].Err
}

// closed reports whether err says that the server closed the connection:
// the end of the stream where a response would start, a reset (a server
// that closes with queries unread in its buffer resets the connection, and
// a query written after its close meets one), or the stream cut inside a
// response by that reset. The queries unanswered are sent again: a query
// has no effect that repeating it would double.
func (c *Client) closed(err error) bool {
	return err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

func fqdn(name string) string {
	if strings.HasSuffix(name, ".") {
		return name
	}
	return name + "."
}

func (c *Client) fail(err error) error {
	c.err = fmt.Errorf("%w: %w", ErrBroken, err)
	return err
}

// watch makes ctx's end interrupt the read in progress, by setting the
// connection's read deadline in the past.
func (c *Client) watch(ctx context.Context) (stop func()) {
	if ctx.Done() == nil {
		return func() {}
	}
	conn := c.w.Conn()
	cancel := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Unix(1, 0)) })
	return func() {
		if !cancel() && c.err == nil {
			c.fail(fmt.Errorf("dns: %w", context.Cause(ctx)))
		}
	}
}

// IsBroken reports whether err says that a Client is broken.
func IsBroken(err error) bool { return errors.Is(err, ErrBroken) }
