package bufio2

import (
	"io"

	"github.com/streamkit/streamkit/errs"
)

// ReadExactly reads exactly n bytes (asyncio's readexactly). The result is
// the caller's to keep. n may exceed the limit: the bytes beyond what is
// buffered are read straight into the result.
//
// ReadExactly returns n bytes and a nil error, or an error: io.EOF if the
// stream ended before the first byte, *errs.IncompleteReadError{Partial,
// Expected: n} if it ended part way, or the source's error. ReadExactly(0)
// returns an empty slice and nil, even at the end of the stream. If the
// source fails part way with an error other than io.EOF, the bytes read so
// far stay buffered, so that nothing is lost and a retry resumes.
// ReadExactly panics if n < 0.
func (b *Reader) ReadExactly(n int) ([]byte, error) {
	if n < 0 {
		panic("bufio2: ReadExactly: negative count")
	}
	p := make([]byte, n)
	if _, err := b.ReadExactlyInto(p); err != nil {
		return nil, err
	}
	return p, nil
}

// ReadExactlySlice is [Reader.ReadExactly] without the copy when n is at
// most the limit: the returned slice points into the Reader's buffer and is
// valid only until the next call on the Reader. For a larger n the result is
// a new slice, as from ReadExactly, so that the buffer stays bounded by the
// limit.
func (b *Reader) ReadExactlySlice(n int) ([]byte, error) {
	if n < 0 {
		panic("bufio2: ReadExactlySlice: negative count")
	}
	if n > b.limit {
		return b.ReadExactly(n)
	}
	if b.skipping || b.w-b.r < n {
		if err := b.begin(); err != nil {
			return nil, err
		}
	}
	if !b.ensure(n) {
		if b.err != nil {
			return nil, b.readErr()
		}
		return nil, b.eofError(n)
	}
	p := b.buf[b.r : b.r+n]
	b.r += n
	if n > 0 {
		b.lastByte = int(p[n-1])
	}
	return p, nil
}

// eofError empties the buffer and returns the error for a read of want
// bytes that met the end of the stream with fewer buffered.
func (b *Reader) eofError(want int) error {
	if b.r == b.w {
		return io.EOF
	}
	partial := clone(b.buf[b.r:b.w])
	b.r = b.w
	b.lastByte = -1
	return &errs.IncompleteReadError{Partial: partial, Expected: want}
}

// ReadExactlyInto reads exactly len(p) bytes into p: [Reader.ReadExactly]
// into the caller's buffer, returning how many bytes it stored. When the
// stream ends part way, the error is *errs.IncompleteReadError whose Partial
// is p[:n]. With nothing buffered, large reads go from the source straight
// into p.
func (b *Reader) ReadExactlyInto(p []byte) (n int, err error) {
	if b.skipping || b.w-b.r < len(p) {
		if err := b.begin(); err != nil {
			return 0, err
		}
	}
	if len(p) <= b.w-b.r {
		n = copy(p, b.buf[b.r:b.w])
		b.r += n
		if n > 0 {
			b.lastByte = int(p[n-1])
		}
		return n, nil
	}
	n = copy(p, b.buf[b.r:b.w])
	b.r = b.w
	empty := 0
	for n < len(p) {
		if b.eof {
			b.lastByte = -1
			if n == 0 {
				return 0, io.EOF
			}
			return n, &errs.IncompleteReadError{Partial: p[:n], Expected: len(p)}
		}
		if b.err != nil {
			b.unread(p[:n])
			return 0, b.readErr()
		}
		if rest := len(p) - n; rest >= max(len(b.buf), minBufferSize) {
			b.startRead()
			m, err := b.rd.Read(p[n:])
			if m < 0 || m > rest {
				panic("bufio2: source returned an invalid count from Read")
			}
			n += m
			switch {
			case err == io.EOF:
				b.eof = true
			case err != nil:
				b.err = err
			case m > 0:
				empty = 0
			default:
				if empty++; empty == maxEmptyReads {
					b.err = io.ErrNoProgress
				}
			}
			continue
		}
		b.fill(len(p)-n, b.limit)
		m := copy(p[n:], b.buf[b.r:b.w])
		b.r += m
		n += m
	}
	b.lastByte = int(p[n-1])
	return n, nil
}

// unread puts p back in front of the stream. The buffer must be empty. It is
// how a read that fails part way loses nothing: the buffer may grow to hold
// p, and shrinks again once it is empty.
func (b *Reader) unread(p []byte) {
	b.lastByte = -1
	if len(p) == 0 {
		return
	}
	if len(b.buf) < len(p) {
		b.setBuf(takeBuf(len(p)))
	}
	b.r, b.w = 0, copy(b.buf, p)
	b.seps.invalidate()
}
