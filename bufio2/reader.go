package bufio2

import (
	"bufio"
	"errors"
	"io"

	"github.com/streamkit/streamkit/internal/readbuf"
)

// DefaultLimit is the limit of a [Reader] made by [NewReader]: 64 KiB, as
// asyncio's _DEFAULT_LIMIT.
const DefaultLimit = 64 << 10

// ErrBufferFull is returned by [Reader.Peek] when more bytes are asked for
// than the limit lets the Reader buffer. It is bufio.ErrBufferFull itself, so
// errors.Is works with either name.
var ErrBufferFull = bufio.ErrBufferFull

// ErrInvalidUnreadByte is returned by [Reader.UnreadByte] when the last
// operation did not read a byte that can be put back.
var ErrInvalidUnreadByte = errors.New("bufio2: invalid use of UnreadByte")

var (
	_ io.Reader      = (*Reader)(nil)
	_ io.ByteReader  = (*Reader)(nil)
	_ io.ByteScanner = (*Reader)(nil)
	_ io.WriterTo    = (*Reader)(nil)
)

func init() {
	readbuf.Of = func(r io.Reader) *readbuf.Buffer {
		if b, ok := r.(*Reader); ok {
			return &b.c
		}
		return nil
	}
}

// Reader is a buffered reader with a limit: asyncio's StreamReader over any
// io.Reader.
//
// The limit bounds the data a separator read may return before its
// separator ([Reader.ReadUntil], [Reader.ReadLine]); those reads fail with
// *errs.LimitOverrunError rather than buffer more. The buffer starts small
// and grows as a read needs it, or while the source keeps it full at every
// read (to 16 KiB over a plain io.Reader, to the limit over a [LazySource]),
// never past the limit plus the longest
// separator plus one read's worth, so a stream of any size costs O(limit)
// memory. [Reader.ReadExactly] may ask for more than the limit: the result
// grows as the bytes arrive. Buffers come from, and go back to, pools shared
// by all Readers; a Reader over a [LazySource] (a netx connection, a [Feed])
// gives its buffer back whenever it waits for data, so an idle Reader holds
// none.
//
// A frame.Reader made over a Reader decodes frames in the Reader's own
// buffer and reads nothing ahead of them: reads of both kinds can be mixed
// on one stream, and a frame.Reader's frames may grow the buffer past the
// limit, up to its codec's maximum frame, as the frame's bytes arrive.
//
// Once the source returns io.EOF, the Reader treats the stream as ended and
// does not read from it again (asyncio's feed_eof). Any other error from the
// source is returned once, by the first read that needs more data than is
// buffered, and the buffered data is kept: a retry after a timeout resumes
// where the failed call stopped.
//
// The zero Reader has no source and DefaultLimit: give it one with
// [Reader.Reset]. A read from a Reader with no source panics.
//
// A Reader is not safe for concurrent use.
type Reader struct {
	c      readbuf.Buffer  // the buffer, shared with the frame.Readers over this Reader
	search *readbuf.Search // what ReadUntilAny knows between calls; made by its first call, so that a Reader that never calls it stays small
}

// NewReader returns a Reader over rd with [DefaultLimit].
func NewReader(rd io.Reader) *Reader { return NewReaderLimit(rd, DefaultLimit) }

// NewReaderLimit returns a Reader over rd with the given limit. It panics if
// limit <= 0.
func NewReaderLimit(rd io.Reader, limit int) *Reader {
	if limit <= 0 {
		panic("bufio2: NewReaderLimit: limit must be positive")
	}
	b := &Reader{}
	b.c.Init(rd, limit)
	return b
}

// Limit returns the Reader's limit.
func (b *Reader) Limit() int {
	if b.c.Limit == 0 {
		return DefaultLimit // a zero Reader
	}
	return b.c.Limit
}

// Buffered returns the number of bytes that can be read without reading
// from the source.
func (b *Reader) Buffered() int {
	if b.c.Skipping {
		b.c.SkipBuffered()
	}
	return b.c.Buffered()
}

// AtEOF reports whether the source has ended and nothing is left buffered
// (asyncio's at_eof). It never reads from the source.
func (b *Reader) AtEOF() bool { return b.c.EOF && b.Buffered() == 0 }

// Reset discards any buffered data and state and makes b read from rd. The
// limit stays as it was (DefaultLimit for a zero Reader).
func (b *Reader) Reset(rd io.Reader) {
	if b.c.Limit == 0 {
		b.c.Init(rd, DefaultLimit) // a zero Reader
		return
	}
	b.c.Reset(rd)
}

// Read reads up to len(p) bytes into p and returns as soon as at least one
// byte is there (asyncio's read(n)). It returns io.EOF when the stream has
// ended and nothing is buffered. If len(p) == 0, Read returns 0, nil.
//
// With nothing buffered and len(p) at least the buffer's size, Read reads
// from the source straight into p.
func (b *Reader) Read(p []byte) (int, error) {
	c := &b.c
	if len(p) == 0 {
		return 0, nil
	}
	if c.R == c.W || c.Skipping {
		if err := c.Begin(); err != nil {
			return 0, err
		}
		if c.R == c.W {
			if err := b.stopErr(); err != nil {
				return 0, err
			}
			if len(p) >= max(len(c.Buf), readbuf.MinSize) {
				if n := c.ReadDirect(p); n > 0 {
					c.LastByte = int(p[n-1])
					return n, nil
				}
				return 0, b.stopErr()
			}
			c.Fill(1, c.Limit)
			if c.R == c.W {
				return 0, b.stopErr()
			}
		}
	}
	n := copy(p, c.Buf[c.R:c.W])
	c.R += n
	c.LastByte = int(p[n-1])
	return n, nil
}

