package frame

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/streamkit/streamkit/errs"
)

// Uvarint is the codec of frames whose header is the payload's length as
// an unsigned varint (protobuf's base-128 varint, [binary.AppendUvarint]):
// seven bits per byte, least significant group first, the high bit set on
// every byte but the last. This is how protobuf delimits a stream of
// messages (writeDelimitedTo, parseDelimitedFrom).
//
//	frame.Uvarint{}
//	stream:  03 'a' 'b' 'c' 96 01 <150 bytes> 00
//	         +--+-----------+-----+-----------+--+
//	         |03|   "abc"   |96 01| 150 bytes |00|
//	         +--+-----------+-----+-----------+--+
//	frames:      "abc"             150 bytes     ""
//
//	varint 96 01 = 0x16 + 0x01<<7 = 22 + 128 = 150
//
// Offset bytes may come before the varint; they belong to the header. With
// Offset 1 this is MQTT's fixed header (MQTT 3.1.1, section 2.2): a byte of
// packet type and flags, then the "remaining length" varint, which counts
// the bytes after it. A PUBLISH of "hello" to topic "a/b", then a PINGREQ:
//
//	frame.Uvarint{Offset: 1, Strip: frame.KeepHeader}
//	stream:  30 0a 00 03 'a' '/' 'b' 'h' 'e' 'l' 'l' 'o' c0 00
//	         +--+--+-----------------------------------+--+--+
//	         |30|0a| 00 03 "a/b" "hello"   (10 bytes)  |c0|00|
//	         +--+--+-----------------------------------+--+--+
//	frames:  30 0a 00 03 "a/b" "hello"                  c0 00
//
// The payload is the frame without its first Strip bytes: by default
// without the header (the Offset bytes and the varint), 00 03 "a/b"
// "hello" and "" above; with Strip KeepHeader, the whole frame, as shown.
// (To read a type byte and a body without keeping the header, see
// [Reader.NextTyped].) MQTT's remaining length takes one to four bytes:
//
//	remaining length          varint
//	0 to 127                  00 to 7f
//	128 to 16 383             80 01 to ff 7f
//	16 384 to 2 097 151       80 80 01 to ff ff 7f
//	2 097 152 to 268 435 455  80 80 80 01 to ff ff ff 7f
//
// so an MQTT reader sets MaxLen to 4, and Max to at most 268435455: a
// varint that would take a fifth byte is then *errs.MalformedFrameError.
// (Split accepts a varint longer than it need be, 80 00 for 0, as protobuf
// does and MQTT tolerates within its four bytes; Append writes the
// shortest.)
//
//	frame.Uvarint{Offset: 1, MaxLen: 4, Max: 268435455}   (MQTT 3.1.1)
//
// A varint that runs past MaxLen bytes (10 if unset) or over 64 bits is
// *errs.MalformedFrameError; a length over Max is *errs.FrameTooLargeError,
// from the header alone, with Skip set so that a [Reader] that skips
// oversized frames discards it without buffering it.
//
// Append takes a payload as Split returns it. By default it writes the
// header around it: Offset zero bytes (the prefix is stripped anyway) and
// the payload's length. When Strip keeps the header or part of it, the
// payload must be a frame as Split returns it (its kept prefix bytes, a
// varint, and as many bytes as the varint says); Append writes it as it is,
// after Strip zero bytes, and returns an error wrapping ErrInvalidPayload
// for a payload that is not such a frame.
//
// The zero value is ready to use. The methods have value receivers, so a
// literal such as frame.Uvarint{Max: 1 << 20} is a [Codec]. Settings out of
// range (a negative Offset or Max, a Strip below KeepHeader or past Offset)
// panic when the codec is used.
type Uvarint struct {
	// Offset is the number of bytes before the varint (MQTT's fixed
	// header has one). They belong to the header. If zero, the frame
	// starts with the varint.
	Offset int
	// Strip is the number of bytes removed from the start of each frame to
	// make the payload. It counts prefix bytes: it may be at most Offset,
	// since the varint's length varies. If zero, the whole header is
	// removed, the Offset bytes and the varint. KeepHeader removes nothing.
	Strip int
	// Max is the largest length the varint may declare: the most bytes
	// after it. If zero, DefaultMaxFrame is used.
	Max int
	// MaxLen is the most bytes the varint may take, 1 to 10. A varint
	// that runs longer, even one that is only longer than it need be (80
	// 80 80 80 00 for 0), is *errs.MalformedFrameError, and a length that
	// MaxLen bytes cannot hold is over the maximum: the maximum is Max or
	// 2^(7*MaxLen)-1, whichever is less, and a FrameTooLargeError names
	// the field it comes from. If zero, 10 (binary.MaxVarintLen64, the
	// longest protobuf varint). MQTT's remaining length takes at most 4.
	MaxLen int
}

