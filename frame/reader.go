package frame

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"iter"
	"math"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/errs"
)

// Oversized says what a [Reader] does after a frame over its codec's
// maximum size.
type Oversized int

const (
	// StopOversized, the default, makes the Reader fail: Next returns the
	// *errs.FrameTooLargeError, and returns it again on every later call.
	StopOversized Oversized = iota
	// SkipOversized makes the Reader go on: Next returns the
	// *errs.FrameTooLargeError once, and the next call first discards the
	// oversized frame, in O(max frame) memory, and then returns the frame
	// after it. A codec whose header declares the frame's length reports
	// it in the error's Skip, and the Reader discards that many bytes
	// without buffering them; a codec that ends frames with a separator is
	// a [Resyncer] and the Reader discards through the separator. With a
	// codec that is neither, such as a [SplitFunc], the Reader stops as
	// with StopOversized. Malformed frames always stop the Reader.
	SkipOversized
)

// maxEmptyTokens is how many empty tokens in a row a codec may return
// without consuming input, as in bufio.Scanner.
const maxEmptyTokens = 100

// Reader reads the frames of a stream, decoded by a [Codec]. It builds on a
// [bufio2.Reader] whose limit is the codec's maximum frame (plus one byte,
// to see whether the stream goes on after a frame of the maximum size).
// The buffer starts at 4 KiB and grows as frames need, and up to 16 KiB
// while the source fills it at every read, never past that limit.
//
// [Reader.Next] returns each payload without copying it: the slice points
// into the Reader's buffer and is valid only until the next call on the
// Reader. [Reader.ReadFrame] returns a copy.
//
// Next returns io.EOF at a clean end of the stream, after the last whole
// frame. If the stream ends inside a frame, it returns
// *errs.IncompleteReadError holding the frame's bytes (errors.Is(err,
// io.ErrUnexpectedEOF) holds), and io.EOF after that. A frame over the
// maximum is *errs.FrameTooLargeError, returned before the frame is
// buffered; what follows it depends on [Reader.SetOversized]. A malformed
// frame is *errs.MalformedFrameError. The Offset of either is the position
// in the stream (bytes from the start of what this Reader read), and the
// Reader stays failed after them. An error from the source is returned once
// the frames before it have been, and does not fail the Reader: the data
// buffered so far is kept, and the next call reads on, so that a read that
// timed out can be retried.
//
// A Reader is not safe for concurrent use.
type Reader struct {
	src    source
	br     *bufio2.Reader
	c      Codec
	split  func(data []byte, atEOF bool) (advance int, token []byte, err error) // c.Split
	sizer  func(data []byte) int                                                // the codec's frameLen, or nil
	resync Resyncer
	max    int // the most bytes one frame may take; the bufio2 limit is one more

	win     []byte // buffered data not yet consumed
	pending int    // bytes consumed from win but not yet discarded from br
	base    int64  // position in the stream of the bufio2.Reader's next byte
	eof     bool   // the source has ended: win is the rest of the stream

	err     error // sticky: returned by every later call
	srcErr  error // an error from the source, returned when more data is needed
	skip    int64 // bytes of an oversized frame left to discard; -1: resync
	policy  Oversized
	empties int // empty tokens in a row
}

// source is the Reader's view of the stream: it notes when the stream
// has ended, which bufio2 reports only once nothing is buffered.
type source struct {
	r   io.Reader
	eof bool
}

func (s *source) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err == io.EOF {
		s.eof = true
	}
	return n, err
}

// errResyncStuck fails a Reader whose codec's Resync keeps more than a
// frame's maximum without progress.
var errResyncStuck = errors.New("frame: Resync keeps more than the maximum frame")

// NewReader returns a Reader of the frames that c decodes from rd.
//
// The maximum frame is c's MaxFrame if c is [Limited], as every codec of
// this package is, and [bufio2.DefaultLimit] otherwise.
func NewReader(rd io.Reader, c Codec) *Reader {
	if c == nil {
		panic("frame: NewReader: nil Codec")
	}
	max := bufio2.DefaultLimit
	if l, ok := c.(Limited); ok {
		max = l.MaxFrame()
		if max <= 0 {
			panic("frame: NewReader: MaxFrame is not positive")
		}
	}
	r := &Reader{c: c, max: max}
	r.src.r = rd
	// One byte over the maximum tells a frame of max bytes that the stream
	// ends with from a longer one.
	r.br = bufio2.NewReaderLimit(&r.src, max+1)
	r.split = c.Split
	if s, ok := c.(sizer); ok {
		r.sizer = s.frameLen
	}
	if cc, ok := c.(compiler); ok {
		r.split, r.sizer = cc.compile()
	}
	r.resync, _ = c.(Resyncer)
	return r
}

