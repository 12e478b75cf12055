package frame

import (
	"bytes"
	"errors"
	"fmt"
	"math"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/errs"
)

// DefaultMaxFrame is the maximum payload size of the codecs whose header
// declares the frame's length ([LengthPrefixed], [Uvarint], [Netstring],
// [OctetCounting]) when their Max is zero: 8 MiB, as tokio-util's
// LengthDelimitedCodec.
const DefaultMaxFrame = 8 << 20

// DefaultMaxDelimited is the maximum payload size of the codecs that end a
// frame with a separator ([Lines], [Delimited]) when their Max is zero:
// [bufio2.DefaultLimit], 64 KiB.
const DefaultMaxDelimited = bufio2.DefaultLimit

// Codec is a framing: how a stream of bytes is cut into frames, and how a
// frame is written. A Codec is pure: it does no I/O, starts no goroutines
// and keeps no state between calls, so one value may serve any number of
// Readers, Writers and goroutines at once.
//
// Split is the decoder, with the contract of [bufio.SplitFunc]: given the
// buffered data, it returns how many bytes to consume and the next payload,
// (0, nil, nil) to ask for more data, or an error. A codec's Split works in
// a [bufio.Scanner] as it is: scanner.Split(frame.Lines{}.Split).
//
// Append is the encoder: it appends one frame holding payload to dst and
// returns the extended slice, without allocating when dst has room. For a
// payload it cannot encode so that Split gives it back, it returns dst
// unchanged and an error: *errs.FrameTooLargeError for a payload over the
// codec's maximum, or an error wrapping [ErrInvalidPayload].
type Codec interface {
	Split(data []byte, atEOF bool) (advance int, token []byte, err error)
	Append(dst, payload []byte) ([]byte, error)
}

// Limited is implemented by a Codec that bounds its frames, as every codec
// of this package does. MaxFrame returns the most bytes one frame may take
// in the stream, header, payload and trailer together. A [Reader] never
// buffers more than that for one frame, and its codec's Split never needs
// to see more to decide.
type Limited interface {
	Codec
	MaxFrame() int
}

// Resyncer is implemented by a Codec that ends frames with a separator
// (all or some of them), so that a [Reader] can skip a frame too large to
// buffer whose length it does not know (see [SkipOversized]).
// Given the data from the start of the oversized frame, Resync returns how
// many bytes of it to discard, and done once those bytes reach the end of
// the frame. When not done, the Reader discards them, reads on and calls
// Resync again with what follows; it never passes more than Resync left
// plus what it read since. At atEOF, Resync must report done.
type Resyncer interface {
	Codec
	Resync(data []byte, atEOF bool) (advance int, done bool)
}

// ErrInvalidPayload is wrapped by the error a codec's Append returns for a
// payload that its Split would not give back as it is: a line holding
// '\n', a payload holding a separator, a payload of the wrong size for
// [Fixed], and so on.
var ErrInvalidPayload = errors.New("frame: payload cannot be encoded")

// ErrNoEncoder is returned by the Append of a codec that only decodes, such
// as a [SplitFunc].
var ErrNoEncoder = errors.New("frame: codec has no encoder")

// ErrNotTyped is returned by [Writer.WriteTyped] when the Writer's codec
// does not frame typed messages: it is not a [LengthPrefixed] or a
// [Uvarint], or its Offset is not 1.
var ErrNotTyped = errors.New("frame: codec does not frame typed messages (want a LengthPrefixed or Uvarint with Offset 1)")

