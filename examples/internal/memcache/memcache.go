// Package memcache is a small client of memcached's text protocol on a
// netx pair: get and multi-get, set, delete, incr.
//
// A get's reply is a VALUE line and a counted data block for each key found,
// in the order asked, and END:
//
//	get a b c\r\n   ->   VALUE a 0 5\r\n       line: key, flags, bytes
//	                     hello\r\n             block: 5 bytes, then "\r\n"
//	                     VALUE c 42 0\r\n
//	                     \r\n                  (b is not in the cache)
//	                     END\r\n
//
// The client reads each line in place with bufio2's ReadLineSlice and each
// block with ReadBlockSlice(n, "\r\n"), so a value may hold any bytes, lines
// and "END\r\n" included, and may be larger than the Reader's limit.
// [Client.GetSlice] hands out the values without copying them or allocating.
// A set writes its line, value and "\r\n" with one WriteLines, which sends a
// large value without copying it.
package memcache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"strconv"
	"time"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/netx"
)

const (
	// MaxKey is the longest key memcached accepts, in bytes.
	MaxKey = 250
	// MaxValue is the largest value the client reads: memcached's own
	// ceiling for its item size (-I). The memory is taken as the bytes
	// arrive, not when the VALUE line declares them.
	MaxValue = 1 << 30
)

var (
	// ErrNotFound is returned for a key that is not in the cache, by
	// Delete and Incr (Get leaves it out of its result).
	ErrNotFound = errors.New("memcache: not found")
	// ErrBadKey is returned for a key that memcached would not take: empty,
	// longer than MaxKey, or holding a space or a control character.
	// Nothing is sent.
	ErrBadKey = errors.New("memcache: malformed key")
	// ErrBroken is wrapped by the error of every call on a Client after
	// a reply could not be read whole.
	ErrBroken = errors.New("memcache: connection broken by an earlier error")
)

// ServerError is an error reply: ERROR (an unknown command), CLIENT_ERROR
// (a malformed request) or SERVER_ERROR (the server failed, or the value
// is too large). The connection goes on after it.
type ServerError struct {
	Kind string // "ERROR", "CLIENT_ERROR" or "SERVER_ERROR"
	Msg  string // the text after Kind, if any
}

func (e *ServerError) Error() string {
	if e.Msg == "" {
		return "memcache: " + e.Kind
	}
	return "memcache: " + e.Kind + " " + e.Msg
}

// ProtocolError reports a reply that breaks the protocol. After it, the
// Client is broken.
type ProtocolError struct {
	Line []byte // the line that was read
}

func (e *ProtocolError) Error() string { return fmt.Sprintf("memcache: unexpected reply %q", e.Line) }

// Item is one cache entry.
type Item struct {
	Key   string
	Value []byte
	Flags uint32 // opaque to memcached; a client's own tag for the value's format
}

var crlf = []byte("\r\n")

// Client is a connection to a memcached server. It is not safe for
// concurrent use.
//
// Every call takes a context. A context that has already ended fails the
// call before anything is sent. One that ends while the call waits for the
// reply interrupts the read (through the connection's read deadline): the
// call returns the context's error, or succeeds if the reply was in, and
// either way the Client is broken, since the stream may be in the middle of
// a reply.
type Client struct {
	r    *bufio2.Reader
	w    *netx.Writer
	wbuf []byte
	err  error // sticky: the reply stream is broken
}

