package frame

import "fmt"

// Fixed is the codec of frames of exactly Size bytes, with no header: the
// frame is the payload.
//
//	Size: 4
//	stream:  a b c d e f g h i j <EOF>
//	         +--------+--------+-----+
//	         | "abcd" | "efgh" | "ij"| <- short: incomplete
//	         +--------+--------+-----+
//	frames:  "abcd"   "efgh"   *errs.IncompleteReadError{Partial: "ij", Expected: 4}
//
// Size is also the maximum: Fixed never fails with
// *errs.FrameTooLargeError when decoding.
//
// Size has no useful default: a Fixed whose Size is not positive panics
// when used. The methods have value receivers, so a literal such as
// frame.Fixed{Size: 16} is a [Codec].
type Fixed struct {
	// Size is the size of every frame, in bytes. It must be positive.
	Size int
}

var (
	_ Limited   = Fixed{}
	_ sizer     = Fixed{}
	_ enveloper = Fixed{}
)

func (c Fixed) size() int {
	if c.Size <= 0 {
		panic("frame: Fixed.Size must be positive")
	}
	return c.Size
}

// MaxFrame returns Size.
func (c Fixed) MaxFrame() int { return c.size() }

func (c Fixed) frameLen([]byte) int { return c.size() }

// Split returns the next Size bytes.
func (c Fixed) Split(data []byte, atEOF bool) (advance int, token []byte, err error) {
	n := c.size()
	if len(data) >= n {
		return n, data[:n], nil
	}
	if atEOF && len(data) > 0 {
		return 0, nil, incomplete(data, n, "frame.Fixed.Split")
	}
	return 0, nil, nil
}

// Append appends payload, which must be exactly Size bytes, to dst. A
// longer payload gets *errs.FrameTooLargeError, a shorter one an error
// wrapping ErrInvalidPayload.
func (c Fixed) Append(dst, payload []byte) ([]byte, error) {
	out, trailer, err := c.envelope(dst, payload)
	return finish(dst, payload, out, trailer, err)
}

func (c Fixed) envelope(dst, payload []byte) ([]byte, []byte, error) {
	n := c.size()
	switch {
	case len(payload) > n:
		return dst, nil, tooLarge(int64(len(payload)), n, "Fixed.Size")
	case len(payload) < n:
		return dst, nil, fmt.Errorf("%w: Fixed: payload of %d bytes, want %d", ErrInvalidPayload, len(payload), n)
	}
	return dst, nil, nil
}
