package frame_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/frame"
)

// nettyExamples are the worked examples of the javadoc of Netty's
// LengthFieldBasedFrameDecoder, all seven, with its parameters mapped one
// to one: lengthFieldOffset = Offset, lengthFieldLength = Size,
// lengthAdjustment = Adjust, initialBytesToStrip = Strip (0 is KeepHeader
// here, since a zero Strip strips the header).
var nettyExamples = []struct {
	name   string
	c      frame.LengthPrefixed
	before string // BEFORE DECODE
	after  string // AFTER DECODE
}{
	{
		"2 bytes length field at offset 0, do not strip header",
		frame.LengthPrefixed{Offset: 0, Size: 2, Adjust: 0, Strip: frame.KeepHeader},
		"\x00\x0cHELLO, WORLD", "\x00\x0cHELLO, WORLD",
	},
	{
		"2 bytes length field at offset 0, strip header",
		frame.LengthPrefixed{Offset: 0, Size: 2, Adjust: 0, Strip: 2},
		"\x00\x0cHELLO, WORLD", "HELLO, WORLD",
	},
	{
		"2 bytes length field at offset 0, do not strip header, the length field represents the length of the whole message",
		frame.LengthPrefixed{Offset: 0, Size: 2, Adjust: -2, Strip: frame.KeepHeader},
		"\x00\x0eHELLO, WORLD", "\x00\x0eHELLO, WORLD",
	},
	{
		"3 bytes length field at the end of 5 bytes header, do not strip header",
		frame.LengthPrefixed{Offset: 2, Size: 3, Adjust: 0, Strip: frame.KeepHeader},
		"\xca\xfe\x00\x00\x0cHELLO, WORLD", "\xca\xfe\x00\x00\x0cHELLO, WORLD",
	},
	{
		"3 bytes length field at the beginning of 5 bytes header, do not strip header",
		frame.LengthPrefixed{Offset: 0, Size: 3, Adjust: 2, Strip: frame.KeepHeader},
		"\x00\x00\x0c\xca\xfeHELLO, WORLD", "\x00\x00\x0c\xca\xfeHELLO, WORLD",
	},
	{
		"2 bytes length field at offset 1 in the middle of 4 bytes header, strip the first header field and the length field",
		frame.LengthPrefixed{Offset: 1, Size: 2, Adjust: 1, Strip: 3},
		"\xca\x00\x0c\xfeHELLO, WORLD", "\xfeHELLO, WORLD",
	},
	{
		"2 bytes length field at offset 1 in the middle of 4 bytes header, strip the first header field and the length field, the length field represents the length of the whole message",
		frame.LengthPrefixed{Offset: 1, Size: 2, Adjust: -3, Strip: 3},
		"\xca\x00\x10\xfeHELLO, WORLD", "\xfeHELLO, WORLD",
	},
}

func TestLengthPrefixedNetty(t *testing.T) {
	for _, ex := range nettyExamples {
		t.Run(ex.name, func(t *testing.T) {
			// Decode: twice in a row, under every chunking.
			checkVectors(t, ex.c, frame.StopOversized, []vector{
				{ex.name, ex.before + ex.before, []event{frameEvent(ex.after), frameEvent(ex.after)}},
			})
			// Encode: Append rebuilds the frame from the payload, with
			// zeros for the stripped bytes before the length field.
			got, err := ex.c.Append(nil, []byte(ex.after))
			if err != nil {
				t.Fatal(err)
			}
			want := []byte(ex.before)
			if ex.c.Strip > ex.c.Offset {
				clear(want[:ex.c.Offset]) // HDR1 is stripped: Append writes zeros
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Append(%q) = %q; want %q", ex.after, got, want)
			}
		})
	}
}

