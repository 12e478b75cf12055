package frame

import (
	"bufio"

	"github.com/streamkit/streamkit/bufio2"
)

// SplitFunc adapts a [bufio.SplitFunc] to a [Codec], so that any split
// function drives a [Reader]:
//
//	r := frame.NewReader(conn, frame.SplitFunc{Func: bufio.ScanWords})
//
// It only decodes: Append returns [ErrNoEncoder]. The Reader applies Max
// itself, as bufio.Scanner applies its maximum token size: a token that Func
// cannot find within Max bytes fails with *errs.FrameTooLargeError (Size
// Max+1, AtLeast set), and the Reader stops even if it skips oversized
// frames, as it cannot tell where the next token starts.
type SplitFunc struct {
	// Func is the split function. It must not be nil.
	Func bufio.SplitFunc
	// Max is the most bytes the Reader buffers while Func looks for one
	// token. If zero, bufio2.DefaultLimit is used.
	Max int
}

var _ Limited = SplitFunc{}

// Split calls Func.
func (s SplitFunc) Split(data []byte, atEOF bool) (advance int, token []byte, err error) {
	return s.Func(data, atEOF)
}

// Append returns dst and ErrNoEncoder.
func (s SplitFunc) Append(dst, payload []byte) ([]byte, error) { return dst, ErrNoEncoder }

// MaxFrame returns Max.
func (s SplitFunc) MaxFrame() int { return maxOr(s.Max, bufio2.DefaultLimit, "SplitFunc") }