// stopErr is the error of a read that finds nothing buffered: io.EOF at
// the end of the stream, the source's pending error, or nil if the source
// may be read.
func (b *Reader) stopErr() error {
	if b.c.EOF {
		return io.EOF
	}
	return b.c.TakeErr()
}

// ReadByte reads and returns one byte, or io.EOF at the end of the stream.
func (b *Reader) ReadByte() (byte, error) {
	c := &b.c
	if c.R == c.W || c.Skipping {
		if err := c.Begin(); err != nil {
			return 0, err
		}
		for c.R == c.W {
			if err := b.stopErr(); err != nil {
				return 0, err
			}
			c.Fill(1, c.Limit)
		}
	}
	ch := c.Buf[c.R]
	c.R++
	c.LastByte = int(ch)
	return ch, nil
}

// UnreadByte puts back the last byte read. Only the most recently read byte
// can be put back, and only if no Peek, Discard or other UnreadByte came
// after the read that returned it.
func (b *Reader) UnreadByte() error {
	c := &b.c
	if c.LastByte < 0 || c.R == 0 && c.W > 0 {
		return ErrInvalidUnreadByte
	}
	if c.R > 0 {
		c.R--
	} else {
		// Nothing is buffered and the byte came from a direct Read.
		one := [1]byte{byte(c.LastByte)}
		c.Unread(one[:])
	}
	c.LastByte = -1
	return nil
}

// Peek returns the next n bytes without consuming them. The slice is valid
// only until the next call on the Reader. If Peek returns fewer than n bytes,
// it also returns an error: io.EOF if the stream ended with nothing buffered,
// io.ErrUnexpectedEOF if it ended with fewer than n bytes, ErrBufferFull if n
// is larger than the limit (whatever happens to be buffered, so that the
// outcome does not depend on chunking; the bytes returned are then at most
// n), or the source's error. Peek panics if n < 0.
func (b *Reader) Peek(n int) ([]byte, error) {
	c := &b.c
	if n < 0 {
		panic("bufio2: Peek: negative count")
	}
	c.LastByte = -1
	if !c.Skipping && n <= c.W-c.R && n <= c.Limit {
		return c.Buf[c.R : c.R+n], nil
	}
	if err := c.Begin(); err != nil {
		return nil, err
	}
	if n > c.Limit {
		c.Ensure(c.Limit, c.Limit)
		return c.Buf[c.R:min(c.W, c.R+n)], ErrBufferFull
	}
	if !c.Ensure(n, c.Limit) {
		return c.Buf[c.R:c.W], b.shortErr()
	}
	return c.Buf[c.R : c.R+n], nil
}

// shortErr is the error for a read that found fewer bytes than it needed,
// once the source stopped.
func (b *Reader) shortErr() error {
	if b.c.Err != nil {
		return b.c.TakeErr()
	}
	if b.c.R == b.c.W {
		return io.EOF
	}
	return io.ErrUnexpectedEOF
}

// Discard skips the next n bytes and returns how many it skipped. If it
// skips fewer than n, it also returns an error: io.EOF if the stream ended
// before the first byte, io.ErrUnexpectedEOF if it ended part way, or the
// source's error. Discard reads through the buffer without growing it.
// Discard panics if n < 0.
func (b *Reader) Discard(n int) (discarded int, err error) {
	c := &b.c
	if n < 0 {
		panic("bufio2: Discard: negative count")
	}
	c.LastByte = -1
	if !c.Skipping && n <= c.W-c.R {
		c.R += n
		return n, nil
	}
	if err := c.Begin(); err != nil {
		return 0, err
	}
	d := int(c.Discard(int64(n)))
	switch {
	case d == n:
		return d, nil
	case c.Err != nil:
		return d, c.TakeErr()
	case d == 0:
		return 0, io.EOF
	}
	return d, io.ErrUnexpectedEOF
}

// WriteTo writes the buffered data and then the rest of the stream to w. It
// implements io.WriterTo, so io.Copy uses it. If the source implements
// io.WriterTo, WriteTo hands the rest over to it.
func (b *Reader) WriteTo(w io.Writer) (n int64, err error) {
	c := &b.c
	c.LastByte = -1
	if err := c.Begin(); err != nil {
		return 0, err
	}
	flush := func() error {
		for c.R < c.W {
			m, err := w.Write(c.Buf[c.R:c.W])
			if m < 0 || m > c.W-c.R {
				panic("bufio2: writer returned an invalid count from Write")
			}
			c.R += m
			n += int64(m)
			if err != nil {
				return err
			}
			if m == 0 {
				return io.ErrShortWrite
			}
		}
		return nil
	}
	for {
		if err := flush(); err != nil {
			return n, err
		}
		if c.EOF {
			return n, nil
		}
		if c.Err != nil {
			return n, c.TakeErr()
		}
		if m, ok, err := c.WriteSourceTo(w); ok {
			return n + m, err
		}
		c.Fill(1, c.Limit)
	}
}
