package frame

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/streamkit/streamkit/errs"
)

// KeepHeader is the [LengthPrefixed.Strip] that strips nothing: the
// payload is the whole frame, header included.
const KeepHeader = -1

// LengthPrefixed is the codec of frames whose header holds the length of
// what follows it, with the options of Netty's LengthFieldBasedFrameDecoder
// and tokio-util's LengthDelimitedCodec. The zero value is a 4-byte
// big-endian length followed by that many bytes of payload:
//
//	frame.LengthPrefixed{}
//	stream:  00 00 00 05 'h' 'e' 'l' 'l' 'o' 00 00 00 00
//	         +-----------+-------------------+-----------+
//	         |  len = 5  |      "hello"      |  len = 0  |
//	         +-----------+-------------------+-----------+
//	frames:              "hello"                         ""
//
// In general, a frame is Offset bytes of prefix, the Size-byte length
// field, and the rest, whose length is the field's value plus Adjust. The
// payload that Split returns is the frame without its first Strip bytes:
//
//	|<- Offset ->|<-- Size -->|<--- field value + Adjust --->|
//	+------------+------------+------------------------------+
//	|   prefix   |   length   |             rest             |
//	+------------+------------+------------------------------+
//	|<-------- Strip -------->|<--------- payload ---------->|  (Strip's default)
//
// Netty's javadoc examples map one to one. Its last one, a length field
// that counts the whole frame between a one-byte prefix and a one-byte
// header, with the prefix and length stripped:
//
//	frame.LengthPrefixed{Offset: 1, Size: 2, Adjust: -3, Strip: 3}
//	stream:   CA 00 10 FE "HELLO, WORLD"   (16 bytes; 0x10 = 16)
//	          +--+-----+--+--------------+
//	          |CA|00 10|FE|"HELLO, WORLD"|  rest = 16 - 3 = 13 bytes
//	          +--+-----+--+--------------+
//	payload:           FE "HELLO, WORLD"   (13 bytes)
//
// With Offset 1, a frame is a typed message: a type byte, the length, the
// body. PostgreSQL's messages are LengthPrefixed{Offset: 1, Size: 4,
// Adjust: -4}, the length counting itself:
//
//	stream:   'Z' 00 00 00 05 'I'
//	          +---+-----------+---+
//	          | Z |  len = 5  | I |  rest = 5 - 4 = 1 byte
//	          +---+-----------+---+
//	payload:  "I" (Strip's default), or "Z\x00\x00\x00\x05I" with Strip KeepHeader
//
// [Writer.WriteTyped] writes one from its type byte and body, and
// [Reader.NextTyped] reads one as its type byte and body, whatever Strip
// is.
//
// Split fails with *errs.FrameTooLargeError when the rest (field value plus
// Adjust) is over Max, from the header alone; the error's Skip is the
// frame's full length, so a [Reader] that skips oversized frames discards
// it without buffering it. A rest that would be negative, or a frame
// shorter than Strip, is *errs.MalformedFrameError at the length field's
// offset.
//
// Append takes a payload as Split returns it and builds the frame around
// it: it computes the length field, and writes as zeros the other bytes
// that Split strips (a prefix before the field, or the start of the rest
// when Strip goes past the field), since Split drops them anyway. When
// Strip keeps part of the header, the payload starts with those header
// bytes: Append copies the kept prefix bytes from it and writes the length
// field over the field's place (in dst; payload is not modified), so that
// Split(Append(p)) is p with its length field filled in. A payload whose
// length does not fit in the field, or whose field value would be negative,
// cannot be encoded.
//
// The methods have value receivers, so a literal such as
// frame.LengthPrefixed{Size: 2, Max: 1 << 10} is a [Codec]. Settings out of
// range (a Size other than 0, 1, 2, 3, 4 or 8, a negative Offset, a Strip
// below KeepHeader, a negative Max) panic when the codec is used.
type LengthPrefixed struct {
	// Size is the length field's size in bytes: 1, 2, 3, 4 or 8. If zero,
	// 4 is used.
	Size int
	// LittleEndian sets the length field's byte order. If false, it is
	// big-endian (network order).
	LittleEndian bool
	// Offset is the number of bytes before the length field (Netty's
	// lengthFieldOffset). They belong to the header. If zero, the frame
	// starts with the length field.
	Offset int
	// Adjust is added to the length field's value to get the number of
	// bytes after the field (Netty's lengthAdjustment): -Offset-Size when
	// the field counts the whole frame, the size of an extra header when
	// the field counts only what follows that header. It may be negative.
	// If zero, the field counts the bytes after it.
	Adjust int
	// Strip is the number of bytes removed from the start of each frame to
	// make the payload (Netty's initialBytesToStrip). If zero, Offset+Size
	// is used: the payload is what follows the length field. KeepHeader
	// removes nothing.
	Strip int
	// Max is the most bytes the rest of a frame (after the length field)
	// may have. If zero, DefaultMaxFrame is used.
	Max int
}

