package frame

import (
	"bytes"
	"fmt"
	"strconv"
)

// OctetCounting is the codec of syslog over TCP (RFC 6587): with octet
// counting (section 3.4.1), each message is its length in decimal ASCII, a
// space, the message.
//
//	TCP-DATA     = *SYSLOG-FRAME
//	SYSLOG-FRAME = MSG-LEN SP SYSLOG-MSG
//	MSG-LEN      = NONZERO-DIGIT *DIGIT
//
//	frame.OctetCounting{}
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
// # Non-transparent framing
//
// With NonTransparent set, Split also accepts the framing that `logger`
// and rsyslog send over TCP by default, non-transparent framing (section
// 3.4.2): the message, then an LF.
//
//	SYSLOG-FRAME = SYSLOG-MSG TRAILER
//	TRAILER      = LF
//
// It tells the two apart frame by frame, as rsyslog's imtcp does: a frame
// that starts with a digit is octet-counted, any other ends at the next LF.
// (A syslog message starts with '<', its PRI; a non-transparent message that
// starts with a digit is read as an octet count.) The payload is the bytes
// before the LF: a CR before it is kept, and an empty message (an LF where a
// frame starts) is skipped, as rsyslog skips it. At the end of the stream,
// a non-transparent message without its LF is a frame, as rsyslog takes it
// (an octet-counted one cut short is *errs.IncompleteReadError).
//
//	frame.OctetCounting{NonTransparent: true}
//	stream:  1 1 SP < 3 4 > 1 SP h e l l o < 1 > 1 SP x LF LF < 2 > y <EOF>
//	         +----+--+-------------+--------+--+--+-----+
//	         | 11 |SP|"<34>1 hello"|"<1>1 x"|LF|LF|"<2>y"|
//	         +----+--+-------------+--------+--+--+-----+
//	frames:          "<34>1 hello"  "<1>1 x"        "<2>y"
//
// A non-transparent message longer than Max fails with
// *errs.FrameTooLargeError as soon as Max+1 bytes of it are seen without an
// LF (Size Max+1, AtLeast set). OctetCounting is a [Resyncer] for those: a
// Reader that skips oversized frames discards through the next LF. Their
// default maximum is that of the codecs that end frames with a separator,
// [DefaultMaxDelimited].
//
// Append writes octet counting, with NonTransparent set or not: it frames
// any message, LFs included, and a receiver that tells the framings apart
// per frame reads it. To write non-transparent framing, use [Lines] (with
// payloads that hold no LF).
//
// The zero value is ready to use. The methods have value receivers, so a
// literal such as frame.OctetCounting{Max: 64 << 10} is a [Codec].
type OctetCounting struct {
	// Max is the largest message, in bytes. If zero, DefaultMaxFrame is
	// used for octet-counted messages, and DefaultMaxDelimited for
	// non-transparent ones; a Max that is set applies to both.
	Max int
	// NonTransparent makes Split accept non-transparent framing too: a
	// frame that does not start with a digit ends at the next LF. If
	// false, such a frame is malformed. Append is the same either way.
	NonTransparent bool
}

var (
	_ Limited       = OctetCounting{}
	_ sizer         = OctetCounting{}
	_ enveloper     = OctetCounting{}
	_ Resyncer      = OctetCounting{}
	_ lateDelimiter = OctetCounting{}
)

func (c OctetCounting) max() int { return maxOr(c.Max, DefaultMaxFrame, "OctetCounting") }

// ntMax is the largest non-transparent message.
func (c OctetCounting) ntMax() int { return maxOr(c.Max, DefaultMaxDelimited, "OctetCounting") }

// MaxFrame returns Max plus room for the longest header. (A
// non-transparent frame takes at most Max plus its LF.)
func (c OctetCounting) MaxFrame() int { return c.max() + maxDecimalHeader }

// nonTransparent reports whether the frame at the start of data, which
// holds at least a byte, ends with an LF.
func (c OctetCounting) nonTransparent(data []byte) bool {
	return c.NonTransparent && (data[0] < '0' || data[0] > '9')
}

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
	if len(data) > 0 && c.nonTransparent(data) {
		return 0 // it ends at an LF
	}
	_, n, _ := c.frame(data)
	return n
}

// frameSeps returns the separator of a non-transparent frame.
func (c OctetCounting) frameSeps(data []byte) [][]byte {
	if len(data) > 0 && c.nonTransparent(data) {
		return lfSeps
	}
	return nil
}

// Split decodes the frame at the start of data and returns its message.
func (c OctetCounting) Split(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if len(data) > 0 && c.nonTransparent(data) {
		return splitNonTransparent(data, atEOF, c.ntMax())
	}
	hdr, n, err := c.frame(data)
	if ok, err := whole(data, atEOF, hdr, n, err, "frame.OctetCounting.Split"); !ok {
		return 0, nil, err
	}
	return n, data[hdr:n], nil
}

// splitNonTransparent returns the message before the first LF. It looks
// at no more than max+1 bytes of data.
func splitNonTransparent(data []byte, atEOF bool, max int) (advance int, token []byte, err error) {
	if data[0] == '\n' {
		// Empty messages: skip them all at once.
		n := 1
		for n < len(data) && data[n] == '\n' {
			n++
		}
		return n, nil, nil
	}
	window := data[:min(len(data), max+1)]
	if i := bytes.IndexByte(window, '\n'); i >= 0 {
		return i + 1, data[:i], nil
	}
	if len(window) > max {
		return 0, nil, tooLong(max, "OctetCounting.Max")
	}
	if atEOF {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// Resync serves a [Reader] that skips oversized frames, for the frames it
// cannot skip by their count. With NonTransparent, those are the
// non-transparent messages over Max and the octet counts too large for a
// Skip (a frame of more than 2^63-1 bytes): Resync discards through the
// next LF. Without it, only such a count: the frame it declares runs past
// the end of any stream, and Resync discards to the end.
func (c OctetCounting) Resync(data []byte, atEOF bool) (advance int, done bool) {
	if c.NonTransparent {
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			return i + 1, true
		}
	}
	return len(data), atEOF
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