// typed is implemented by the codecs whose frames can be typed messages
// (PostgreSQL's, MQTT's): with Offset 1, a frame is a type byte, a length,
// and a body, the bytes after the length. [Writer.WriteTyped] writes them,
// and a Reader reads them with no placeholder bytes and no copy. Strip
// plays no part: the type byte is the frame's first byte, the body what
// follows the length field, whatever the payload of Split would be.
type typed interface {
	// typedFrame decodes the typed message at the start of data. If data
	// holds all of it, it returns hdr, the header's length (the type byte
	// and the length field; the body starts at data[hdr]), and n, the
	// frame's (the body is data[hdr:n], and the frame takes n bytes), with
	// 1 < hdr <= n <= len(data); the type byte is data[0]. Otherwise it
	// returns (0, 0, nil) to ask for more data, or (0, 0, err) with the
	// error that Split, with Strip set to KeepHeader, returns for the same
	// data and atEOF: *errs.FrameTooLargeError (Skip set as Split sets
	// it), *errs.MalformedFrameError, *errs.IncompleteReadError at the end
	// of the stream. n is the advance that Split (KeepHeader) returns. If
	// the codec's Offset is not 1, it returns ErrNotTyped, whatever data
	// (so a caller may ask once, with nil).
	typedFrame(data []byte, atEOF bool) (hdr, n int, err error)
	// typedHeader appends the header of a typed message with a body of n
	// bytes: typ and the length field. It returns dst unchanged and
	// ErrNotTyped if Offset is not 1, or the error Append returns for a
	// body it cannot frame (*errs.FrameTooLargeError over Max).
	typedHeader(dst []byte, typ byte, n int) ([]byte, error)
	// appendTyped appends a whole typed message: typedHeader, then body.
	appendTyped(dst []byte, typ byte, body []byte) ([]byte, error)
}

// sizer is implemented by codecs whose header declares the frame's length.
// frameLen returns the bytes the frame at the start of data takes in all, or
// 0 if data does not hold its whole header. It is called only after Split
// asked for more data, so the header is known to be valid. The Reader then
// waits for the whole frame at once rather than growing its buffer step by
// step.
type sizer interface {
	frameLen(data []byte) int
}

// lateDelimiter is implemented by codecs whose frames end either at the
// length their header declares or at a separator, decided frame by frame
// ([OctetCounting] with NonTransparent). frameSeps returns the separators
// that end the frame at the start of data, which holds at least one byte,
// or nil if its header declares its length (frameLen gives it). A Reader
// whose codec's Split asked for more data may then wait for one of those
// separators, scanning each byte once, as it does for a codec that ends
// every frame with a separator, rather than calling Split after every read.
type lateDelimiter interface {
	frameSeps(data []byte) [][]byte
}

// enveloper is implemented by codecs whose frame is a header, the payload
// unchanged, and a trailer. envelope checks that payload can be encoded,
// appends the header to dst, and returns it with the trailer. A Writer uses
// it to write a large payload without copying it into its buffer. It
// returns errNoEnvelope when the codec's settings do not frame payloads
// that way.
type enveloper interface {
	envelope(dst, payload []byte) (withHeader, trailer []byte, err error)
}

var errNoEnvelope = errors.New("frame: payload is not framed as it is")

// compiler is implemented by codecs whose Split works out the same things
// from their settings on every call. compile returns functions that do
// what Split and frameLen do, with that work done once; a Reader calls
// them instead.
type compiler interface {
	compile() (split func(data []byte, atEOF bool) (advance int, token []byte, err error), frameLen func(data []byte) int)
}

// maxInt bounds Max fields, so that adding a header's size cannot overflow.
const maxInt = math.MaxInt / 4

// maxOr returns max, or def if max is zero. It panics if max is negative.
func maxOr(max, def int, codec string) int {
	switch {
	case max < 0:
		panic("frame: " + codec + ".Max is negative")
	case max == 0:
		return def
	}
	return min(max, maxInt)
}

// incomplete is the error for a frame cut short by the end of the stream,
// met by op (a codec's Split: "frame.Netstring.Split").
func incomplete(data []byte, expected int, op string) error {
	return &errs.IncompleteReadError{Partial: bytes.Clone(data), Expected: expected, Op: op}
}

// whole is the common part of Split for a codec whose header declares the
// frame's length (Uvarint, Netstring, OctetCounting), given what decoding
// the header at the start of data gave: the header's length (0 if data does
// not hold it whole yet), the frame's, and the header's error. It reports
// whether data holds the whole frame; if not, the error to return: the
// header's, a frame cut short by the end of the stream, or nil to ask for
// more.
func whole(data []byte, atEOF bool, hdr, n int, err error, op string) (bool, error) {
	switch {
	case err != nil:
		return false, err
	case hdr > 0 && len(data) >= n:
		return true, nil
	case !atEOF || len(data) == 0:
		return false, nil
	}
	if hdr == 0 {
		n = -1 // the header itself is cut short
	}
	return false, incomplete(data, n, op)
}