var (
	_ Limited   = LengthPrefixed{}
	_ enveloper = LengthPrefixed{}
	_ compiler  = LengthPrefixed{}

	_ interface {
		compileAppend() func(dst, payload []byte) ([]byte, error)
	} = LengthPrefixed{}
)

// lp is a LengthPrefixed with its defaults applied and checked.
type lp struct {
	size   int   // the length field's size
	off    int   // where the field starts
	hdr    int   // where the field ends: off + size
	strip  int   // bytes stripped from each frame
	adj    int64 // Adjust
	max    int   // Max, or its default
	little bool
}

func (c LengthPrefixed) params() lp {
	var p lp
	c.fill(&p)
	return p
}

// fill sets p from c. (Filling in place is much cheaper than returning the
// struct on the hot path.)
func (c *LengthPrefixed) fill(p *lp) {
	*p = lp{size: c.Size, off: c.Offset, strip: c.Strip, adj: int64(c.Adjust), little: c.LittleEndian}
	switch p.size {
	case 0:
		p.size = 4
	case 1, 2, 3, 4, 8:
	default:
		panic(fmt.Sprintf("frame: LengthPrefixed.Size is %d, want 1, 2, 3, 4 or 8", c.Size))
	}
	if p.off < 0 || p.off > maxInt {
		panic("frame: LengthPrefixed.Offset is out of range")
	}
	p.hdr = p.off + p.size
	switch {
	case p.strip == 0:
		p.strip = p.hdr
	case p.strip == KeepHeader:
		p.strip = 0
	case p.strip < KeepHeader || p.strip > maxInt:
		panic("frame: LengthPrefixed.Strip is out of range")
	}
	p.max = maxOr(c.Max, DefaultMaxFrame, "LengthPrefixed")
}

// capacity returns the largest rest (field value plus Adjust) that the
// field can declare, at most the largest int64; it is negative if the
// field cannot declare any rest (Adjust below minus the field's largest
// value).
func (p *lp) capacity() int64 {
	top := int64(math.MaxInt64) // the largest value decoded as a length
	if p.size < 8 {
		top = int64(1)<<(8*p.size) - 1
	}
	if p.adj > 0 && top > math.MaxInt64-p.adj {
		return math.MaxInt64
	}
	return top + p.adj
}

// maxRest returns the largest rest the codec accepts: Max, or less if the
// field cannot declare Max.
func (p *lp) maxRest() int {
	return int(max(min(int64(p.max), p.capacity()), 0))
}

// restSetting names the setting that maxRest comes from: Max, or Size when
// the field cannot declare Max.
func (p *lp) restSetting() string {
	if p.capacity() < int64(p.max) {
		return "LengthPrefixed.Size"
	}
	return "LengthPrefixed.Max"
}

// opLP names LengthPrefixed in the errors it finds.
const opLP = "frame.LengthPrefixed"

func (p *lp) field(b []byte) uint64 {
	switch p.size {
	case 1:
		return uint64(b[0])
	case 2:
		if p.little {
			return uint64(binary.LittleEndian.Uint16(b))
		}
		return uint64(binary.BigEndian.Uint16(b))
	case 3:
		if p.little {
			return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16
		}
		return uint64(b[2]) | uint64(b[1])<<8 | uint64(b[0])<<16
	case 4:
		if p.little {
			return uint64(binary.LittleEndian.Uint32(b))
		}
		return uint64(binary.BigEndian.Uint32(b))
	}
	if p.little {
		return binary.LittleEndian.Uint64(b)
	}
	return binary.BigEndian.Uint64(b)
}