// TestLengthPrefixedFieldSizes: every field size in both byte orders, with
// known encodings.
func TestLengthPrefixedFieldSizes(t *testing.T) {
	for _, tc := range []struct {
		size   int
		little bool
		hdr    string // the header of a 3-byte payload
	}{
		{1, false, "\x03"}, {1, true, "\x03"},
		{2, false, "\x00\x03"}, {2, true, "\x03\x00"},
		{3, false, "\x00\x00\x03"}, {3, true, "\x03\x00\x00"},
		{4, false, "\x00\x00\x00\x03"}, {4, true, "\x03\x00\x00\x00"},
		{8, false, "\x00\x00\x00\x00\x00\x00\x00\x03"}, {8, true, "\x03\x00\x00\x00\x00\x00\x00\x00"},
	} {
		c := frame.LengthPrefixed{Size: tc.size, LittleEndian: tc.little}
		name := fmt.Sprintf("Size %d, LittleEndian %v", tc.size, tc.little)
		got, err := c.Append(nil, []byte("abc"))
		if err != nil || string(got) != tc.hdr+"abc" {
			t.Errorf("%s: Append = %q, %v; want %q", name, got, err, tc.hdr+"abc")
		}
		checkVectors(t, c, frame.StopOversized, []vector{{name, tc.hdr + "abc", []event{frameEvent("abc")}}})
	}
	// Multi-byte field values pin each byte's place. A negative Adjust
	// makes a 3-byte payload's field hold the value.
	for _, tc := range []struct {
		size   int
		little bool
		v      int
		want   string
	}{
		{2, false, 0x0102, "\x01\x02"},
		{2, true, 0x0102, "\x02\x01"},
		{3, false, 0x010203, "\x01\x02\x03"},
		{3, true, 0x010203, "\x03\x02\x01"},
		{4, false, 0x01020304, "\x01\x02\x03\x04"},
		{4, true, 0x01020304, "\x04\x03\x02\x01"},
		{8, false, 0x0102030405060708, "\x01\x02\x03\x04\x05\x06\x07\x08"},
		{8, true, 0x0102030405060708, "\x08\x07\x06\x05\x04\x03\x02\x01"},
	} {
		c := frame.LengthPrefixed{Size: tc.size, LittleEndian: tc.little, Adjust: 3 - tc.v}
		name := fmt.Sprintf("Size %d, LittleEndian %v, value %#x", tc.size, tc.little, tc.v)
		got, err := c.Append(nil, []byte("abc"))
		if err != nil || string(got) != tc.want+"abc" {
			t.Errorf("%s: Append = %q, %v; want %q", name, got, err, tc.want+"abc")
		}
		checkVectors(t, c, frame.StopOversized, []vector{{name, tc.want + "abc", []event{frameEvent("abc")}}})
	}
}

func TestLengthPrefixedErrors(t *testing.T) {
	checkVectors(t, frame.LengthPrefixed{Size: 2, Max: 10}, frame.StopOversized, []vector{
		{"at max", "\x00\x0a0123456789", []event{frameEvent("0123456789")}},
		{"over max, from the header alone", "\x00\x0b", []event{tooLarge(11, 10, 0, 13)}},
		{"over max after a frame", "\x00\x01a\xff\xff", []event{frameEvent("a"), tooLarge(0xffff, 10, 3, 0x10001)}},
		{"short header", "\x00", []event{incompleteEvent("\x00", -1)}},
		{"short payload", "\x00\x05abc", []event{incompleteEvent("\x00\x05abc", 7)}},
	})
	checkVectors(t, frame.LengthPrefixed{Size: 1, Offset: 1, Adjust: -3}, frame.StopOversized, []vector{
		{"negative after adjustment", "\x07\x02", []event{malformed(1, "the length field's value 2 plus Adjust -3 is negative")}},
		{"zero after adjustment", "\x07\x03\x07\x04x", []event{frameEvent(""), frameEvent("x")}},
	})
	checkVectors(t, frame.LengthPrefixed{Size: 1, Strip: 4}, frame.StopOversized, []vector{
		{"shorter than Strip", "\x02ab\x03abc", []event{malformed(0, "the frame of 3 bytes is shorter than Strip, 4 bytes")}},
		{"as long as Strip", "\x03abc", []event{frameEvent("")}},
	})
	// An 8-byte field over int64, and over int64 after adjustment.
	checkVectors(t, frame.LengthPrefixed{Size: 8}, frame.StopOversized, []vector{
		{"over int64", "\xff\xff\xff\xff\xff\xff\xff\xff", []event{{TooLarge: tooLargeAtLeast(math.MaxInt64, frame.DefaultMaxFrame)}}},
		{"int64 max", "\x7f\xff\xff\xff\xff\xff\xff\xff", []event{tooLarge(math.MaxInt64, frame.DefaultMaxFrame, 0, 0)}},
		{"skip fits", "\x7f\xff\xff\xff\xff\xff\xff\xf7", []event{tooLarge(math.MaxInt64-8, frame.DefaultMaxFrame, 0, math.MaxInt64)}},
	})
	checkVectors(t, frame.LengthPrefixed{Size: 8, Adjust: 10}, frame.StopOversized, []vector{
		{"over int64 after adjustment", "\x7f\xff\xff\xff\xff\xff\xff\xfe", []event{{TooLarge: tooLargeAtLeast(math.MaxInt64, frame.DefaultMaxFrame)}}},
	})
}