// tooLong is the error of a separator codec that saw more than max bytes
// of payload. Its Size is max+1 whatever the chunking, so that the error
// does not depend on how much happened to be buffered. setting names the
// knob that sets max ("Lines.Max").
func tooLong(max int, setting string) error {
	return &errs.FrameTooLargeError{Size: int64(max) + 1, Max: max, AtLeast: true, Setting: setting}
}

// declared is the error for a frame whose header, of hdr bytes, declares
// size bytes over max (which setting sets), followed by trailer bytes. Its
// Skip is the frame's whole length, hdr+size+trailer, or 0 (unknown) when
// that is more than an int64 holds: never negative.
func declared(size int64, max int, hdr, trailer int, setting string) *errs.FrameTooLargeError {
	e := &errs.FrameTooLargeError{Size: size, Max: max, Setting: setting}
	if extra := int64(hdr) + int64(trailer); size <= math.MaxInt64-extra {
		e.Skip = size + extra
	}
	return e
}

// beyondInt64 is the error for a frame whose header declares more bytes
// than an int64 holds: its Size is the largest int64, a lower bound, and
// its Skip unknown.
func beyondInt64(max int, setting string) *errs.FrameTooLargeError {
	return &errs.FrameTooLargeError{Size: math.MaxInt64, Max: max, AtLeast: true, Setting: setting}
}

// tooLarge is the error for a payload of size bytes over max, which
// setting sets.
func tooLarge(size int64, max int, setting string) error {
	return &errs.FrameTooLargeError{Size: size, Max: max, Setting: setting}
}

// finish completes Append for an enveloper, given what envelope returned.
// (Calling envelope through the interface would box the codec.)
func finish(dst, payload, out, trailer []byte, err error) ([]byte, error) {
	if err != nil {
		return dst, err
	}
	out = append(out, payload...)
	return append(out, trailer...), nil
}

// decimalHeader decodes a decimal length and the byte that ends it at the
// start of data, for [Netstring] and [OctetCounting]. It returns the
// header's length, terminator included, and the value; hdr is 0 if data
// does not hold the whole header yet. The length must not have a leading
// zero; zero itself is accepted if zeroOK. A length too large for an
// int64 is *errs.FrameTooLargeError with AtLeast set, as soon as its digits
// say so. op names the codec in errors ("frame.Netstring"), and setting
// its maximum ("Netstring.Max").
func decimalHeader(data []byte, term byte, zeroOK bool, max int, op, setting string) (hdr int, v int64, err error) {
	for i, b := range data {
		if '0' <= b && b <= '9' {
			switch {
			case i == 0 && b == '0' && !zeroOK:
				return 0, 0, &errs.MalformedFrameError{Offset: 0, Reason: "the length must start with a digit from 1 to 9", Op: op}
			case i == 1 && data[0] == '0':
				return 0, 0, &errs.MalformedFrameError{Offset: 1, Reason: "the length has a leading zero", Op: op}
			case v > (math.MaxInt64-int64(b-'0'))/10:
				return 0, 0, beyondInt64(max, setting)
			}
			v = v*10 + int64(b-'0')
			continue
		}
		if i == 0 {
			return 0, 0, &errs.MalformedFrameError{Offset: 0, Reason: "the length must start with a digit", Op: op}
		}
		if b != term {
			return 0, 0, &errs.MalformedFrameError{Offset: int64(i), Reason: fmt.Sprintf("the length must be followed by %q", term), Op: op}
		}
		return i + 1, v, nil
	}
	return 0, 0, nil
}

// maxDecimalHeader is the longest header decimalHeader decides on: 19
// digits (math.MaxInt64 has 19) and the terminator.
const maxDecimalHeader = 20