// SetOversized sets what the Reader does after a frame over the maximum:
// [StopOversized] (the default) or [SkipOversized].
func (r *Reader) SetOversized(o Oversized) { r.policy = o }

// Next returns the next frame's payload. The slice points into the
// Reader's buffer and is valid only until the next call on the Reader; use
// [Reader.ReadFrame] or bytes.Clone to keep it. Next returns a payload and
// a nil error, or a nil payload and an error: io.EOF at the end of the
// stream.
func (r *Reader) Next() ([]byte, error) {
	// The common case, kept small: a whole frame is buffered.
	if data := r.win; r.err == nil && r.skip == 0 && len(data) > 0 && len(data) <= r.max {
		adv, tok, err := r.split(data, r.eof)
		if err == nil && tok != nil && uint(adv-1) < uint(len(data)) {
			// A token, and 0 < adv <= len(data).
			r.win = data[adv:]
			r.pending += adv
			r.empties = 0
			return tok, nil
		}
		return r.next(&splitResult{adv, tok, err})
	}
	return r.next(nil)
}

// splitResult is what the codec's Split returned for the current window.
type splitResult struct {
	adv int
	tok []byte
	err error
}

// next is Next's loop for everything but the common case. first, if not
// nil, is what Split returned for the current window, so that the codec is
// not asked twice about the same data.
func (r *Reader) next(first *splitResult) ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.skip != 0 {
		if err := r.skipFrame(); err != nil {
			return nil, err
		}
	}
	for {
		// The codec never sees more than one frame's maximum, so that its
		// decisions do not depend on how much happens to be buffered.
		data, atEOF := r.win, r.eof
		if len(data) > r.max {
			data, atEOF = data[:r.max], false
		}
		if len(data) == 0 && !atEOF {
			// As bufio.Scanner does, never ask for a frame in nothing
			// but at the end (bufio.ScanRunes would panic).
			if err := r.more(0); err != nil {
				return nil, err
			}
			continue
		}
		var adv int
		var tok []byte
		var err error
		if first != nil {
			adv, tok, err, first = first.adv, first.tok, first.err, nil
		} else {
			adv, tok, err = r.split(data, atEOF)
		}
		if err != nil {
			if err == bufio.ErrFinalToken {
				r.err = io.EOF
				if tok != nil {
					return tok, nil
				}
				return nil, io.EOF
			}
			return nil, r.splitErr(err, atEOF)
		}
		if adv < 0 {
			return nil, r.fail(bufio.ErrNegativeAdvance)
		}
		if adv > len(data) {
			return nil, r.fail(bufio.ErrAdvanceTooFar)
		}
		r.consume(adv)
		if adv > 0 {
			r.empties = 0
		}
		if tok != nil {
			if adv == 0 {
				if r.empties++; r.empties > maxEmptyTokens {
					panic("frame: too many empty tokens without progressing")
				}
			}
			return tok, nil
		}
		if adv > 0 {
			continue
		}
		// The codec needs more data.
		if atEOF {
			r.err = io.EOF
			if len(data) == 0 {
				return nil, io.EOF
			}
			r.consume(len(data))
			return nil, incomplete(data, -1)
		}
		if len(data) == r.max {
			if len(r.win) > r.max {
				return nil, r.fail(r.overLimit())
			}
			// Whether the frame is over the maximum depends on whether
			// the stream ends here: read one byte more.
			if err := r.more(r.max + 1); err != nil {
				return nil, err
			}
			continue
		}
		need := 0
		if r.sizer != nil {
			need = r.sizer(data)
		}
		if err := r.more(need); err != nil {
			return nil, err
		}
	}
}

// ReadFrame is [Reader.Next] with a copy: the payload is the caller's to
// keep.
func (r *Reader) ReadFrame() ([]byte, error) {
	p, err := r.Next()
	if err != nil {
		return nil, err
	}
	return bytes.Clone(p), nil
}

// All returns an iterator over the frames of the stream, each as
// [Reader.Next] returns it: valid only until the loop body returns, so a
// body that keeps a payload must copy it (bytes.Clone). The iteration ends
// at the end of the stream. An error is yielded as (nil, err); after an
// oversized frame that the Reader skips (see [SkipOversized]), the
// iteration goes on with the next frame unless the loop breaks, and after
// any other error it stops.
//
//	for p, err := range r.All() {
//		if err != nil {
//			return err
//		}
//		...
//	}
func (r *Reader) All() iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		for {
			p, err := r.Next()
			if err == io.EOF {
				return
			}
			if !yield(p, err) {
				return
			}
			if err != nil {
				if _, ok := err.(*errs.FrameTooLargeError); !ok || r.skip == 0 {
					return
				}
			}
		}
	}
}

