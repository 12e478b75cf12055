package frame

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"iter"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/internal/readbuf"
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

// Reader reads the frames of a stream, decoded by a [Codec].
//
// A Reader made over a [bufio2.Reader] decodes in that Reader's buffer and
// reads nothing ahead: after each [Reader.Next] the bufio2.Reader stands
// right after the frame returned, so the caller may go on with the
// bufio2.Reader's own reads (ReadLine, ReadExactly), with another Reader
// and another codec over the same bufio2.Reader (a Reader costs no buffer
// of its own), or with netx's StartTLS, and nothing is lost. Over any other
// io.Reader, NewReader makes a bufio2.Reader of its own.
//
// The buffer grows as a frame's bytes arrive, by doubling, up to the
// codec's maximum frame: a header that declares a large frame costs memory
// only as the frame's bytes come. Over a netx connection, a Reader that
// waits for data holds no buffer, as the connection's bufio2.Reader does.
//
// [Reader.Next] returns each payload without copying it: the slice points
// into the buffer and is valid only until the next call on the Reader or
// on its bufio2.Reader. [Reader.ReadFrame] and [Reader.All] return copies.
//
// Next returns io.EOF at a clean end of the stream, after the last whole
// frame. If the stream ends inside a frame, it returns
// *errs.IncompleteReadError holding the frame's bytes (errors.Is(err,
// io.ErrUnexpectedEOF) holds), and io.EOF after that. A frame over the
// maximum is *errs.FrameTooLargeError, returned before the frame is
// buffered; what follows it depends on [Reader.SetOversized]. A malformed
// frame is *errs.MalformedFrameError. The Offset of each of these errors is
// the position in the stream: bytes that the bufio2.Reader consumed since
// it was made or Reset. After a malformed frame, or an oversized one that
// the Reader does not skip, the Reader stays failed, and its bufio2.Reader
// stands at the start of the frame that failed. An error from the source is
// returned once the frames before it have been, and does not fail the
// Reader: the data buffered so far is kept, and the next call reads on, so
// that a read that timed out can be retried.
//
// A Reader is not safe for concurrent use, nor for use at the same time as
// its bufio2.Reader.
type Reader struct {
	c      *readbuf.Buffer                                                      // the bufio2.Reader's buffer
	split  func(data []byte, atEOF bool) (advance int, token []byte, err error) // the codec's Split
	sizer  func(data []byte) int                                                // the codec's frameLen, or nil
	seps   [][]byte                                                             // the codec's separators, or nil
	resync Resyncer
	max    int // the most bytes one frame may take

	last    int   // the bytes the last frame took: the guess at the next one's size
	err     error // sticky: returned by every later call
	skip    int64 // bytes of an oversized frame left to discard; -1: resync
	empties int32 // empty tokens in a row
	skipBig bool  // SetOversized(SkipOversized)
	lines   bool  // the codec is Lines, whose frames Next's fast path splits itself

	// What step found the codec waiting for (see errWait).
	need, seen int

	search *readbuf.Search // for a codec with several separators

	// typed is the codec's Split for NextTyped: the frame whole, its token
	// the body; nil if the codec does not frame typed messages.
	typed func(data []byte, atEOF bool) (advance int, token []byte, err error)
}

// delimiter is implemented by codecs that end frames with a separator.
// Their Split asks for more data until one of the separators is buffered or
// the buffer holds MaxFrame bytes: the Reader waits for that, scanning each
// byte once, before it calls Split again.
type delimiter interface {
	separators() [][]byte
}

// errResyncStuck fails a Reader whose codec's Resync keeps more than a
// frame's maximum without progress.
var errResyncStuck = errors.New("frame: Resync keeps more than the maximum frame")

