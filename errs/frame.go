package errs

import (
	"fmt"
	"strings"
)

// FrameTooLargeError reports a frame over a codec's maximum size (package
// frame). The decoder returns it as soon as the frame's header declares a
// size over the maximum, or, for a codec that ends frames with a separator,
// as soon as more than the maximum has been seen without one: before the
// frame is buffered or any memory of its size is allocated. An encoder
// returns it for a payload it will not encode because it is too large.
//
// Its message names the setting to raise:
//
//	frame: frame of 10485760 bytes at offset 96 is over the maximum 8388608 (LengthPrefixed.Max)
type FrameTooLargeError struct {
	// Size is the frame's size: the payload size its header declares, or,
	// when AtLeast is set, a lower bound.
	Size int64
	// Max is the maximum that Size exceeds.
	Max int
	// AtLeast reports that the frame's size is only known to be at least
	// Size: its end has not been seen (a codec that ends frames with a
	// separator; Size is then Max+1), or its header declares more bytes
	// than an int64 holds (Size is then the largest int64).
	AtLeast bool
	// Offset is where the frame starts: in the data passed to a codec's
	// Split, or in the stream for a frame.Reader.
	Offset int64
	// Skip is how many bytes the whole frame takes from Offset, header and
	// trailer included, when the header declares it and that count fits in
	// an int64; 0 when unknown. It is never negative. A reader discards
	// Skip bytes to resume at the next frame.
	Skip int64
	// Setting names the setting that Max comes from, as Type.Field of
	// package frame ("LengthPrefixed.Max", "Lines.Max", "Fixed.Size"): the
	// knob that raises the maximum. The message ends with it. It may be
	// empty.
	Setting string
}

func (e *FrameTooLargeError) Error() string {
	var b strings.Builder
	b.WriteString("frame: frame of ")
	if e.AtLeast {
		b.WriteString("at least ")
	}
	fmt.Fprintf(&b, "%d bytes", e.Size)
	if e.Offset != 0 {
		fmt.Fprintf(&b, " at offset %d", e.Offset)
	}
	fmt.Fprintf(&b, " is over the maximum %d", e.Max)
	if e.Setting != "" {
		fmt.Fprintf(&b, " (%s)", e.Setting)
	}
	return b.String()
}

// MalformedFrameError reports a frame whose header or trailer breaks its
// codec's format: a netstring length that is not a decimal number or that
// is not followed by ':', a netstring without its ',', an octet count
// without its space, a varint longer than 10 bytes, and the like.
//
// Its message starts with Op:
//
//	frame.Netstring: malformed frame at offset 20: the length has a leading zero
type MalformedFrameError struct {
	// Offset is the position of the offending byte: in the data passed to
	// a codec's Split, or in the stream for a frame.Reader.
	Offset int64
	// Reason says what is wrong, without the offset.
	Reason string
	// Op names the codec or the call that found the frame malformed, as
	// package.Name ("frame.Netstring", "bufio2.ReadBlock"); it starts the
	// message. It may be empty.
	Op string
}

func (e *MalformedFrameError) Error() string {
	if e.Op == "" {
		return fmt.Sprintf("malformed frame at offset %d: %s", e.Offset, e.Reason)
	}
	return fmt.Sprintf("%s: malformed frame at offset %d: %s", e.Op, e.Offset, e.Reason)
}
