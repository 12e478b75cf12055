package frame

import (
	"fmt"
	"strconv"
)

// OctetCounting is the codec of syslog over TCP with octet counting (RFC
// 6587, section 3.4.1): the message's length in decimal ASCII, a space,
// the message.
//
//	TCP-DATA     = *SYSLOG-FRAME
//	SYSLOG-FRAME = MSG-LEN SP SYSLOG-MSG
//	MSG-LEN      = NONZERO-DIGIT *DIGIT
//
//	stream:  1 1 SP < 3 4 > 1 SP h e l l o 6 SP < 1 > 1 SP x
//	         +----+--+-------------+---+--+--------+
//	         | 11 |SP|"<34>1 hello"| 6 |SP|"<1>1 x"|
//	         +----+--+-------------+---+--+--------+
//	frames:          "<34>1 hello"         "<1>1 x"
//
// MSG-LEN starts with a non-zero digit, so a message is never empty and a
// length starting with '0' is malformed, as are a length that does not
// start with a digit or is not followed by a space: each gets
// *errs.MalformedFrameError at the offending byte. A length over Max is
// *errs.FrameTooLargeError once its space is seen, with Skip set so that a
// [Reader] that skips oversized frames discards it without buffering it.
//
// The zero value is ready to use. The methods have value receivers, so a
// literal such as frame.OctetCounting{Max: 64 << 10} is a [Codec].
type OctetCounting struct {
	// Max is the largest message, in bytes. If zero, DefaultMaxFrame is
	// used.
	Max int
}

var (
	_ Limited   = OctetCounting{}
	_ sizer     = OctetCounting{}
	_ enveloper = OctetCounting{}
)

func (c OctetCounting) max() int { return maxOr(c.Max, DefaultMaxFrame, "OctetCounting") }

// MaxFrame returns Max plus room for the longest header.
func (c OctetCounting) MaxFrame() int { return c.max() + maxDecimalHeader }

// frame decodes the header at the start of data and returns the header's
// and the frame's full length, or zeros if data does not hold the whole
// header.
func (c OctetCounting) frame(data []byte) (hdr, n int, err error) {
	max := c.max()
	hdr, v, err := decimalHeader(data, ' ', false, max, "frame.OctetCounting", "OctetCounting.Max")
	if err != nil || hdr == 0 {
		return 0, 0, err
	}
	if v > int64(max) {
		return 0, 0, declared(v, max, hdr, 0, "OctetCounting.Max")
	}
	return hdr, hdr + int(v), nil
}

func (c OctetCounting) frameLen(data []byte) int {
	_, n, _ := c.frame(data)
	return n
}

// Split decodes the frame at the start of data and returns its message.
func (c OctetCounting) Split(data []byte, atEOF bool) (advance int, token []byte, err error) {
	hdr, n, err := c.frame(data)
	if ok, err := whole(data, atEOF, hdr, n, err, "frame.OctetCounting.Split"); !ok {
		return 0, nil, err
	}
	return n, data[hdr:n], nil
}

// Append appends the length, a space and payload to dst. An empty payload
// cannot be encoded (MSG-LEN is at least 1).
func (c OctetCounting) Append(dst, payload []byte) ([]byte, error) {
	out, trailer, err := c.envelope(dst, payload)
	return finish(dst, payload, out, trailer, err)
}

func (c OctetCounting) envelope(dst, payload []byte) ([]byte, []byte, error) {
	if max := c.max(); len(payload) > max {
		return dst, nil, tooLarge(int64(len(payload)), max, "OctetCounting.Max")
	}
	if len(payload) == 0 {
		return dst, nil, fmt.Errorf("%w: OctetCounting: a message cannot be empty", ErrInvalidPayload)
	}
	dst = strconv.AppendInt(dst, int64(len(payload)), 10)
	return append(dst, ' '), nil, nil
}