// Dial connects to the memcached server at address ("host:port" for "tcp",
// a path for "unix").
func Dial(ctx context.Context, network, address string) (*Client, error) {
	r, w, err := netx.Dial(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return New(r, w), nil
}

// New returns a Client over a netx pair.
func New(r *bufio2.Reader, w *netx.Writer) *Client { return &Client{r: r, w: w} }

// Close closes the connection.
func (c *Client) Close() error { return c.w.Close() }

// Get returns the items of the keys that are in the cache, in the order of
// keys (one per occurrence); a key not in the cache is left out. The items
// are the caller's to keep.
func (c *Client) Get(ctx context.Context, keys ...string) ([]Item, error) {
	var items []Item
	for it, err := range c.GetSlice(ctx, keys...) {
		if err != nil {
			return nil, err
		}
		it.Value = bytes.Clone(it.Value)
		items = append(items, it)
	}
	return items, nil
}

// GetSlice is [Client.Get] without the copies, as an iterator: each item's
// Key is one of keys, and its Value is valid only until the loop body
// returns. An error is yielded as (Item{}, err) and ends the iteration.
// A loop that breaks early leaves the Client broken, since the rest of the
// reply is still to be read.
func (c *Client) GetSlice(ctx context.Context, keys ...string) iter.Seq2[Item, error] {
	return func(yield func(Item, error) bool) {
		if err := c.get(ctx, keys); err != nil {
			yield(Item{}, err)
			return
		}
		defer c.watch(ctx)()
		next := 0 // memcached answers in the order asked: keys[next:] are still to come
		for {
			line, err := c.line()
			if err != nil {
				yield(Item{}, c.fail(ctx, err))
				return
			}
			if string(line) == "END" {
				return
			}
			key, flags, n, err := parseValue(line)
			if err != nil {
				var se *ServerError
				if !errors.As(err, &se) { // an error reply ends the reply
					err = c.fail(ctx, err)
				}
				yield(Item{}, err)
				return
			}
			i := next
			for i < len(keys) && keys[i] != string(key) { // compared without a conversion
				i++
			}
			if i == len(keys) {
				yield(Item{}, c.fail(ctx, &ProtocolError{Line: bytes.Clone(line)}))
				return
			}
			next = i + 1
			value, err := c.r.ReadBlockSlice(n, crlf)
			if err != nil {
				yield(Item{}, c.fail(ctx, more(err)))
				return
			}
			if !yield(Item{Key: keys[i], Value: value, Flags: flags}, nil) {
				c.err = fmt.Errorf("%w: a GetSlice loop stopped before the reply's END", ErrBroken)
				return
			}
		}
	}
}

func (c *Client) get(ctx context.Context, keys []string) error {
	if err := c.ready(ctx); err != nil {
		return err
	}
	if len(keys) == 0 {
		return fmt.Errorf("memcache: get of no keys")
	}
	c.wbuf = append(c.wbuf[:0], "get"...)
	for _, k := range keys {
		if !validKey(k) {
			return fmt.Errorf("%w: %q", ErrBadKey, k)
		}
		c.wbuf = append(c.wbuf, ' ')
		c.wbuf = append(c.wbuf, k...)
	}
	c.wbuf = append(c.wbuf, "\r\n"...)
	if _, err := c.w.Write(c.wbuf); err != nil {
		return c.breakWith(err)
	}
	return nil
}

// parseValue parses "VALUE <key> <flags> <bytes> [<cas unique>]".
func parseValue(line []byte) (key []byte, flags uint32, n int, err error) {
	rest, ok := bytes.CutPrefix(line, []byte("VALUE "))
	if !ok {
		return nil, 0, 0, replyError(line)
	}
	var f [4][]byte
	nf := 0
	for len(rest) > 0 && nf < len(f) {
		var field []byte
		field, rest, _ = bytes.Cut(rest, []byte(" "))
		f[nf] = field
		nf++
	}
	fl, ok1 := parseUint(f[1], math32)
	size, ok2 := parseUint(f[2], MaxValue)
	if nf < 3 || len(rest) > 0 || len(f[0]) == 0 || !ok1 || !ok2 {
		return nil, 0, 0, &ProtocolError{Line: bytes.Clone(line)}
	}
	return f[0], uint32(fl), int(size), nil
}

const math32 = 1<<32 - 1

// parseUint parses a decimal number up to max without converting b to a
// string, which would allocate.
func parseUint(b []byte, max uint64) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' || n > (max-uint64(c-'0'))/10 {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// replyError turns an error reply into a *ServerError, and any other
// unexpected line into a *ProtocolError.
func replyError(line []byte) error {
	for _, kind := range []string{"ERROR", "CLIENT_ERROR", "SERVER_ERROR"} {
		if rest, ok := bytes.CutPrefix(line, []byte(kind)); ok && (len(rest) == 0 || rest[0] == ' ') {
			return &ServerError{Kind: kind, Msg: string(bytes.TrimPrefix(rest, []byte(" ")))}
		}
	}
	return &ProtocolError{Line: bytes.Clone(line)}
}

// Set stores an item, replacing any other under its key. exptime is
// memcached's: 0 for never, up to 30 days in seconds from now, else a Unix
// time.
func (c *Client) Set(ctx context.Context, it Item, exptime int64) error {
	if err := c.ready(ctx); err != nil {
		return err
	}
	if !validKey(it.Key) {
		return fmt.Errorf("%w: %q", ErrBadKey, it.Key)
	}
	c.wbuf = append(c.wbuf[:0], "set "...)
	c.wbuf = append(c.wbuf, it.Key...)
	c.wbuf = append(c.wbuf, ' ')
	c.wbuf = strconv.AppendUint(c.wbuf, uint64(it.Flags), 10)
	c.wbuf = append(c.wbuf, ' ')
	c.wbuf = strconv.AppendInt(c.wbuf, exptime, 10)
	c.wbuf = append(c.wbuf, ' ')
	c.wbuf = strconv.AppendInt(c.wbuf, int64(len(it.Value)), 10)
	c.wbuf = append(c.wbuf, "\r\n"...)
	// The line, the value and its "\r\n" in one write: a large value goes
	// to the kernel from it.Value itself, as one vectored write.
	if err := c.w.WriteLines(c.wbuf, it.Value, crlf); err != nil {
		return c.breakWith(err)
	}
	return c.status(ctx, "STORED")
}

// Delete removes the item of key; ErrNotFound if there is none.
func (c *Client) Delete(ctx context.Context, key string) error {
	if err := c.command(ctx, key, "delete", nil); err != nil {
		return err
	}
	return c.status(ctx, "DELETED")
}

// Incr adds delta to the decimal number stored under key and returns the
// result, which wraps around at 2^64; ErrNotFound if key is not there.
func (c *Client) Incr(ctx context.Context, key string, delta uint64) (uint64, error) {
	if err := c.command(ctx, key, "incr", strconv.AppendUint(nil, delta, 10)); err != nil {
		return 0, err
	}
	defer c.watch(ctx)()
	line, err := c.line()
	if err != nil {
		return 0, c.fail(ctx, err)
	}
	if n, ok := parseUint(line, 1<<64-1); ok {
		return n, nil
	}
	if string(line) == "NOT_FOUND" {
		return 0, ErrNotFound
	}
	return 0, c.failReply(line)
}

// command writes "<cmd> <key>[ <arg>]\r\n".
func (c *Client) command(ctx context.Context, key, cmd string, arg []byte) error {
	if err := c.ready(ctx); err != nil {
		return err
	}
	if !validKey(key) {
		return fmt.Errorf("%w: %q", ErrBadKey, key)
	}
	c.wbuf = append(append(append(c.wbuf[:0], cmd...), ' '), key...)
	if arg != nil {
		c.wbuf = append(append(c.wbuf, ' '), arg...)
	}
	c.wbuf = append(c.wbuf, "\r\n"...)
	if _, err := c.w.Write(c.wbuf); err != nil {
		return c.breakWith(err)
	}
	return nil
}

// status reads a one-line reply and returns nil if it is ok, ErrNotFound for
// NOT_FOUND, and the error of any other.
func (c *Client) status(ctx context.Context, ok string) error {
	defer c.watch(ctx)()
	line, err := c.line()
	if err != nil {
		return c.fail(ctx, err)
	}
	switch string(line) {
	case ok:
		return nil
	case "NOT_FOUND":
		return ErrNotFound
	}
	return c.failReply(line)
}

// failReply returns the error of an unexpected line: a *ServerError, after
// which the Client goes on, or a *ProtocolError, which breaks it.
func (c *Client) failReply(line []byte) error {
	err := replyError(line)
	var se *ServerError
	if !errors.As(err, &se) {
		c.breakWith(err)
	}
	return err
}

// line reads one line of a reply and returns it without its "\r\n", as a
// view into the Reader's buffer. (ReadLineTrimmedSlice would also return a
// last line that the stream ends without "\r\n", with a nil error, as if it
// were whole.)
func (c *Client) line() ([]byte, error) {
	line, err := c.r.ReadLineSlice()
	if err != nil {
		return nil, more(err)
	}
	if !bytes.HasSuffix(line, crlf) {
		if c.r.AtEOF() && !bytes.HasSuffix(line, []byte("\n")) {
			return nil, &errs.IncompleteReadError{Partial: bytes.Clone(line), Expected: -1, Op: "memcache.Client"}
		}
		return nil, &ProtocolError{Line: bytes.Clone(line)}
	}
	return line[:len(line)-2], nil
}

// more turns the end of the stream where a reply was due into
// io.ErrUnexpectedEOF.
func more(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// ready returns the error that stops a call before it sends anything: the
// Client's, or ctx's.
func (c *Client) ready(ctx context.Context) error {
	if c.err != nil {
		return c.err
	}
	if ctx.Err() != nil {
		return fmt.Errorf("memcache: %w", context.Cause(ctx))
	}
	return nil
}

// watch makes ctx's end interrupt the read in progress, by setting the
// connection's read deadline in the past. The function it returns stops
// watching; if ctx's end came first, the deadline it set stays, and the
// Client is broken.
func (c *Client) watch(ctx context.Context) (done func()) {
	if ctx.Done() == nil {
		return func() {}
	}
	conn := c.w.Conn()
	stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Unix(1, 0)) })
	return func() {
		if !stop() && c.err == nil {
			c.breakWith(fmt.Errorf("memcache: %w", context.Cause(ctx)))
		}
	}
}

// fail breaks the Client after a read that failed: with ctx's error if ctx
// ended (its deadline cut the read short), else with err.
func (c *Client) fail(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		err = fmt.Errorf("memcache: %w", context.Cause(ctx))
	}
	return c.breakWith(err)
}

func (c *Client) breakWith(err error) error {
	c.err = fmt.Errorf("%w: %w", ErrBroken, err)
	return err
}

// validKey reports whether memcached's text protocol can carry key.
func validKey(key string) bool {
	if len(key) == 0 || len(key) > MaxKey {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] <= ' ' || key[i] == 0x7f {
			return false
		}
	}
	return true
}

// IsBroken reports whether err says that a Client is broken.
func IsBroken(err error) bool { return errors.Is(err, ErrBroken) }