// NewReader returns a Reader of the frames that c decodes from rd. If rd
// is a *bufio2.Reader, the Reader decodes in its buffer; otherwise it reads
// rd through a bufio2.Reader of its own.
//
// The maximum frame is c's MaxFrame if c is [Limited], as every codec of
// this package is, and [bufio2.DefaultLimit] otherwise.
//
//go:noinline
func NewReader(rd io.Reader, c Codec) *Reader {
	// The allocation first, in this small frame: a handler makes its
	// Reader at the top of its stack, and an allocation while the garbage
	// collector runs may assist or sweep for it, several hundred bytes
	// deeper (README, "Idle connections"). Not inlined: in the caller,
	// the Reader could live in the caller's frame, which lies under every
	// wait for a frame.
	r := new(Reader)
	r.init(rd, c)
	return r
}

// init is NewReader's work on the Reader it allocated.
//
//go:noinline
func (r *Reader) init(rd io.Reader, c Codec) {
	if c == nil {
		panic("frame: NewReader: nil Codec")
	}
	maxFrame := bufio2.DefaultLimit
	if l, ok := c.(Limited); ok {
		maxFrame = l.MaxFrame()
		if maxFrame <= 0 {
			panic("frame: NewReader: MaxFrame is not positive")
		}
	}
	buf := readbuf.Of(rd)
	if buf == nil {
		buf = readbuf.Of(bufio2.NewReader(rd))
	}
	r.c, r.max = buf, maxFrame
	if cc, ok := c.(compiler); ok {
		r.split, r.sizer = cc.compile()
	} else {
		r.split = c.Split
		if s, ok := c.(sizer); ok {
			r.sizer = s.frameLen
		}
	}
	if d, ok := c.(delimiter); ok {
		r.seps = d.separators()
		if len(r.seps) > 1 {
			r.search = new(readbuf.Search)
			r.search.Pin(r.seps)
		}
	}
	r.resync, _ = c.(Resyncer)
	_, r.lines = c.(Lines)
	if t, ok := c.(typed); ok {
		if _, _, err := t.typedFrame(nil, false); err != ErrNotTyped {
			r.typed = func(data []byte, atEOF bool) (int, []byte, error) {
				hdr, n, err := t.typedFrame(data, atEOF)
				if n == 0 {
					return 0, nil, err
				}
				return n, data[hdr:n:n], nil
			}
		}
	}
}

// SetOversized sets what the Reader does after a frame over the maximum:
// [StopOversized] (the default) or [SkipOversized].
func (r *Reader) SetOversized(o Oversized) { r.skipBig = o == SkipOversized }

// Buffered returns the number of bytes taken from the source and not yet
// returned as frames: what the bufio2.Reader under the Reader buffers.
func (r *Reader) Buffered() int {
	if r.c.Skipping {
		r.c.SkipBuffered()
	}
	return r.c.Buffered()
}

// Next returns the next frame's payload. The slice points into the buffer
// and is valid only until the next call on the Reader or its
// bufio2.Reader; use [Reader.ReadFrame] or bytes.Clone to keep it. Next
// returns a payload and a nil error, or a nil payload and an error: io.EOF
// at the end of the stream.
func (r *Reader) Next() ([]byte, error) {
	// The common case, kept small: a whole frame is buffered.
	c := r.c
	if r.err == nil && r.skip == 0 && !c.Skipping && c.R < c.W {
		data, atEOF := c.Buf[c.R:c.W], c.EOF
		if len(data) > r.max {
			data, atEOF = data[:r.max], false
		}
		if r.lines {
			// Lines, whose Split this is, without the call: a line within
			// Max (r.max is MaxFrame, Max plus "\r\n") ends in the window.
			// Only r is used after IndexByte, and the rest is loaded again,
			// so that nothing else is kept in Next's frame, which lies
			// under every wait for a frame.
			if i := bytes.IndexByte(data, '\n'); uint(i) <= uint(r.max-2) {
				return r.took(i), nil
			}
			return r.next()
		}
		adv, tok, err := r.split(data, atEOF)
		if err == nil && tok != nil && adv > 0 && adv <= r.window() {
			r.consumed(adv)
			return tok, nil
		}
	}
	return r.next()
}