func (p *lp) putField(b []byte, v uint64) {
	switch p.size {
	case 1:
		b[0] = byte(v)
	case 2:
		if p.little {
			binary.LittleEndian.PutUint16(b, uint16(v))
		} else {
			binary.BigEndian.PutUint16(b, uint16(v))
		}
	case 3:
		if p.little {
			b[0], b[1], b[2] = byte(v), byte(v>>8), byte(v>>16)
		} else {
			b[0], b[1], b[2] = byte(v>>16), byte(v>>8), byte(v)
		}
	case 4:
		if p.little {
			binary.LittleEndian.PutUint32(b, uint32(v))
		} else {
			binary.BigEndian.PutUint32(b, uint32(v))
		}
	default:
		if p.little {
			binary.LittleEndian.PutUint64(b, v)
		} else {
			binary.BigEndian.PutUint64(b, v)
		}
	}
}

// frameLen decodes the header at the start of data, which holds at least
// p.hdr bytes, and returns the frame's full length.
func (p *lp) frameLen(data []byte) (int, error) {
	var v uint64
	if b := data[p.off:p.hdr]; p.size == 4 && !p.little {
		v = uint64(binary.BigEndian.Uint32(b)) // the common case, inlined
	} else {
		v = p.field(b)
	}
	if v > math.MaxInt64 || p.adj > 0 && int64(v) > math.MaxInt64-p.adj {
		return 0, beyondInt64(p.max, "LengthPrefixed.Max")
	}
	rest := int64(v) + p.adj
	if rest < 0 {
		return 0, &errs.MalformedFrameError{Offset: int64(p.off), Op: opLP, Reason: fmt.Sprintf(
			"the length field's value %d plus Adjust %d is negative", v, p.adj)}
	}
	if rest > int64(p.max) {
		return 0, declared(rest, p.max, p.hdr, 0, "LengthPrefixed.Max")
	}
	n := p.hdr + int(rest)
	if p.strip > n {
		return 0, &errs.MalformedFrameError{Offset: int64(p.off), Op: opLP, Reason: fmt.Sprintf(
			"the frame of %d bytes is shorter than Strip, %d bytes", n, p.strip)}
	}
	return n, nil
}

// MaxFrame returns Offset+Size plus the largest rest the codec accepts.
func (c LengthPrefixed) MaxFrame() int {
	p := c.params()
	return max(p.hdr+p.maxRest(), p.strip, 1)
}

// headerLen is what a Reader's sizer needs: the frame's full length, or 0
// when the header is not whole or not valid.
func (p *lp) headerLen(data []byte) int {
	if len(data) < p.hdr {
		return 0
	}
	n, err := p.frameLen(data)
	if err != nil {
		return 0
	}
	return n
}

// Split decodes the frame at the start of data and returns its payload.
func (c LengthPrefixed) Split(data []byte, atEOF bool) (advance int, token []byte, err error) {
	var p lp
	c.fill(&p)
	return p.split(data, atEOF)
}

// compile returns Split and frameLen with the settings decoded once.
func (c LengthPrefixed) compile() (func([]byte, bool) (int, []byte, error), func([]byte) int) {
	if c == (LengthPrefixed{}) {
		return lpZeroSplit, lpZeroLen
	}
	p := c.params()
	return p.split, p.headerLen
}

// lpZeroSplit and lpZeroLen are the compiled zero LengthPrefixed, the
// common codec: every Reader with it shares them rather than holding its
// own (a server holds one Reader per connection).
var lpZeroSplit, lpZeroLen = func() (func([]byte, bool) (int, []byte, error), func([]byte) int) {
	p := LengthPrefixed{}.params()
	return p.split, p.headerLen
}()

func (p *lp) split(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if len(data) < p.hdr {
		if atEOF && len(data) > 0 {
			return 0, nil, incomplete(data, -1, "frame.LengthPrefixed.Split")
		}
		return 0, nil, nil
	}
	n, err := p.frameLen(data)
	if err != nil {
		return 0, nil, err
	}
	if len(data) < n {
		if atEOF {
			return 0, nil, incomplete(data, n, "frame.LengthPrefixed.Split")
		}
		return 0, nil, nil
	}
	return n, data[p.strip:n], nil
}

