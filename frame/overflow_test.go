package frame_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/frame"
)

// The frame sizes around int64's end: a frame's Skip (its whole length) is
// its size plus its header and trailer when that fits in an int64, and 0
// (unknown) when it does not, never negative; a size over int64 is its
// largest value, with AtLeast set.

// bigFrame is what a header declaring a frame near int64's end must give.
type bigFrame struct {
	name   string
	header string
	want   event
}

// bigFrames makes the three cases for a header of hdr bytes (trailer bytes
// after the payload) that declares a payload of the given size: the
// largest int64, the largest whose Skip fits, and over int64.
func bigFrames(max int, hdr, trailer int, header func(size uint64) string) []bigFrame {
	fits := uint64(math.MaxInt64 - hdr - trailer)
	return []bigFrame{
		{"2^63-1", header(math.MaxInt64), tooLarge(math.MaxInt64, max, 0, 0)},
		{"Skip is 2^63-1", header(fits), tooLarge(int64(fits), max, 0, math.MaxInt64)},
		{"Skip is 2^63", header(fits + 1), tooLarge(int64(fits+1), max, 0, 0)},
		{"2^63", header(1 << 63), event{TooLarge: tooLargeAtLeast(math.MaxInt64, max)}},
		{"2^64-1", header(math.MaxUint64), event{TooLarge: tooLargeAtLeast(math.MaxInt64, max)}},
	}
}

func checkBigFrames(t *testing.T, c frame.Codec, frames []bigFrame) {
	t.Helper()
	for _, f := range frames {
		if f.header == "" {
			continue // the header form cannot declare this size
		}
		name := fmt.Sprintf("%#v, %s", c, f.name)
		checkVectors(t, c, frame.StopOversized, []vector{{name, f.header, []event{f.want}}})
		// Split alone gives the same error, Skip never negative.
		_, _, err := c.Split([]byte(f.header), false)
		var tl *errs.FrameTooLargeError
		if !errors.As(err, &tl) || tl.Skip < 0 || tl.Skip != f.want.TooLarge.Skip {
			t.Errorf("%s: Split = %v; want Skip %d", name, err, f.want.TooLarge.Skip)
		}
	}
}

// TestSkipOverflowLengthPrefixed: every field size, both byte orders, with
// and without a prefix; the sizes a field shorter than 8 bytes cannot
// declare are reached with Adjust.
func TestSkipOverflowLengthPrefixed(t *testing.T) {
	for _, size := range []int{1, 2, 3, 4, 8} {
		for _, offset := range []int{0, 3} {
			for _, little := range []bool{false, true} {
				hdr := offset + size
				top := uint64(math.MaxInt64)
				if size < 8 {
					top = 1<<(8*size) - 1
				}
				field := func(v uint64) string {
					var b [8]byte
					if little {
						binary.LittleEndian.PutUint64(b[:], v)
						return strings.Repeat("P", offset) + string(b[:size])
					}
					binary.BigEndian.PutUint64(b[:], v)
					return strings.Repeat("P", offset) + string(b[8-size:])
				}
				if size == 8 {
					// The field itself declares each size.
					c := frame.LengthPrefixed{Size: 8, Offset: offset, LittleEndian: little}
					checkBigFrames(t, c, bigFrames(frame.DefaultMaxFrame, hdr, 0, field))
				}
				// Adjust brings the field's largest value to each size.
				for _, f := range bigFrames(frame.DefaultMaxFrame, hdr, 0, func(uint64) string { return field(top) }) {
					var want uint64
					switch f.name {
					case "2^63-1":
						want = math.MaxInt64
					case "Skip is 2^63-1":
						want = uint64(math.MaxInt64 - hdr)
					case "Skip is 2^63":
						want = uint64(math.MaxInt64 - hdr + 1)
					default:
						want = math.MaxInt64 + 1 // any size over int64
					}
					adjust := int(want - top)
					if want > math.MaxInt64 {
						adjust = int(math.MaxInt64 - top + 1)
					}
					c := frame.LengthPrefixed{Size: size, Offset: offset, LittleEndian: little, Adjust: adjust}
					checkBigFrames(t, c, []bigFrame{f})
				}
			}
		}
	}
}

func TestSkipOverflowUvarint(t *testing.T) {
	for _, offset := range []int{0, 1, 5} {
		c := frame.Uvarint{Offset: offset}
		// The varint's length depends on the size: the largest int64 takes
		// 9 bytes, as does the largest whose Skip fits (for a short prefix).
		frames := bigFrames(frame.DefaultMaxFrame, offset+9, 0, func(v uint64) string {
			return strings.Repeat("P", offset) + string(binary.AppendUvarint(nil, v))
		})
		for i := range frames {
			if v := frames[i].header; len(v) != offset+9 && frames[i].name != "2^63" && frames[i].name != "2^64-1" {
				t.Fatalf("%s: a %d-byte header", frames[i].name, len(v))
			}
		}
		checkBigFrames(t, c, frames)
	}
}