// offset returns the position of win[0] in the stream.
func (r *Reader) offset() int64 { return r.base + int64(r.pending) }

// consume moves past n bytes of the window.
func (r *Reader) consume(n int) {
	r.win = r.win[n:]
	r.pending += n
}

// sync discards the consumed bytes from the bufio2.Reader. They are
// buffered, so this never reads.
func (r *Reader) sync() {
	if r.pending > 0 {
		r.br.Discard(r.pending)
		r.base += int64(r.pending)
		r.pending = 0
	}
}

// refresh makes the window all the buffered data.
func (r *Reader) refresh() {
	r.sync()
	// With more than the limit buffered (the buffer starts at 4 KiB even
	// for a smaller limit), Peek returns it all with ErrBufferFull.
	r.win, _ = r.br.Peek(r.br.Buffered())
	r.eof = r.src.eof
}

// more reads more of the stream into the window. need is how many bytes
// the frame at the start of the window takes, if the codec knows, else 0:
// then one more read is enough (bufio2 grows its buffer by doubling when it
// is full, and while the source keeps filling it). It returns nil once the
// window has grown or the stream has ended, or the source's error.
func (r *Reader) more(need int) error {
	if err := r.srcErr; err != nil {
		r.srcErr = nil
		return err
	}
	r.sync()
	have := len(r.win)
	_, err := r.br.Peek(min(max(need, have+1), r.max+1))
	r.refresh()
	switch {
	case err == nil, r.eof:
		return nil
	case len(r.win) > have:
		r.srcErr = err // return the frames read so far first
		return nil
	}
	return err
}

// overLimit is the error for a frame that the codec has not found within
// the maximum.
func (r *Reader) overLimit() error {
	return &errs.FrameTooLargeError{Size: int64(r.max) + 1, Max: r.max, AtLeast: true, Offset: r.offset()}
}

// splitErr handles an error from the codec.
func (r *Reader) splitErr(err error, atEOF bool) error {
	switch e := err.(type) {
	case *errs.FrameTooLargeError:
		rel := min(max(e.Offset, 0), int64(len(r.win)))
		c := *e
		c.Offset += r.offset()
		if r.policy == SkipOversized && (c.Skip > 0 || r.resync != nil) {
			r.consume(int(rel))
			r.skip = -1
			if c.Skip > 0 {
				r.skip = c.Skip
			}
			return &c
		}
		return r.fail(&c)
	case *errs.MalformedFrameError:
		c := *e
		c.Offset += r.offset()
		return r.fail(&c)
	case *errs.IncompleteReadError:
		if atEOF {
			// The stream ended inside a frame: what follows is the end.
			r.consume(len(r.win))
			r.err = io.EOF
			return err
		}
	}
	return r.fail(err)
}

// fail makes err the Reader's error from now on, unless it is an oversized
// frame that the Reader skips.
func (r *Reader) fail(err error) error {
	if e, ok := err.(*errs.FrameTooLargeError); ok && r.policy == SkipOversized && r.resync != nil {
		r.skip = -1
		return e
	}
	r.err = err
	return err
}

// skipFrame discards the oversized frame at the start of the window.
func (r *Reader) skipFrame() error {
	r.sync()
	for r.skip > 0 {
		d, err := r.br.Discard(int(min(r.skip, math.MaxInt)))
		r.skip -= int64(d)
		r.base += int64(d)
		if err != nil {
			if !r.src.eof {
				r.refresh()
				return err // the source failed: go on discarding next time
			}
			r.skip = 0 // the stream ended inside the frame
		}
	}
	r.refresh()
	for r.skip < 0 {
		adv, done := r.resync.Resync(r.win, r.eof)
		if adv < 0 || adv > len(r.win) {
			r.skip = 0
			return r.fail(bufio.ErrAdvanceTooFar)
		}
		if !done && adv == 0 && len(r.win) > r.max {
			r.skip = 0
			return r.fail(errResyncStuck)
		}
		r.consume(adv)
		if done || r.eof {
			if !done {
				r.consume(len(r.win)) // the stream ended inside the frame
			}
			r.skip = 0
			break
		}
		if err := r.more(0); err != nil {
			return err
		}
	}
	return nil
}