// encodeLen returns the rest (field value plus Adjust) of the frame whose
// payload has n bytes, and the field's value.
func (p *lp) encodeLen(n int) (rest int, v uint64, err error) {
	if p.capacity() < 0 {
		return 0, 0, fmt.Errorf("%w: LengthPrefixed: a %d-byte length field plus Adjust %d declares no frame",
			ErrInvalidPayload, p.size, p.adj)
	}
	if p.strip <= p.hdr {
		kept := p.hdr - p.strip // header bytes at the start of the payload
		if n < kept {
			return 0, 0, fmt.Errorf("%w: LengthPrefixed: payload of %d bytes is shorter than the %d header bytes it starts with",
				ErrInvalidPayload, n, kept)
		}
		rest = n - kept
	} else {
		if n > maxInt {
			return 0, 0, tooLarge(int64(n), p.maxRest(), p.restSetting())
		}
		rest = n + p.strip - p.hdr
	}
	if rest > p.maxRest() {
		return 0, 0, tooLarge(int64(rest), p.maxRest(), p.restSetting())
	}
	if int64(rest) < p.adj {
		return 0, 0, fmt.Errorf("%w: LengthPrefixed: a rest of %d bytes minus Adjust %d is negative",
			ErrInvalidPayload, rest, p.adj)
	}
	return rest, uint64(int64(rest) - p.adj), nil
}

// Append builds a frame around payload, as Split returns it, and appends
// it to dst.
func (c LengthPrefixed) Append(dst, payload []byte) ([]byte, error) {
	if c.Size == 0 && c.Offset == 0 && c.Adjust == 0 && c.Strip == 0 && !c.LittleEndian &&
		c.Max >= 0 && len(payload) <= maxOr(c.Max, DefaultMaxFrame, "LengthPrefixed") &&
		uint64(len(payload)) <= math.MaxUint32 {
		// The default framing: a 4-byte big-endian length, the payload.
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(payload)))
		return append(dst, payload...), nil
	}
	var p lp
	c.fill(&p)
	return p.append(dst, payload)
}

// compileAppend returns Append with the settings decoded once.
func (c LengthPrefixed) compileAppend() func(dst, payload []byte) ([]byte, error) {
	p := c.params()
	if p.off != 0 || p.size != 4 || p.little || p.adj != 0 || p.strip != 4 {
		return p.append
	}
	max := p.maxRest()
	return func(dst, payload []byte) ([]byte, error) {
		if len(payload) > max {
			return dst, tooLarge(int64(len(payload)), max, p.restSetting())
		}
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(payload)))
		return append(dst, payload...), nil
	}
}

func (p *lp) append(dst, payload []byte) ([]byte, error) {
	rest, v, err := p.encodeLen(len(payload))
	if err != nil {
		return dst, err
	}
	n := p.hdr + rest
	start := len(dst)
	dst = slices.Grow(dst, n)[:start+n]
	f := dst[start:]
	clear(f[:p.strip])
	copy(f[p.strip:], payload)
	p.putField(f[p.off:p.hdr], v)
	return dst, nil
}

// envelope serves the settings where the payload is the frame after its
// first Strip bytes, all of which Append computes.
func (c LengthPrefixed) envelope(dst, payload []byte) ([]byte, []byte, error) {
	p := c.params()
	if p.strip < p.hdr {
		return dst, nil, errNoEnvelope
	}
	_, v, err := p.encodeLen(len(payload))
	if err != nil {
		return dst, nil, err
	}
	start := len(dst)
	dst = slices.Grow(dst, p.strip)[:start+p.strip]
	h := dst[start:]
	clear(h)
	p.putField(h[p.off:p.hdr], v)
	return dst, nil, nil
}

var _ typed = LengthPrefixed{}

func (c LengthPrefixed) typedFrame(data []byte, atEOF bool) (hdr, n int, err error) {
	var p lp
	c.fill(&p)
	if p.off != 1 {
		return 0, 0, ErrNotTyped
	}
	p.strip = 0 // KeepHeader: the frame is whole
	n, _, err = p.split(data, atEOF)
	if n == 0 {
		return 0, 0, err
	}
	return p.hdr, n, nil
}

func (c LengthPrefixed) typedHeader(dst []byte, typ byte, n int) ([]byte, error) {
	var p lp
	c.fill(&p)
	if p.off != 1 {
		return dst, ErrNotTyped
	}
	// The body is the rest: what follows the length field.
	p.strip = p.hdr
	_, v, err := p.encodeLen(n)
	if err != nil {
		return dst, err
	}
	start := len(dst)
	dst = slices.Grow(dst, p.hdr)[:start+p.hdr]
	dst[start] = typ
	p.putField(dst[start+1:], v)
	return dst, nil
}

func (c LengthPrefixed) appendTyped(dst []byte, typ byte, body []byte) ([]byte, error) {
	out, err := c.typedHeader(dst, typ, len(body))
	if err != nil {
		return dst, err
	}
	return append(out, body...), nil
}