// window is how much of the buffered data the codec is shown: at most one
// frame's maximum.
func (r *Reader) window() int { return min(r.c.W-r.c.R, r.max) }

// consumed records that the frame returned took the first n bytes of the
// buffered data.
func (r *Reader) consumed(n int) {
	r.c.R += n
	r.c.LastByte = -1
	r.empties = 0
	r.last = n
}

// took consumes the line that Next's fast path found ending at index i
// of the buffered data, and returns its payload.
func (r *Reader) took(i int) []byte {
	line := r.c.Buf[r.c.R : r.c.R+i]
	r.consumed(i + 1)
	return dropCR(line)
}

// NextTyped returns the next frame as a typed message: its type byte and
// its body, the bytes after the length field, whatever the codec's Strip
// says (see [LengthPrefixed] and [Uvarint] with Offset 1). body points into
// the buffer as Next's payload does, and is valid until the next call on
// the Reader or its bufio2.Reader. Errors, limits and SetOversized are as
// for Next; calls to Next and NextTyped may be mixed. If the codec does not
// frame typed messages, NextTyped returns [ErrNotTyped] and reads nothing.
func (r *Reader) NextTyped() (typ byte, body []byte, err error) {
	if r.typed == nil {
		return 0, nil, ErrNotTyped
	}
	split := r.split
	r.split = r.typed
	body, err = r.Next()
	r.split = split
	if err != nil {
		return 0, nil, err
	}
	// The frame ends where the buffer's read position stands now, and
	// takes r.last bytes: its first is the type.
	c := r.c
	return c.Buf[c.R-r.last], body, nil
}

// next is Next's loop for everything but the common case: it asks the
// codec about the buffered window (step) and, while the codec needs more,
// reads (more). The codec is asked again about the window that Next's fast
// path saw: Split is pure, as bufio.Scanner also assumes.
//
// The loop is kept apart from step, whose frame is large, so that a
// Reader waiting for a frame has only next's small frame and more's under
// its caller: a goroutine's stack that grew past its first 2 KB in such a
// wait stays 4 KB while its connection idles (README, "Idle connections").
func (r *Reader) next() ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	c := r.c
	if err := c.Begin(); err != nil {
		return nil, err
	}
	c.LastByte = -1
	if r.skip != 0 {
		if err := r.skipFrame(); err != nil {
			return nil, err
		}
	}
	for {
		tok, err := r.step()
		if err != errWait {
			return tok, err
		}
		if err := r.more(r.need, r.seen); err != nil {
			return nil, err
		}
	}
}

// errWait is step's result when the codec needs more data: next reads
// until r.need bytes are buffered (0: a separator, or any new data), the
// codec having seen r.seen bytes.
var errWait = errors.New("frame: wait for more data")

// step asks the codec about the buffered window and acts on its answer: a
// frame (returned), bytes to skip (skipped, and the codec asked again), a
// failure (the error), or a need for more data (errWait, with r.need and
// r.seen set).
func (r *Reader) step() ([]byte, error) {
	c := r.c
	r.need, r.seen = 0, 0
	for {
		// The codec never sees more than one frame's maximum, so that its
		// decisions do not depend on how much happens to be buffered.
		data, atEOF := c.Buf[c.R:c.W], c.EOF
		if len(data) > r.max {
			data, atEOF = data[:r.max], false
		}
		if len(data) == 0 && !atEOF {
			// As bufio.Scanner does, never ask for a frame in nothing but at
			// the end (bufio.ScanRunes would panic).
			return nil, errWait
		}
		adv, tok, err := r.split(data, atEOF)
		if err != nil {
			return r.splitErr(err, adv, tok, atEOF)
		}
		if adv < 0 {
			return nil, r.fail(bufio.ErrNegativeAdvance)
		}
		if adv > len(data) {
			return nil, r.fail(bufio.ErrAdvanceTooFar)
		}
		c.R += adv
		if adv > 0 {
			r.empties = 0
			r.last = adv
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
			continue // bytes skipped: ask again without reading
		}
		// The codec needs more data.
		if atEOF {
			return nil, r.endInFrame()
		}
		if len(data) == r.max {
			if c.W-c.R > r.max {
				return nil, r.fail(r.overLimit())
			}
			// Whether the frame is over the maximum depends on whether the
			// stream ends here: read one byte more.
			r.need = r.max + 1
			return nil, errWait
		}
		if r.sizer != nil {
			r.need = r.sizer(data)
		}
		r.seen = len(data)
		return nil, errWait
	}
}