func TestSkipOverflowNetstring(t *testing.T) {
	// The example: Skip was -9223372036854775796.
	_, _, err := frame.Netstring{}.Split([]byte("9223372036854775799:"), false)
	var tl *errs.FrameTooLargeError
	if !errors.As(err, &tl) || tl.Skip != 0 || tl.Size != 9223372036854775799 || tl.AtLeast {
		t.Errorf("Split(\"9223372036854775799:\") = %+v; want Size 9223372036854775799, Skip 0", err)
	}
	// A 19-digit length and ':' is a 20-byte header, and ',' follows.
	checkBigFrames(t, frame.Netstring{}, bigFrames(frame.DefaultMaxFrame, 20, 1, func(v uint64) string {
		return strconv.FormatUint(v, 10) + ":"
	}))
}

func TestSkipOverflowOctetCounting(t *testing.T) {
	for _, c := range []frame.OctetCounting{{}, {NonTransparent: true}} {
		checkBigFrames(t, c, bigFrames(frame.DefaultMaxFrame, 20, 0, func(v uint64) string {
			return strconv.FormatUint(v, 10) + " "
		}))
	}
}

// TestSkipOverflowReader: a skipping Reader stops at a frame whose Skip is
// unknown, as at any frame it cannot skip, unless its codec resyncs; it
// skips one whose Skip is known, which, this large, takes the rest of the
// stream.
func TestSkipOverflowReader(t *testing.T) {
	const rest = "\nrest of the stream"
	for _, tc := range []struct {
		c      frame.Codec
		header string
		want   []event // after the error
	}{
		{frame.Netstring{}, "9223372036854775799:", nil},       // stops
		{frame.Netstring{}, "9223372036854775786:", []event{}}, // Skip is 2^63-1: to the end
		{frame.LengthPrefixed{Size: 8}, "\x7f\xff\xff\xff\xff\xff\xff\xff", nil},
		{frame.Uvarint{}, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", nil},
		// OctetCounting resyncs: to the end of the stream, which the frame
		// would run past, or, with NonTransparent, to the next LF.
		{frame.OctetCounting{}, "9223372036854775807 ", []event{}},
		{frame.OctetCounting{NonTransparent: true}, "9223372036854775807 ", []event{frameEvent("rest of the stream")}},
	} {
		r := frame.NewReader(strings.NewReader(tc.header+rest), tc.c)
		r.SetOversized(frame.SkipOversized)
		_, err1 := r.Next()
		var tl *errs.FrameTooLargeError
		if !errors.As(err1, &tl) || tl.Skip < 0 {
			t.Errorf("%#v on %q: first Next = %v; want *errs.FrameTooLargeError", tc.c, tc.header, err1)
		}
		if tc.want == nil {
			if _, err2 := r.Next(); err2 != err1 {
				t.Errorf("%#v on %q: second Next = %v; want the same error (the Reader stops)", tc.c, tc.header, err2)
			}
			continue
		}
		got := []event{}
		for {
			p, err := r.Next()
			if err == io.EOF {
				break
			}
			got = append(got, toEvent(p, err))
		}
		if diff := cmp.Diff(tc.want, got, eventOpts); diff != "" {
			t.Errorf("%#v on %q: after the error (-want +got):\n%s", tc.c, tc.header, diff)
		}
	}
}

// TestLengthPrefixedExtremeAdjust: Adjust near int64's ends neither
// overflows the field's capacity nor writes a field that does not decode.
func TestLengthPrefixedExtremeAdjust(t *testing.T) {
	// A huge Adjust: every rest is at least Adjust, over Max.
	c := frame.LengthPrefixed{Size: 4, Adjust: math.MaxInt64 - 10}
	if _, err := c.Append(nil, []byte("abc")); !errors.Is(err, frame.ErrInvalidPayload) {
		t.Errorf("Append with Adjust near 2^63 = %v; want ErrInvalidPayload", err)
	}
	if got, want := c.MaxFrame(), 4+frame.DefaultMaxFrame; got != want {
		t.Errorf("MaxFrame with Adjust near 2^63 = %d; want %d", got, want)
	}
	// An Adjust below minus the field's largest value: no frame decodes,
	// and none is written.
	for _, c := range []frame.LengthPrefixed{{Size: 1, Adjust: -300}, {Size: 8, Adjust: math.MinInt64}} {
		if got, err := c.Append(nil, nil); !errors.Is(err, frame.ErrInvalidPayload) {
			t.Errorf("%+v: Append(nil) = %q, %v; want ErrInvalidPayload", c, got, err)
		}
		_, _, err := c.Split([]byte("\xff\xff\xff\xff\xff\xff\xff\xff"), false)
		if !errors.As(err, new(*errs.MalformedFrameError)) && !errors.As(err, new(*errs.FrameTooLargeError)) {
			t.Errorf("%+v: Split = %v; want an error", c, err)
		}
	}
}
