package frame

import (
	"strconv"

	"github.com/streamkit/streamkit/errs"
)

// Netstring is the codec of D. J. Bernstein's netstrings
// (https://cr.yp.to/proto/netstrings.txt): the payload's length in decimal
// ASCII, ':', the payload, ','.
//
//	stream:  1 2 : h e l l o   w o r l d ! , 0 : ,
//	         +----+-+--------------+-+-+-+-+
//	         | 12 |:|"hello world!"|,|0|:|,|
//	         +----+-+--------------+-+-+-+-+
//	frames:         "hello world!"       ""
//
// As the specification says, a length with a leading zero ("05:hello,") is
// malformed; so are a length that does not start with a digit or is not
// followed by ':', and a payload not followed by ','. Each gets
// *errs.MalformedFrameError at the offending byte. A length over Max is
// *errs.FrameTooLargeError once its ':' is seen, with Skip set so that a
// [Reader] that skips oversized frames discards it without buffering it.
//
// The zero value is ready to use. The methods have value receivers, so a
// literal such as frame.Netstring{Max: 1 << 20} is a [Codec].
type Netstring struct {
	// Max is the largest payload, in bytes. If zero, DefaultMaxFrame is
	// used.
	Max int
}

var (
	_ Limited   = Netstring{}
	_ sizer     = Netstring{}
	_ enveloper = Netstring{}
)

func (c Netstring) max() int { return maxOr(c.Max, DefaultMaxFrame, "Netstring") }

// MaxFrame returns Max plus room for the longest header and the ','.
func (c Netstring) MaxFrame() int { return c.max() + maxDecimalHeader + 1 }

// frame decodes the header at the start of data and returns the header's
// and the frame's full length, or zeros if data does not hold the whole
// header.
func (c Netstring) frame(data []byte) (hdr, n int, err error) {
	max := c.max()
	hdr, v, err := decimalHeader(data, ':', true, max, "frame.Netstring", "Netstring.Max")
	if err != nil || hdr == 0 {
		return 0, 0, err
	}
	if v > int64(max) {
		return 0, 0, declared(v, max, hdr, 1, "Netstring.Max")
	}
	return hdr, hdr + int(v) + 1, nil
}

func (c Netstring) frameLen(data []byte) int {
	_, n, _ := c.frame(data)
	return n
}

// Split decodes the netstring at the start of data and returns its
// payload.
func (c Netstring) Split(data []byte, atEOF bool) (advance int, token []byte, err error) {
	hdr, n, err := c.frame(data)
	if ok, err := whole(data, atEOF, hdr, n, err, "frame.Netstring.Split"); !ok {
		return 0, nil, err
	}
	if data[n-1] != ',' {
		return 0, nil, &errs.MalformedFrameError{Offset: int64(n - 1), Reason: "the payload must be followed by ','", Op: "frame.Netstring"}
	}
	return n, data[hdr : n-1], nil
}

// Append appends payload as a netstring to dst.
func (c Netstring) Append(dst, payload []byte) ([]byte, error) {
	out, trailer, err := c.envelope(dst, payload)
	return finish(dst, payload, out, trailer, err)
}

var comma = []byte(",")

func (c Netstring) envelope(dst, payload []byte) ([]byte, []byte, error) {
	if max := c.max(); len(payload) > max {
		return dst, nil, tooLarge(int64(len(payload)), max, "Netstring.Max")
	}
	dst = strconv.AppendInt(dst, int64(len(payload)), 10)
	return append(dst, ':'), comma, nil
}