var (
	_ Limited   = Uvarint{}
	_ sizer     = Uvarint{}
	_ enveloper = Uvarint{}
	_ compiler  = Uvarint{}
)

// uv is a Uvarint with its defaults applied and checked.
type uv struct {
	off     int // bytes before the varint
	strip   int // bytes stripped, or -1: the whole header
	max     int
	maxLen  int    // the longest varint, 1 to 10
	setting string // the field max comes from, "Uvarint.Max" or "Uvarint.MaxLen"
}

func (c Uvarint) params() uv {
	p := uv{off: c.Offset, strip: c.Strip, max: maxOr(c.Max, DefaultMaxFrame, "Uvarint"),
		maxLen: c.MaxLen, setting: "Uvarint.Max"}
	if p.off < 0 || p.off > maxInt {
		panic("frame: Uvarint.Offset is out of range")
	}
	switch {
	case p.maxLen == 0:
		p.maxLen = binary.MaxVarintLen64
	case p.maxLen < 0 || p.maxLen > binary.MaxVarintLen64:
		panic(fmt.Sprintf("frame: Uvarint.MaxLen is %d, want 0 or 1 to 10", c.MaxLen))
	}
	if p.maxLen < 9 {
		if most := 1<<(7*p.maxLen) - 1; p.max > most {
			p.max, p.setting = most, "Uvarint.MaxLen"
		}
	}
	switch {
	case p.strip == 0:
		p.strip = -1
	case p.strip == KeepHeader:
		p.strip = 0
	case p.strip < KeepHeader || p.strip > p.off:
		panic(fmt.Sprintf("frame: Uvarint.Strip is %d, want 0, KeepHeader, or 1 to Offset (%d)", c.Strip, c.Offset))
	}
	return p
}

// MaxFrame returns Offset plus MaxLen, the longest varint (Split accepts
// varints longer than they need be), plus the maximum length.
func (c Uvarint) MaxFrame() int {
	p := c.params()
	return p.off + p.maxLen + p.max
}

// frame decodes the header at the start of data and returns the header's
// and the frame's full length, or zeros if data does not hold the whole
// header.
func (p *uv) frame(data []byte) (hdr, n int, err error) {
	if len(data) <= p.off {
		return 0, 0, nil
	}
	v, k, err := uvarint(data[p.off:], p.maxLen)
	if err != nil || k == 0 {
		if e, ok := err.(*errs.MalformedFrameError); ok {
			e.Offset += int64(p.off)
		}
		return 0, 0, err
	}
	hdr = p.off + k
	if v > uint64(p.max) {
		if v > math.MaxInt64 {
			return 0, 0, beyondInt64(p.max, p.setting)
		}
		return 0, 0, declared(int64(v), p.max, hdr, 0, p.setting)
	}
	return hdr, hdr + int(v), nil
}

// uvarint decodes the varint of at most maxLen bytes at the start of b:
// its value and length, or a zero length if b does not hold all of it.
func uvarint(b []byte, maxLen int) (v uint64, n int, err error) {
	for i := 0; i < len(b) && i < maxLen; i++ {
		c := b[i]
		if i == binary.MaxVarintLen64-1 && c > 1 {
			return 0, 0, &errs.MalformedFrameError{Offset: int64(i), Reason: "the varint runs past 10 bytes or over 64 bits", Op: "frame.Uvarint"}
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, i + 1, nil
		}
	}
	if len(b) >= maxLen && maxLen < binary.MaxVarintLen64 {
		return 0, 0, &errs.MalformedFrameError{Offset: int64(maxLen - 1),
			Reason: fmt.Sprintf("the varint runs past %d %s (Uvarint.MaxLen)", maxLen, plural(maxLen, "byte")), Op: "frame.Uvarint"}
	}
	return 0, 0, nil
}

