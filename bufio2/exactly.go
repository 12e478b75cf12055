package bufio2

import (
	"bytes"
	"fmt"
	"io"

	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/internal/readbuf"
)

// ReadExactly reads exactly n bytes (asyncio's readexactly). The result is
// the caller's to keep. n may exceed the limit: the result then grows as
// the bytes arrive, by doubling, so that a count the stream declares costs
// memory only as its bytes come, never n up front.
//
// ReadExactly returns n bytes and a nil error, or an error: io.EOF if the
// stream ended before the first byte, *errs.IncompleteReadError{Partial,
// Expected: n} if it ended part way, or the source's error. ReadExactly(0)
// returns an empty slice and nil, even at the end of the stream. If the
// source fails part way with an error other than io.EOF, the bytes read so
// far stay buffered, so that nothing is lost and a retry resumes.
// ReadExactly panics if n < 0.
func (b *Reader) ReadExactly(n int) ([]byte, error) {
	c := &b.c
	if n < 0 {
		panic("bufio2: ReadExactly: negative count")
	}
	if n <= c.Limit || n <= c.Buffered() {
		p := make([]byte, n)
		if _, err := b.readExactlyInto(p, "ReadExactly"); err != nil {
			return nil, err
		}
		return p, nil
	}
	if err := c.Begin(); err != nil {
		return nil, err
	}
	pos := c.Pos()
	p := make([]byte, min(n, max(c.Limit, c.Buffered(), readbuf.MinSize)))
	got := 0
	for {
		m, err := b.readFull(p[got:])
		got += m
		if err != nil {
			return nil, b.exactlyErr(p[:got], n, pos, err, "ReadExactly")
		}
		if got == n {
			return p, nil
		}
		p = append(p, make([]byte, min(len(p), n-len(p)))...)
	}
}

// ReadExactlySlice is [Reader.ReadExactly] without the copy when n is at
// most the limit: the returned slice points into the Reader's buffer and is
// valid only until the next call on the Reader. For a larger n the result is
// a new slice, as from ReadExactly, so that the buffer stays bounded by the
// limit.
func (b *Reader) ReadExactlySlice(n int) ([]byte, error) {
	c := &b.c
	if n < 0 {
		panic("bufio2: ReadExactlySlice: negative count")
	}
	if n > c.Limit {
		return b.ReadExactly(n)
	}
	if c.Skipping || c.W-c.R < n {
		if err := c.Begin(); err != nil {
			return nil, err
		}
		if !c.Ensure(n, c.Limit) {
			if c.Err != nil {
				return nil, c.TakeErr()
			}
			return nil, b.eofError(n, "ReadExactlySlice")
		}
	}
	return c.Take(c.R + n), nil
}

// eofError empties the buffer and returns the error for a read of want
// bytes that met the end of the stream with fewer buffered.
func (b *Reader) eofError(want int, op string) error {
	c := &b.c
	if c.R == c.W {
		return io.EOF
	}
	pos := c.Pos()
	partial := bytes.Clone(c.Buf[c.R:c.W])
	c.R = c.W
	c.LastByte = -1
	return &errs.IncompleteReadError{Partial: partial, Expected: want, Offset: pos, Op: "bufio2." + op}
}

// ReadExactlyInto reads exactly len(p) bytes into p: [Reader.ReadExactly]
// into the caller's buffer, returning how many bytes it stored. When the
// stream ends part way, the error is *errs.IncompleteReadError whose Partial
// is p[:n]. With nothing buffered, large reads go from the source straight
// into p.
func (b *Reader) ReadExactlyInto(p []byte) (n int, err error) {
	return b.readExactlyInto(p, "ReadExactlyInto")
}

// readExactlyInto is ReadExactlyInto for the call named op.
func (b *Reader) readExactlyInto(p []byte, op string) (n int, err error) {
	c := &b.c
	if !c.Skipping && len(p) <= c.W-c.R {
		n = copy(p, c.Buf[c.R:c.W])
		c.R += n
		if n > 0 {
			c.LastByte = int(p[n-1])
		}
		return n, nil
	}
	if err := c.Begin(); err != nil {
		return 0, err
	}
	pos := c.Pos()
	n, err = b.readFull(p)
	if err == nil {
		return n, nil
	}
	err = b.exactlyErr(p[:n], len(p), pos, err, op)
	if _, ok := err.(*errs.IncompleteReadError); ok {
		return n, err
	}
	return 0, err // io.EOF, or a source error after which p[:n] was put back
}

