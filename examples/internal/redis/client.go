// Package redis is a small Redis client on a netx pair: RESP2 and RESP3
// (HELLO 3), pipelining, and bulk strings of any size through a
// bufio2.Reader whose limit is far smaller.
//
// A reply is a type line and, for a bulk string, a counted block:
//
//	GET k  ->  $5\r\nhello\r\n
//	           +--+----+-------+----+
//	           |$5|\r\n| hello |\r\n|
//	           +--+----+-------+----+
//	           type line   block (5 bytes, then "\r\n")
//
// The client reads the line with bufio2's ReadLineSlice, without a copy,
// and the block with ReadBlockSlice(5, "\r\n"), which checks the "\r\n"
// after it. A block larger than the Reader's limit
// is read whole all the same (its memory grows as its bytes arrive), so the
// limit bounds the lines, never the values.
//
// Commands are buffered by Send and written by Flush, so a pipeline is
// Sends, a Flush, and as many ReadReplySlice calls, each of which reads
// in place and allocates nothing for a scalar reply:
//
//	for _, k := range keys {
//		c.Send("GET", k)
//	}
//	c.Flush()
//	for range keys {
//		v, err := c.ReadReplySlice() // valid until the next read
//		...
//	}
//
// Do is the one-command form. Redis buffers the replies of a client that
// does not read them yet, so a pipeline may send everything before reading.
package redis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/netx"
)

const (
	// MaxBulk is the largest bulk string the client accepts: Redis's
	// proto-max-bulk-len, 512 MiB. Its memory is taken as the bytes arrive,
	// not when the length is read.
	MaxBulk = 512 << 20
	// MaxDepth is the deepest nesting of aggregates the client reads.
	MaxDepth = 128
	// flushSize is how many bytes of commands Send buffers before writing
	// them: netx's default high-water mark, so that each write fits the
	// Writer's buffer.
	flushSize = netx.DefaultHighWater
)

var crlf = []byte("\r\n")

// Client is a connection to a Redis server: a [Reader] of its replies and
// a buffer of commands. It is not safe for concurrent use.
type Client struct {
	*Reader

	// Push, if not nil, is called by Do with each RESP3 push (a pub/sub
	// message, a key invalidation) that arrives before the command's
	// reply; the Value is Push's to keep. If nil, Do drops pushes.
	// ReadReply and ReadReplySlice return pushes as they come, like any
	// other reply, which is how to read a subscription.
	Push func(Value)

	w    *netx.Writer
	wbuf []byte // commands sent and not yet written
}

// Reader reads RESP replies from a bufio2.Reader. It is not safe for
// concurrent use.
type Reader struct {
	r     *bufio2.Reader
	arena []byte // the bytes of the nested values of the last ReadReplySlice
	err   error  // sticky: the reply stream is broken
}

// NewReader returns a Reader of the replies that r holds.
func NewReader(r *bufio2.Reader) *Reader { return &Reader{r: r} }

