package bufio2

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/internal/readbuf"
)

var newline = []byte{'\n'}

// ReadUntil reads until the first occurrence of sep and returns the data,
// separator included (asyncio's readuntil). The result is the caller's to
// keep. ReadUntil panics if sep is empty.
//
// ReadUntil returns err == nil if and only if the data ends with sep. If the
// stream ends with nothing buffered, it returns io.EOF; if it ends with data
// buffered but no separator, it returns *errs.IncompleteReadError holding
// all of that data, and the buffer is emptied.
//
// If the data before the separator would be longer than the limit, ReadUntil
// returns *errs.LimitOverrunError and leaves the data buffered, so that it
// can be read again (for example with ReadExactly(Consumed)) or skipped
// ([Reader.SkipUntil]). The limit counts the data before the separator, not
// the separator. Whether a read overruns does not depend on how the stream
// is chunked.
func (b *Reader) ReadUntil(sep []byte) ([]byte, error) {
	line, err := b.ReadUntilSlice(sep)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(line), nil
}

// ReadUntilSlice is [Reader.ReadUntil] without the copy: the returned slice
// points into the Reader's buffer and is valid only until the next call on
// the Reader.
func (b *Reader) ReadUntilSlice(sep []byte) ([]byte, error) {
	c := &b.c
	if len(sep) == 0 {
		panic("bufio2: ReadUntil: empty separator")
	}
	if !c.Skipping {
		// The common cases, without a call: a separator of one byte
		// ("\n") or two ("\r\n") whose first candidate in the buffer
		// matches, within the limit.
		switch len(sep) {
		case 1:
			if i := bytes.IndexByte(c.Buf[c.R:c.W], sep[0]); i >= 0 && i <= c.Limit {
				return c.Take(c.R + i + 1), nil
			}
		case 2:
			if c.W-c.R >= 2 {
				i := bytes.IndexByte(c.Buf[c.R+1:c.W], sep[1])
				if i >= 0 && i <= c.Limit && c.Buf[c.R+i] == sep[0] {
					return c.Take(c.R + i + 2), nil
				}
			}
		}
	}
	if err := c.Begin(); err != nil {
		return nil, err
	}
	end, err := c.UntilOne(sep, c.Limit)
	if err != nil {
		return nil, b.untilError(err, "ReadUntil")
	}
	return c.Take(end), nil
}

// ReadUntilAny reads until the first match of any of seps and returns the
// data, the matched separator included (asyncio 3.13's readuntil with a
// tuple). The match that ends first wins; of two that end at the same byte,
// the shorter wins. The limit applies to the data before the winning match:
// with limit 3, ReadUntilAny on "abc\r\n" with seps "\n" and "\r\n"
// overruns (the winner is "\n", after 4 bytes), as asyncio's does, although
// ReadUntil("\r\n") would succeed.
//
// Otherwise ReadUntilAny behaves as [Reader.ReadUntil], with the longest
// separator standing in for sep in the limit rules. It panics if seps is
// empty or holds an empty separator.
func (b *Reader) ReadUntilAny(seps ...[]byte) ([]byte, error) {
	line, err := b.ReadUntilAnySlice(seps...)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(line), nil
}

// ReadUntilAnySlice is [Reader.ReadUntilAny] without the copy: the returned
// slice points into the Reader's buffer and is valid only until the next call
// on the Reader.
func (b *Reader) ReadUntilAnySlice(seps ...[]byte) ([]byte, error) {
	c := &b.c
	if b.search == nil {
		b.search = new(readbuf.Search)
	}
	if !c.Skipping {
		if end := c.QuickAny(b.search, seps, c.Limit); end >= 0 {
			return c.Take(end), nil
		}
	}
	if len(seps) == 0 {
		panic("bufio2: ReadUntilAny: no separator")
	}
	if err := c.Begin(); err != nil {
		return nil, err
	}
	end, err := c.UntilAny(b.search, seps, c.Limit)
	if err != nil {
		return nil, b.untilError(err, "ReadUntilAny")
	}
	return c.Take(end), nil
}

// untilError turns a failed separator search into the error of the call
// named op.
func (b *Reader) untilError(err error, op string) error {
	c := &b.c
	switch err {
	case readbuf.ErrPartial:
		pos := c.Pos()
		partial := bytes.Clone(c.Buf[c.R:c.W])
		c.R = c.W
		c.LastByte = -1
		return &errs.IncompleteReadError{Partial: partial, Expected: -1, Offset: pos, Op: "bufio2." + op}
	}
	var over *errs.LimitOverrunError
	if errors.As(err, &over) {
		over.Op = "bufio2." + op
	}
	return err
}