func (p *uv) frameLen(data []byte) int {
	_, n, _ := p.frame(data)
	return n
}

func (c Uvarint) frameLen(data []byte) int {
	p := c.params()
	return p.frameLen(data)
}

// Split decodes the frame at the start of data and returns its payload.
func (c Uvarint) Split(data []byte, atEOF bool) (advance int, token []byte, err error) {
	p := c.params()
	return p.split(data, atEOF)
}

// compile returns Split and frameLen with the settings decoded once.
func (c Uvarint) compile() (func([]byte, bool) (int, []byte, error), func([]byte) int) {
	p := c.params()
	return p.split, p.frameLen
}

func (p *uv) split(data []byte, atEOF bool) (advance int, token []byte, err error) {
	hdr, n, err := p.frame(data)
	if ok, err := whole(data, atEOF, hdr, n, err, "frame.Uvarint.Split"); !ok {
		return 0, nil, err
	}
	if p.strip >= 0 {
		return n, data[p.strip:n], nil
	}
	return n, data[hdr:n], nil
}

// Append builds the frame of payload, as Split returns it, and appends it
// to dst.
func (c Uvarint) Append(dst, payload []byte) ([]byte, error) {
	out, trailer, err := c.envelope(dst, payload)
	return finish(dst, payload, out, trailer, err)
}

func (c Uvarint) envelope(dst, payload []byte) ([]byte, []byte, error) {
	p := c.params()
	if p.strip < 0 {
		if len(payload) > p.max {
			return dst, nil, tooLarge(int64(len(payload)), p.max, p.setting)
		}
		dst = append(dst, make([]byte, p.off)...)
		return binary.AppendUvarint(dst, uint64(len(payload))), nil, nil
	}
	if err := p.checkKept(payload); err != nil {
		return dst, nil, err
	}
	return append(dst, make([]byte, p.strip)...), nil, nil
}

// checkKept checks that payload is a frame as Split returns it when Strip
// keeps the varint: the kept prefix bytes, a varint, and that many bytes.
func (p *uv) checkKept(payload []byte) error {
	kept := p.off - p.strip
	if len(payload) <= kept {
		return fmt.Errorf("%w: Uvarint: payload of %d bytes does not reach past the %d prefix bytes it starts with to a varint",
			ErrInvalidPayload, len(payload), kept)
	}
	v, k, err := uvarint(payload[kept:], p.maxLen)
	if err != nil || k == 0 {
		return fmt.Errorf("%w: Uvarint: payload has no valid varint after its %d prefix bytes", ErrInvalidPayload, kept)
	}
	rest := len(payload) - kept - k
	if rest > p.max {
		return tooLarge(int64(rest), p.max, p.setting)
	}
	if v != uint64(rest) {
		return fmt.Errorf("%w: Uvarint: the payload's varint says %d bytes, and %d follow it", ErrInvalidPayload, v, rest)
	}
	return nil
}

var _ typed = Uvarint{}

func (c Uvarint) typedFrame(data []byte, atEOF bool) (hdr, n int, err error) {
	p := c.params()
	if p.off != 1 {
		return 0, 0, ErrNotTyped
	}
	hdr, n, err = p.frame(data)
	if ok, err := whole(data, atEOF, hdr, n, err, "frame.Uvarint.Split"); !ok {
		return 0, 0, err
	}
	return hdr, n, nil
}

func (c Uvarint) typedHeader(dst []byte, typ byte, n int) ([]byte, error) {
	p := c.params()
	if p.off != 1 {
		return dst, ErrNotTyped
	}
	if n > p.max {
		return dst, tooLarge(int64(n), p.max, p.setting)
	}
	return binary.AppendUvarint(append(dst, typ), uint64(n)), nil
}

func (c Uvarint) appendTyped(dst []byte, typ byte, body []byte) ([]byte, error) {
	out, err := c.typedHeader(dst, typ, len(body))
	if err != nil {
		return dst, err
	}
	return append(out, body...), nil
}

// plural returns word, with an s unless n is 1.
func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