// Dial connects to the Redis server at address ("host:port" for "tcp", a
// path for "unix"). The connection speaks RESP2 until [Client.Hello].
func Dial(ctx context.Context, network, address string) (*Client, error) {
	r, w, err := netx.Dial(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return New(r, w), nil
}

// New returns a Client over a netx pair, such as one from a netx.Dialer with
// a limit of its own.
func New(r *bufio2.Reader, w *netx.Writer) *Client {
	return &Client{Reader: NewReader(r), w: w}
}

// Close closes the connection.
func (c *Client) Close() error { return c.w.Close() }

// Send buffers one command. It writes the buffer once it holds
// netx.DefaultHighWater bytes; [Client.Flush] writes the rest.
func (c *Client) Send(args ...string) error {
	if c.err != nil {
		return c.err
	}
	c.wbuf = AppendCommand(c.wbuf, args...)
	return c.flushOver(flushSize)
}

// SendBytes is [Client.Send] with arguments as byte slices.
func (c *Client) SendBytes(args ...[]byte) error {
	if c.err != nil {
		return c.err
	}
	c.wbuf = AppendCommand(c.wbuf, args...)
	return c.flushOver(flushSize)
}

// Flush writes the commands buffered by Send.
func (c *Client) Flush() error { return c.flushOver(1) }

func (c *Client) flushOver(n int) error {
	if len(c.wbuf) < n {
		return nil
	}
	_, err := c.w.Write(c.wbuf)
	c.wbuf = c.wbuf[:0]
	if err != nil {
		return c.fail(err)
	}
	return nil
}

// Do sends one command and reads its reply, which is the caller's to keep.
// An error reply is returned as a *ServerError, with the reply. Pushes that
// come first go to [Client.Push].
//
// A ctx that has already ended fails Do before it sends anything. One that
// ends while Do waits for the reply interrupts the read (through the
// connection's read deadline): Do returns ctx's error, and the Client is
// broken, since the stream may be in the middle of a reply.
func (c *Client) Do(ctx context.Context, args ...string) (Value, error) {
	if ctx.Err() != nil {
		return Value{}, fmt.Errorf("redis: %w", context.Cause(ctx))
	}
	if err := c.Send(args...); err != nil {
		return Value{}, err
	}
	if err := c.Flush(); err != nil {
		return Value{}, err
	}
	stop := c.watch(ctx)
	v, err := c.ReadReply()
	for err == nil && v.Kind == Push {
		if c.Push != nil {
			c.Push(v)
		}
		v, err = c.ReadReply()
	}
	if stop() {
		// ctx ended, and the read deadline it set may have cut the read
		// short or may yet cut the next one.
		err = fmt.Errorf("redis: %w", context.Cause(ctx))
		c.err = fmt.Errorf("%w: %w", ErrBroken, err)
		return Value{}, err
	}
	if err != nil {
		return Value{}, err
	}
	return v, v.Err()
}

// watch makes ctx's end interrupt the read in progress, by setting the
// connection's read deadline in the past. stop undoes it and reports
// whether it fired.
func (c *Client) watch(ctx context.Context) (stop func() bool) {
	if ctx.Done() == nil {
		return func() bool { return false }
	}
	conn := c.w.Conn()
	cancel := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Unix(1, 0)) })
	return func() bool { return !cancel() }
}

// Hello switches the connection to protocol version proto (2 or 3) with
// HELLO and returns the server's description of itself: in RESP3 a Map
// (server, version, proto, id, mode, role, modules).
func (c *Client) Hello(ctx context.Context, proto int) (Value, error) {
	return c.Do(ctx, "HELLO", fmt.Sprint(proto))
}

// ReadReply reads the next reply; it is the caller's to keep. A RESP3 push
// (a pub/sub message, an invalidation) is a reply like any other, of Kind
// Push. An error reply
// is a Value of Kind Error or BulkError, not an error: the error is for a
// stream that failed or ended, or a reply that breaks RESP, after which the
// Reader (and its Client) is broken: every later call returns an error
// wrapping ErrBroken.
func (c *Reader) ReadReply() (Value, error) {
	v, err := c.ReadReplySlice()
	if err != nil {
		return Value{}, err
	}
	return v.Clone(), nil
}

// ReadReplySlice is [Reader.ReadReply] without the copies: the reply's byte
// slices are valid only until the next call on the Reader. A scalar reply
// points into the connection's buffer, and the bytes of an aggregate's
// elements are copied into a buffer that the Client reuses, so that a
// pipeline of scalar replies reads without allocating; an aggregate
// allocates its Elems.
func (c *Reader) ReadReplySlice() (Value, error) {
	if c.err != nil {
		return Value{}, c.err
	}
	c.arena = c.arena[:0]
	v, err := c.read(0, true)
	if err != nil {
		return Value{}, c.fail(err)
	}
	return v, nil
}

// fail breaks the Reader, and its Client, with err.
// io.EOF, the stream's end before a reply, is returned as it is, by this
// call and every later one.
func (c *Reader) fail(err error) error {
	if err == io.EOF {
		c.err = io.EOF
	} else {
		c.err = fmt.Errorf("%w: %w", ErrBroken, err)
	}
	return err
}