func TestLengthPrefixedAppendErrors(t *testing.T) {
	var tl *errs.FrameTooLargeError
	// A 1-byte field holds at most 255.
	if _, err := (frame.LengthPrefixed{Size: 1}).Append(nil, make([]byte, 256)); !errors.As(err, &tl) || tl.Size != 256 || tl.Max != 255 {
		t.Errorf("Append of 256 bytes with a 1-byte field = %v; want *errs.FrameTooLargeError{Size: 256, Max: 255}", err)
	}
	if _, err := (frame.LengthPrefixed{Size: 1, Adjust: -1}).Append(nil, make([]byte, 255)); !errors.As(err, &tl) || tl.Max != 254 {
		t.Errorf("Append of 255 bytes with a 1-byte field and Adjust -1 = %v; want Max 254", err)
	}
	if _, err := (frame.LengthPrefixed{Max: 3}).Append(nil, []byte("abcd")); !errors.As(err, &tl) || tl.Size != 4 || tl.Max != 3 {
		t.Errorf("Append over Max = %v", err)
	}
	// The kept header must be there.
	c := frame.LengthPrefixed{Offset: 2, Size: 2, Strip: frame.KeepHeader}
	if got, err := c.Append([]byte(">"), []byte("abc")); !errors.Is(err, frame.ErrInvalidPayload) || string(got) != ">" {
		t.Errorf("Append of a payload shorter than its kept header = %q, %v; want ErrInvalidPayload", got, err)
	}
	// A field that counts more than the frame holds cannot be written for
	// a short payload.
	c = frame.LengthPrefixed{Size: 1, Adjust: 4}
	if _, err := c.Append(nil, []byte("abc")); !errors.Is(err, frame.ErrInvalidPayload) {
		t.Errorf("Append with a negative field value = %v; want ErrInvalidPayload", err)
	}
}

// TestLengthPrefixedKeptFieldIsWritten: with the header kept, the length
// field's bytes in the payload are placeholders that Append fills in,
// without modifying the payload.
func TestLengthPrefixedKeptFieldIsWritten(t *testing.T) {
	c := frame.LengthPrefixed{Offset: 1, Size: 2, Strip: frame.KeepHeader}
	payload := []byte("T??hello")
	got, err := c.Append(nil, payload)
	if err != nil {
		t.Fatal(err)
	}
	if want := "T\x00\x05hello"; string(got) != want {
		t.Errorf("Append = %q; want %q", got, want)
	}
	if string(payload) != "T??hello" {
		t.Errorf("Append modified the payload: %q", payload)
	}
	// Strip 1: the prefix is stripped (zeros), the field kept.
	c.Strip = 1
	got, err = c.Append(nil, []byte("??hello"))
	if err != nil || string(got) != "\x00\x00\x05hello" {
		t.Errorf("Append with Strip 1 = %q, %v", got, err)
	}
	// Strip past the field: the stripped part of the rest is zeros.
	c.Strip = 5
	got, err = c.Append(nil, []byte("llo"))
	if err != nil || string(got) != "\x00\x00\x05\x00\x00llo" {
		t.Errorf("Append with Strip 5 = %q, %v", got, err)
	}
}

func TestLengthPrefixedMaxFrame(t *testing.T) {
	for _, tc := range []struct {
		c    frame.LengthPrefixed
		want int
	}{
		{frame.LengthPrefixed{}, 4 + frame.DefaultMaxFrame},
		{frame.LengthPrefixed{Size: 1}, 1 + 255},
		{frame.LengthPrefixed{Size: 2, Offset: 3, Max: 10}, 5 + 10},
		{frame.LengthPrefixed{Size: 1, Adjust: -5}, 1 + 250},
	} {
		if got := tc.c.MaxFrame(); got != tc.want {
			t.Errorf("%+v.MaxFrame() = %d; want %d", tc.c, got, tc.want)
		}
	}
	// A Reader never buffers past MaxFrame: a 1-byte field's frames fit
	// in 256 bytes, whatever the default Max.
	got := wholeEvents(t, append([]byte{255}, make([]byte, 255)...), frame.LengthPrefixed{Size: 1}, frame.StopOversized)
	if diff := cmp.Diff([]event{frameEvent(string(make([]byte, 255)))}, got, eventOpts); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestLengthPrefixedBadSettingsPanic(t *testing.T) {
	for _, c := range []frame.LengthPrefixed{
		{Size: 5}, {Size: -1}, {Offset: -1}, {Strip: -2}, {Max: -1},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%+v: no panic", c)
				}
			}()
			c.Split([]byte("\x00\x00\x00\x00\x00\x00\x00\x00"), false)
		}()
	}
}
