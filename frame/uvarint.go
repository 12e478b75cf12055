package frame

import (
	"encoding/binary"
	"math"

	"github.com/streamkit/streamkit/errs"
)

// Uvarint is the codec of frames whose header is the payload's length as
// an unsigned varint (protobuf's base-128 varint, [binary.AppendUvarint]):
// seven bits per byte, least significant group first, the high bit set on
// every byte but the last. This is how protobuf delimits a stream of
// messages (writeDelimitedTo, parseDelimitedFrom).
//
//	stream:  03 'a' 'b' 'c' 96 01 <150 bytes> 00
//	         +--+-----------+-----+-----------+--+
//	         |03|   "abc"   |96 01| 150 bytes |00|
//	         +--+-----------+-----+-----------+--+
//	frames:      "abc"             150 bytes     ""
//
//	varint 96 01 = 0x16 + 0x01<<7 = 22 + 128 = 150
//
// A varint that runs past 10 bytes or over 64 bits is
// *errs.MalformedFrameError; a length over Max is *errs.FrameTooLargeError,
// from the header alone, with Skip set so that a [Reader] that skips
// oversized frames discards it without buffering it. Split accepts
// varints that are longer than they need be (80 00 for 0), as protobuf
// does; Append writes the shortest.
//
// The zero value is ready to use. The methods have value receivers, so a
// literal such as frame.Uvarint{Max: 1 << 20} is a [Codec].
type Uvarint struct {
	// Max is the largest payload, in bytes. If zero, DefaultMaxFrame is
	// used.
	Max int
}

var (
	_ Limited   = Uvarint{}
	_ sizer     = Uvarint{}
	_ enveloper = Uvarint{}
)

func (c Uvarint) max() int { return maxOr(c.Max, DefaultMaxFrame, "Uvarint") }

// MaxFrame returns Max plus 10, the longest varint: Split accepts varints
// longer than they need be.
func (c Uvarint) MaxFrame() int { return c.max() + binary.MaxVarintLen64 }

// frame decodes the header at the start of data and returns the header's
// and the frame's full length, or zeros if data does not hold the whole
// varint.
func (c Uvarint) frame(data []byte) (hdr, n int, err error) {
	var v uint64
	for i := 0; i < len(data) && i < binary.MaxVarintLen64; i++ {
		b := data[i]
		if i == binary.MaxVarintLen64-1 && b > 1 {
			return 0, 0, &errs.MalformedFrameError{Offset: int64(i), Reason: "the varint runs past 10 bytes or over 64 bits", Op: "frame.Uvarint"}
		}
		v |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			n := i + 1
			if max := c.max(); v > uint64(max) {
				if v > math.MaxInt64 {
					return 0, 0, beyondInt64(max, "Uvarint.Max")
				}
				return 0, 0, declared(int64(v), max, n, 0, "Uvarint.Max")
			}
			return n, n + int(v), nil
		}
	}
	return 0, 0, nil
}

func (c Uvarint) frameLen(data []byte) int {
	_, n, _ := c.frame(data)
	return n
}

// Split decodes the frame at the start of data and returns its payload.
func (c Uvarint) Split(data []byte, atEOF bool) (advance int, token []byte, err error) {
	hdr, n, err := c.frame(data)
	if ok, err := whole(data, atEOF, hdr, n, err, "frame.Uvarint.Split"); !ok {
		return 0, nil, err
	}
	return n, data[hdr:n], nil
}

// Append appends the payload's length as a varint and the payload to dst.
func (c Uvarint) Append(dst, payload []byte) ([]byte, error) {
	out, trailer, err := c.envelope(dst, payload)
	return finish(dst, payload, out, trailer, err)
}

func (c Uvarint) envelope(dst, payload []byte) ([]byte, []byte, error) {
	if max := c.max(); len(payload) > max {
		return dst, nil, tooLarge(int64(len(payload)), max, "Uvarint.Max")
	}
	return binary.AppendUvarint(dst, uint64(len(payload))), nil, nil
}
