package frame_test

import (
	"math"
	"strings"
	"testing"

	"github.com/streamkit/streamkit/frame"
)

// TestUvarintProtobufTable: the varint encodings from protobuf's encoding
// guide, as the length prefix of payloads of those sizes.
func TestUvarintProtobufTable(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{
		{0, "\x00"},
		{1, "\x01"},
		{127, "\x7f"},
		{128, "\x80\x01"},
		{150, "\x96\x01"},
		{300, "\xac\x02"},
		{16384, "\x80\x80\x01"},
	} {
		payload := strings.Repeat("p", tc.n)
		got, err := frame.Uvarint{}.Append(nil, []byte(payload))
		if err != nil || string(got) != tc.want+payload {
			t.Errorf("Append of %d bytes: header %q, %v; want %q", tc.n, got[:min(len(got), len(tc.want))], err, tc.want)
			continue
		}
		checkVectors(t, frame.Uvarint{}, frame.StopOversized, []vector{
			{tc.want, tc.want + payload + "\x01x", []event{frameEvent(payload), frameEvent("x")}},
		})
	}
}

// TestUvarintHeaders decodes headers too large to follow with a payload:
// the largest uint64, ff ff ff ff ff ff ff ff ff 01 in protobuf's table,
// is a valid varint (a frame too large, of at least int64's maximum),
// while one more bit, or an 11th byte, is malformed.
func TestUvarintHeaders(t *testing.T) {
	max := frame.DefaultMaxFrame
	checkVectors(t, frame.Uvarint{}, frame.StopOversized, []vector{
		{"max uint64", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", []event{{TooLarge: tooLargeAtLeast(math.MaxInt64, max)}}},
		{"max int64", "\xff\xff\xff\xff\xff\xff\xff\xff\x7f", []event{tooLarge(math.MaxInt64, max, 0, 0)}},
		{"skip fits", "\xf6\xff\xff\xff\xff\xff\xff\xff\x7f", []event{tooLarge(math.MaxInt64-9, max, 0, math.MaxInt64)}},
		{"over 64 bits", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", []event{malformed(9, "the varint runs past 10 bytes or over 64 bits")}},
		{"11 bytes", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", []event{malformed(9, "the varint runs past 10 bytes or over 64 bits")}},
		{"non-minimal zero", "\x80\x00\x81\x00x", []event{frameEvent(""), frameEvent("x")}},
		{"over max", "\x81\x80\x80\x04", []event{tooLarge(8<<20+1, max, 0, 8<<20+5)}},
		{"cut header", "\x01a\x80", []event{frameEvent("a"), incompleteEvent("\x80", -1)}},
		{"cut payload", "\x03ab", []event{incompleteEvent("\x03ab", 4)}},
	})
	checkVectors(t, frame.Uvarint{Max: 127}, frame.StopOversized, []vector{
		{"at max", "\x7f" + strings.Repeat("m", 127), []event{frameEvent(strings.Repeat("m", 127))}},
		{"over max", "\x80\x01", []event{tooLarge(128, 127, 0, 130)}},
	})
	if got := (frame.Uvarint{Max: 127}).MaxFrame(); got != 137 {
		t.Errorf("MaxFrame with Max 127 = %d; want 137", got)
	}
	// A longer varint than needed, at the maximum, fits in MaxFrame.
	checkVectors(t, frame.Uvarint{Max: 1}, frame.StopOversized, []vector{
		{"10-byte varint", "\x81\x80\x80\x80\x80\x80\x80\x80\x80\x00x", []event{frameEvent("x")}},
	})
}