// readFull reads into p until it is full, from the buffer and then from
// the source, straight into p when the rest is at least a buffer's worth.
// It returns the count and nil, or, if the source stopped first, io.EOF or
// the source's error. The caller has called Begin.
func (b *Reader) readFull(p []byte) (n int, err error) {
	c := &b.c
	n = copy(p, c.Buf[c.R:c.W])
	c.R += n
	for n < len(p) {
		switch {
		case c.EOF:
			return n, io.EOF
		case c.Err != nil:
			return n, c.TakeErr()
		}
		if rest := len(p) - n; rest >= max(len(c.Buf), readbuf.MinSize) {
			n += c.ReadDirect(p[n:])
			continue
		}
		c.Fill(len(p)-n, c.Limit)
		m := copy(p[n:], c.Buf[c.R:c.W])
		c.R += m
		n += m
	}
	if n > 0 {
		c.LastByte = int(p[n-1])
	}
	return n, nil
}

// exactlyErr is the error of a read of want bytes that got only got, read
// from stream position pos, when readFull stopped with err: io.EOF if got
// is empty, an IncompleteReadError holding got if the stream ended, and
// otherwise the source's error, with got put back in front of the stream
// so that nothing is lost.
func (b *Reader) exactlyErr(got []byte, want int, pos int64, err error, op string) error {
	b.c.LastByte = -1
	if err != io.EOF {
		b.c.Unread(got)
		return err
	}
	if len(got) == 0 {
		return io.EOF
	}
	return &errs.IncompleteReadError{Partial: got, Expected: want, Offset: pos, Op: "bufio2." + op}
}

// ReadBlock reads a block of n bytes followed by trailer, and returns the
// n bytes without the trailer: a counted value in a line protocol, such as
// a RESP bulk string ("$5\r\nhello\r\n": ReadBlock(5, "\r\n") after the
// line) or a memcached value. The result is the caller's to keep. n may
// exceed the limit, as with [Reader.ReadExactly].
//
// If the n bytes are not followed by trailer, ReadBlock returns
// *errs.MalformedFrameError at the trailer's offset in the stream, and
// consumes nothing: the block and what follows are read again by the next
// call. If the stream ends first, it returns io.EOF (nothing read) or
// *errs.IncompleteReadError whose Expected is n+len(trailer). A source error
// loses nothing, as with ReadExactly. ReadBlock panics if n < 0.
func (b *Reader) ReadBlock(n int, trailer []byte) ([]byte, error) {
	if n < 0 {
		panic("bufio2: ReadBlock: negative count")
	}
	if n+len(trailer) <= b.c.Limit {
		p, err := b.ReadBlockSlice(n, trailer)
		if err != nil {
			return nil, err
		}
		return bytes.Clone(p), nil
	}
	pos := b.c.Pos()
	p, err := b.ReadExactly(n + len(trailer))
	if err != nil {
		if e, ok := err.(*errs.IncompleteReadError); ok {
			e.Op = "bufio2.ReadBlock"
		}
		return nil, err
	}
	if t := p[n:]; string(t) != string(trailer) {
		b.c.Unread(p)
		return nil, trailerError(pos+int64(n), n, t, trailer)
	}
	return p[:n:n], nil
}

// ReadBlockSlice is [Reader.ReadBlock] without the copy when the block and
// its trailer fit in the limit: the returned slice points into the
// Reader's buffer and is valid only until the next call on the Reader. For
// a larger block the result is a new slice, as from ReadBlock.
func (b *Reader) ReadBlockSlice(n int, trailer []byte) ([]byte, error) {
	c := &b.c
	if n < 0 {
		panic("bufio2: ReadBlockSlice: negative count")
	}
	total := n + len(trailer)
	if total > c.Limit {
		return b.ReadBlock(n, trailer)
	}
	if c.Skipping || c.W-c.R < total {
		if err := c.Begin(); err != nil {
			return nil, err
		}
		if !c.Ensure(total, c.Limit) {
			if c.Err != nil {
				return nil, c.TakeErr()
			}
			return nil, b.eofError(total, "ReadBlock")
		}
	}
	if t := c.Buf[c.R+n : c.R+total]; string(t) != string(trailer) {
		return nil, trailerError(c.Pos()+int64(n), n, t, trailer)
	}
	p := c.Buf[c.R : c.R+n : c.R+n]
	c.Take(c.R + total)
	return p, nil
}

func trailerError(pos int64, n int, got, want []byte) error {
	return &errs.MalformedFrameError{Offset: pos, Reason: fmt.Sprintf(
		"bufio2: ReadBlock: the %d-byte block is followed by %q, want %q; nothing was consumed", n, got, want)}
}