// ReadLine reads one line, up to and including its '\n' (asyncio's
// readline). The result is the caller's to keep. A last line without '\n' is
// returned with err == nil, and the next call returns io.EOF.
//
// If the line (without its '\n') is longer than the limit, ReadLine returns
// *errs.LimitOverrunError (with Discarded set) and discards the whole line
// through its '\n', reading on as needed in O(limit) memory, so that the
// next call starts at the next line whatever the chunking. (asyncio
// discards only what happens to be buffered.) If the source fails while the
// line is being discarded, the error also wraps the source's error, and the
// next read of any kind goes on discarding before it reads.
func (b *Reader) ReadLine() ([]byte, error) {
	line, err := b.ReadLineSlice()
	if err != nil {
		return nil, err
	}
	return bytes.Clone(line), nil
}

// ReadLineSlice is [Reader.ReadLine] without the copy: the returned slice
// points into the Reader's buffer and is valid only until the next call on
// the Reader.
func (b *Reader) ReadLineSlice() ([]byte, error) {
	c := &b.c
	if !c.Skipping {
		if i := bytes.IndexByte(c.Buf[c.R:c.W], '\n'); i >= 0 && i <= c.Limit {
			// The common case, without a call: a line that is buffered.
			return c.Take(c.R + i + 1), nil
		}
	}
	return b.readLineSlow("ReadLine")
}

func (b *Reader) readLineSlow(op string) ([]byte, error) {
	c := &b.c
	if err := c.Begin(); err != nil {
		return nil, err
	}
	end, err := c.UntilOne(newline, c.Limit)
	if err != nil {
		return b.lineErr(err, op)
	}
	return c.Take(end), nil
}

// lineErr is the result of a ReadLine whose search failed: the last line,
// if the stream ended without '\n', or the error, after the overlong line
// is skipped. (Apart from readLineSlow, so that the frame of a read that
// waits stays small.)
func (b *Reader) lineErr(err error, op string) ([]byte, error) {
	c := &b.c
	if err == readbuf.ErrPartial {
		return c.Take(c.W), nil
	}
	var over *errs.LimitOverrunError
	if errors.As(err, &over) {
		over.Op, over.Discarded = "bufio2."+op, true
		c.LastByte = -1
		if serr := c.SkipLine(); serr != nil {
			return nil, fmt.Errorf("%w (and while discarding the line: %w)", err, serr)
		}
	}
	return nil, err
}

// ReadLineTrimmed is [Reader.ReadLine] without the line's terminator: the
// line without its "\n", and without a "\r" just before it, as
// bufio.Scanner's ScanLines and net/textproto return lines. The result is
// the caller's to keep. Its limit and errors are ReadLine's; the limit
// counts the '\r'.
func (b *Reader) ReadLineTrimmed() ([]byte, error) {
	line, err := b.ReadLineTrimmedSlice()
	if err != nil {
		return nil, err
	}
	return bytes.Clone(line), nil
}

// ReadLineTrimmedSlice is [Reader.ReadLineTrimmed] without the copy: the
// returned slice points into the Reader's buffer and is valid only until the
// next call on the Reader.
func (b *Reader) ReadLineTrimmedSlice() ([]byte, error) {
	c := &b.c
	var line []byte
	if i := bytes.IndexByte(c.Buf[c.R:c.W], '\n'); i >= 0 && i <= c.Limit && !c.Skipping {
		line = c.Take(c.R + i + 1)
	} else {
		var err error
		if line, err = b.readLineSlow("ReadLineTrimmed"); err != nil {
			return nil, err
		}
	}
	line = bytes.TrimSuffix(line, newline)
	return bytes.TrimSuffix(line, []byte{'\r'}), nil
}

// SkipUntil discards the stream through the first occurrence of sep and
// returns how many bytes it discarded, separator included: the way past an
// overrun of [Reader.ReadUntil] when the overlong data is not wanted. It
// reads on as needed in O(limit) memory, however far the separator is.
// If the stream ends first, SkipUntil discards everything and returns
// io.EOF. If the source fails, it returns the source's error, and a second
// SkipUntil goes on where the first stopped. It panics if sep is empty.
func (b *Reader) SkipUntil(sep []byte) (int64, error) {
	c := &b.c
	if len(sep) == 0 {
		panic("bufio2: SkipUntil: empty separator")
	}
	c.LastByte = -1
	if err := c.Begin(); err != nil {
		return 0, err
	}
	var n int64
	for {
		if i := bytes.Index(c.Buf[c.R:c.W], sep); i >= 0 {
			c.R += i + len(sep)
			return n + int64(i+len(sep)), nil
		}
		// Keep what could be the start of a separator.
		d := max(0, c.W-c.R-(len(sep)-1))
		if c.EOF {
			d = c.W - c.R
		}
		c.R += d
		n += int64(d)
		switch {
		case c.EOF:
			return n, io.EOF
		case c.Err != nil:
			return n, c.TakeErr()
		}
		c.Fill(len(sep), max(len(c.Buf), len(sep), readbuf.MinSize)) // without growing the buffer for what it discards
	}
}