// more turns the end of the stream inside a reply into io.ErrUnexpectedEOF.
func more(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// read reads one value. top says that nothing of the reply is read after
// it, so that its bytes may stay in the Reader's buffer.
func (c *Reader) read(depth int, top bool) (Value, error) {
	line, err := typeLine(c.r)
	if err != nil {
		return Value{}, err
	}
	kind, rest := Kind(line[0]), line[1:]
	switch kind {
	case SimpleString, Error, Double, BigNumber:
		return Value{Kind: kind, Str: c.keep(rest, top)}, nil
	case Integer:
		n, ok := parseInt(rest)
		if !ok {
			return Value{}, &ProtocolError{fmt.Sprintf("bad integer %q", rest)}
		}
		return Value{Kind: kind, Int: n}, nil
	case Null:
		return Value{Kind: Null}, nil
	case Boolean:
		switch string(rest) {
		case "t":
			return Value{Kind: kind, Int: 1}, nil
		case "f":
			return Value{Kind: kind}, nil
		}
		return Value{}, &ProtocolError{fmt.Sprintf("bad boolean %q", rest)}
	case BulkString, BulkError, Verbatim:
		n, err := length(kind, rest, MaxBulk)
		if err != nil || n < 0 {
			return Value{Kind: Null}, err
		}
		// The block and its "\r\n": a view when it fits in the limit,
		// else a slice that grew as the bytes came.
		b, err := c.r.ReadBlockSlice(n, crlf)
		if err != nil {
			return Value{}, more(err)
		}
		if kind == Verbatim && (n < 4 || b[3] != ':') {
			return Value{}, &ProtocolError{fmt.Sprintf("verbatim string %q has no format", b)}
		}
		return Value{Kind: kind, Str: c.keep(b, top)}, nil
	case Array, Set, Push, Map, attribute:
		if depth >= MaxDepth {
			return Value{}, &ProtocolError{fmt.Sprintf("aggregates nested over %d deep", MaxDepth)}
		}
		n, err := length(kind, rest, 1<<31)
		if err != nil || n < 0 {
			return Value{Kind: Null}, err
		}
		if kind == Map || kind == attribute {
			n *= 2
		}
		// Grown as the elements arrive, never from the count alone.
		elems := make([]Value, 0, min(n, 64))
		for range n {
			e, err := c.read(depth+1, false)
			if err != nil {
				return Value{}, more(err)
			}
			elems = append(elems, e)
		}
		if kind == attribute {
			v, err := c.read(depth, top)
			v.Attrs = elems
			return v, more(err)
		}
		return Value{Kind: kind, Elems: elems}, nil
	}
	return Value{}, &ProtocolError{fmt.Sprintf("unknown type line %q", line)}
}

// typeLine reads a type line and returns it without its "\r\n", as a view
// into r's buffer.
//
// It reads with ReadLineSlice and checks the "\r\n" itself, where
// ReadLineTrimmedSlice would be the obvious call: that one also returns a
// last line that the stream ends without a terminator, with a nil error, so
// a reply cut short at ":12" would read as the integer 12.
func typeLine(r *bufio2.Reader) ([]byte, error) {
	line, err := r.ReadLineSlice()
	if err != nil {
		return nil, err
	}
	if !bytes.HasSuffix(line, crlf) {
		if r.AtEOF() && !bytes.HasSuffix(line, []byte("\n")) {
			return nil, &errs.IncompleteReadError{Partial: bytes.Clone(line), Expected: -1, Op: "redis.Reader"}
		}
		return nil, &ProtocolError{fmt.Sprintf("type line %q does not end with \\r\\n", line)}
	}
	line = line[:len(line)-2]
	if len(line) == 0 {
		return nil, &ProtocolError{"empty type line"}
	}
	return line, nil
}

// length parses the count of a bulk or aggregate type line: -1 (a RESP2
// null) or 0 to max.
func length(kind Kind, b []byte, max int) (int, error) {
	n, ok := parseInt(b)
	switch {
	case !ok:
		return 0, &ProtocolError{fmt.Sprintf("bad %v length %q", kind, b)}
	case n == -1 && (kind == BulkString || kind == Array):
		return -1, nil
	case n < 0:
		return 0, &ProtocolError{fmt.Sprintf("negative %v length %d", kind, n)}
	case n > int64(max):
		return 0, &ProtocolError{fmt.Sprintf("%v of %d bytes is over the maximum %d", kind, n, max)}
	}
	return int(n), nil
}

// keep returns b, which the next read on the Reader may overwrite, as it
// must be until the next ReadReplySlice: as it is if nothing more is read
// (top), else copied into the arena. The arena only grows: when append moves
// it, the values already read keep the old array.
func (c *Reader) keep(b []byte, top bool) []byte {
	if top {
		return b
	}
	if len(b) == 0 {
		return b[:0:0]
	}
	start := len(c.arena)
	c.arena = append(c.arena, b...)
	return c.arena[start:len(c.arena):len(c.arena)]
}

// IsBroken reports whether err says that a Client is broken.
func IsBroken(err error) bool { return errors.Is(err, ErrBroken) }