// more reads until the codec may decide on the frame at the start of the
// buffer, which it has seen seen bytes of and found short: until need
// bytes are buffered (a codec whose header gives the frame's length), a
// separator arrives (a codec that ends frames with one), or else any new
// data; or the stream ends. It returns nil then, or the source's error if
// it stopped the wait before anything arrived; an error that comes with
// new data is kept for the next call, so that the frames before it are
// returned first.
//
// The separator search resumes where it stopped after each read, so a
// frame that arrives a byte at a time is scanned once, not once per byte.
func (r *Reader) more(need, seen int) error {
	c := r.c
	have := c.W - c.R
	from := c.Pos() + int64(max(0, seen-(r.sepMax()-1))) // a separator may end no earlier
	for {
		if c.EOF {
			return nil
		}
		if c.Err != nil {
			if c.W-c.R > have {
				return nil
			}
			return c.TakeErr()
		}
		fill := max(need, c.W-c.R+1)
		if need == 0 {
			// Frames of the size of the last one are likely: read one whole,
			// and no further (see Fill), so that the frame after it does not
			// straddle the buffer's end.
			fill = max(fill, r.last)
		}
		c.Fill(fill, r.max+1)
		n := c.W - c.R
		switch {
		case need > 0:
			if n >= min(need, r.max+1) {
				return nil
			}
		case r.seps == nil || n >= r.max:
			return nil
		case r.found(from):
			return nil
		default:
			from = c.Pos() + int64(max(0, n-(r.sepMax()-1)))
		}
	}
}

// sepMax returns the length of the codec's longest separator, or 0.
func (r *Reader) sepMax() int {
	switch {
	case r.search != nil:
		return r.search.MaxLen()
	case len(r.seps) == 1:
		return len(r.seps[0])
	}
	return 0
}

// found reports whether one of the codec's separators starts at or after
// stream position from in the buffer.
func (r *Reader) found(from int64) bool {
	c := r.c
	data := c.Buf[c.At(from):c.W]
	if len(r.seps) == 1 {
		if sep := r.seps[0]; len(sep) == 1 {
			return bytes.IndexByte(data, sep[0]) >= 0
		}
		return bytes.Contains(data, r.seps[0])
	}
	return r.search.Contains(c, r.seps, c.At(from))
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

// All returns an iterator over the frames of the stream, each read by
// [Reader.ReadFrame] and the caller's to keep. The iteration ends at the
// end of the stream. An error is yielded as (nil, err); after an oversized
// frame that the Reader skips (see [SkipOversized]), the iteration goes on
// with the next frame unless the loop breaks, and after any other error it
// stops.
//
//	for p, err := range r.All() {
//		if err != nil {
//			return err
//		}
//		...
//	}
func (r *Reader) All() iter.Seq2[[]byte, error] { return r.all(r.ReadFrame) }

// AllSlice is [Reader.All] without the copies: each payload is read by
// [Reader.Next], and is valid only until the loop body returns. A body
// that keeps a payload must copy it (bytes.Clone).
func (r *Reader) AllSlice() iter.Seq2[[]byte, error] { return r.all(r.Next) }

func (r *Reader) all(next func() ([]byte, error)) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		for {
			p, err := next()
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

// endInFrame is the error when the stream ends and the codec still asks
// for more: io.EOF with nothing buffered, else an incomplete frame holding
// the rest. The Reader is done either way.
//
// Not inlined, as the other error paths of next: their temporaries would
// widen next's frame, which lies under every wait for a frame.
//
//go:noinline
func (r *Reader) endInFrame() error {
	c := r.c
	r.err = io.EOF
	if c.R == c.W {
		return io.EOF
	}
	pos := c.Pos()
	data := bytes.Clone(c.Buf[c.R:c.W])
	c.R = c.W
	return &errs.IncompleteReadError{Partial: data, Expected: -1, Offset: pos, Op: "frame.Reader.Next"}
}

// overLimit is the error for a frame that the codec has not found within
// the maximum.
//
// Not inlined, as the other error paths of next: their temporaries would
// widen next's frame, which lies under every wait for a frame.
//
//go:noinline
func (r *Reader) overLimit() error {
	return &errs.FrameTooLargeError{Size: int64(r.max) + 1, Max: r.max, AtLeast: true, Offset: r.c.Pos()}
}

// splitErr handles an error from the codec's Split, which returned adv and
// tok with it.
func (r *Reader) splitErr(err error, adv int, tok []byte, atEOF bool) ([]byte, error) {
	c := r.c
	if err == bufio.ErrFinalToken {
		r.err = io.EOF
		if tok != nil {
			c.R += max(0, min(adv, c.W-c.R))
			return tok, nil
		}
		return nil, io.EOF
	}
	return nil, r.codecErr(err, atEOF)
}

// codecErr turns an error from the codec into the Reader's.
func (r *Reader) codecErr(err error, atEOF bool) error {
	c := r.c
	switch e := err.(type) {
	case *errs.FrameTooLargeError:
		rel := min(max(e.Offset, 0), int64(c.W-c.R))
		cp := *e
		cp.Offset += c.Pos()
		if r.skipBig && (cp.Skip > 0 || r.resync != nil) {
			c.R += int(rel)
			r.skip = -1
			if cp.Skip > 0 {
				r.skip = cp.Skip
			}
			return &cp
		}
		return r.fail(&cp)
	case *errs.MalformedFrameError:
		cp := *e
		cp.Offset += c.Pos()
		return r.fail(&cp)
	case *errs.IncompleteReadError:
		if atEOF {
			// The stream ended inside a frame: what follows is the end.
			cp := *e
			cp.Offset += c.Pos()
			cp.Op = "frame.Reader.Next"
			c.R = c.W
			r.err = io.EOF
			return &cp
		}
	}
	return r.fail(err)
}

// fail makes err the Reader's error from now on, unless it is an oversized
// frame that the Reader skips.
//
// Not inlined, as the other error paths of next: their temporaries would
// widen next's frame, which lies under every wait for a frame.
//
//go:noinline
func (r *Reader) fail(err error) error {
	if e, ok := err.(*errs.FrameTooLargeError); ok && r.skipBig && r.resync != nil {
		r.skip = -1
		return e
	}
	r.err = err
	return err
}

// skipFrame discards the oversized frame at the start of the buffer.
func (r *Reader) skipFrame() error {
	c := r.c
	for r.skip > 0 {
		r.skip -= c.Discard(r.skip)
		if r.skip > 0 {
			if c.Err != nil {
				return c.TakeErr() // go on discarding next time
			}
			r.skip = 0 // the stream ended inside the frame
		}
	}
	for r.skip < 0 {
		adv, done := r.resync.Resync(c.Buf[c.R:c.W], c.EOF)
		if adv < 0 || adv > c.W-c.R {
			r.skip = 0
			return r.fail(bufio.ErrAdvanceTooFar)
		}
		if !done && adv == 0 && c.W-c.R > r.max {
			r.skip = 0
			return r.fail(errResyncStuck)
		}
		c.R += adv
		if done || c.EOF {
			if !done {
				c.R = c.W // the stream ended inside the frame
			}
			r.skip = 0
			break
		}
		if err := r.more(0, 0); err != nil {
			return err
		}
	}
	return nil
}
