package frame_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/streamkit/streamkit/errs"
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

// mqttRemainingLength is the table of MQTT 3.1.1, section 2.2.3 (Table
// 2.4, Size of Remaining Length field): the boundaries of each encoded
// length.
var mqttRemainingLength = []struct {
	n    int
	want string
}{
	{0, "\x00"},
	{127, "\x7f"},
	{128, "\x80\x01"},
	{16383, "\xff\x7f"},
	{16384, "\x80\x80\x01"},
	{2097151, "\xff\xff\x7f"},
	{2097152, "\x80\x80\x80\x01"},
	{268435455, "\xff\xff\xff\x7f"},
}

// mqttMax is MQTT's largest remaining length.
const mqttMax = 268435455

// TestUvarintMQTTRemainingLength: with Offset 1, the header is MQTT's fixed
// header. Each boundary of the table decodes to its length (the frame that
// a cut stream expects is the header and that many bytes), one more than
// Max is too large with the right Skip, and, up to 2 MiB, Append writes the
// table's encoding and the frame decodes.
func TestUvarintMQTTRemainingLength(t *testing.T) {
	for _, tc := range mqttRemainingLength {
		hdr := "\x30" + tc.want
		frameLen := len(hdr) + tc.n
		c := frame.Uvarint{Offset: 1, Max: mqttMax}
		_, _, err := c.Split([]byte(hdr), true)
		var inc *errs.IncompleteReadError
		if tc.n > 0 && (!errors.As(err, &inc) || inc.Expected != frameLen) {
			t.Errorf("remaining length %d: Split of the header at EOF = %v; want IncompleteReadError expecting %d", tc.n, err, frameLen)
		}
		if tc.n > 0 {
			_, _, err = frame.Uvarint{Offset: 1, Max: tc.n - 1}.Split([]byte(hdr), false)
			var tl *errs.FrameTooLargeError
			if !errors.As(err, &tl) || tl.Size != int64(tc.n) || tl.Skip != int64(frameLen) || tl.Max != tc.n-1 {
				t.Errorf("remaining length %d over Max %d: Split = %+v", tc.n, tc.n-1, err)
			}
		}
		if tc.n > 2<<20 {
			continue // encoded by TestTypedMQTTRemainingLength
		}
		body := strings.Repeat("b", tc.n)
		enc, err := frame.Uvarint{Offset: 1}.Append(nil, []byte(body))
		if want := "\x00" + tc.want + body; err != nil || string(enc) != want {
			t.Errorf("remaining length %d: Append header %q, %v; want %q", tc.n, enc[:min(len(enc), 5)], err, want[:min(len(want), 5)])
		}
		checkVectors(t, frame.Uvarint{Offset: 1, Strip: frame.KeepHeader, Max: mqttMax}, frame.StopOversized, []vector{
			{fmt.Sprintf("remaining length %d", tc.n), hdr + body + "\xc0\x00", []event{frameEvent(hdr + body), frameEvent("\xc0\x00")}},
		})
	}
	// A fifth byte: the length is over MQTT's maximum.
	_, _, err := frame.Uvarint{Offset: 1, Max: mqttMax}.Split([]byte("\x30\x80\x80\x80\x80\x01"), false)
	if !errors.As(err, new(*errs.FrameTooLargeError)) {
		t.Errorf("a five-byte remaining length = %v; want *errs.FrameTooLargeError", err)
	}
}

// mqttPackets is a stream of MQTT 3.1.1 control packets: CONNACK
// (accepted), SUBACK (packet 1, QoS 0), PUBLISH QoS 0 of "hello" to "a/b",
// PUBLISH QoS 1 (packet 10) of "" to "t", PINGRESP.
var mqttPackets = []struct{ header, body string }{
	{"\x20\x02", "\x00\x00"},
	{"\x90\x03", "\x00\x01\x00"},
	{"\x30\x0a", "\x00\x03a/bhello"},
	{"\x32\x05", "\x00\x01t\x00\x0a"},
	{"\xd0\x00", ""},
}

func TestUvarintMQTTPackets(t *testing.T) {
	var stream string
	var bodies, whole, noType []event
	for _, p := range mqttPackets {
		stream += p.header + p.body
		bodies = append(bodies, frameEvent(p.body))
		whole = append(whole, frameEvent(p.header+p.body))
		noType = append(noType, frameEvent(p.header[1:]+p.body))
	}
	checkVectors(t, frame.Uvarint{Offset: 1}, frame.StopOversized, []vector{{"bodies", stream, bodies}})
	checkVectors(t, frame.Uvarint{Offset: 1, Strip: frame.KeepHeader}, frame.StopOversized, []vector{{"whole packets", stream, whole}})
	checkVectors(t, frame.Uvarint{Offset: 1, Strip: 1}, frame.StopOversized, []vector{{"without the type byte", stream, noType}})
	// Append with the header kept writes each packet as it is.
	var enc []byte
	for _, e := range whole {
		var err error
		if enc, err = (frame.Uvarint{Offset: 1, Strip: frame.KeepHeader}).Append(enc, []byte(e.Frame)); err != nil {
			t.Fatal(err)
		}
	}
	if string(enc) != stream {
		t.Errorf("Append of the whole packets = %q; want %q", enc, stream)
	}
}

func TestUvarintOffsetErrors(t *testing.T) {
	c := frame.Uvarint{Offset: 2, Max: 5}
	checkVectors(t, c, frame.StopOversized, []vector{
		{"at max", "PP\x05abcde", []event{frameEvent("abcde")}},
		{"over max", "PP\x06", []event{tooLarge(6, 5, 0, 9)}},
		{"over max after a frame", "PP\x01aPP\x80\x01", []event{frameEvent("a"), tooLarge(128, 5, 4, 132)}},
		{"malformed at its byte", "PP\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", []event{malformed(11, "the varint runs past 10 bytes or over 64 bits")}},
		{"cut in the prefix", "P", []event{incompleteEvent("P", -1)}},
		{"cut in the varint", "PP\x80", []event{incompleteEvent("PP\x80", -1)}},
		{"cut in the body", "PP\x03ab", []event{incompleteEvent("PP\x03ab", 6)}},
	})
	checkVectors(t, frame.Uvarint{Offset: 2, Max: 5}, frame.SkipOversized, []vector{
		{"skipped", "PP\x06abcdefPP\x01z", []event{tooLarge(6, 5, 0, 9), frameEvent("z")}},
	})
	if got, want := c.MaxFrame(), 2+10+5; got != want {
		t.Errorf("MaxFrame = %d; want %d", got, want)
	}
}

func TestUvarintAppendKeptHeader(t *testing.T) {
	for _, tc := range []struct {
		c       frame.Uvarint
		payload string
		want    string // "" for ErrInvalidPayload
	}{
		{frame.Uvarint{Strip: frame.KeepHeader}, "\x03abc", "\x03abc"},
		{frame.Uvarint{Strip: frame.KeepHeader}, "\x80\x00", "\x80\x00"}, // as long as Split accepts it
		{frame.Uvarint{Offset: 2, Strip: 1}, "T\x02ab", "\x00T\x02ab"},
		{frame.Uvarint{Offset: 2, Strip: 2}, "\x00", "\x00\x00\x00"},
		{frame.Uvarint{Offset: 2, Strip: frame.KeepHeader}, "TT", ""},      // no varint
		{frame.Uvarint{Offset: 1, Strip: frame.KeepHeader}, "T\x80", ""},   // cut varint
		{frame.Uvarint{Offset: 1, Strip: frame.KeepHeader}, "T\x03ab", ""}, // says 3, 2 follow
		{frame.Uvarint{Offset: 1, Strip: frame.KeepHeader}, "T\x01ab", ""}, // says 1, 2 follow
		{frame.Uvarint{Strip: frame.KeepHeader}, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", ""},
	} {
		got, err := tc.c.Append([]byte(">"), []byte(tc.payload))
		if tc.want == "" {
			if !errors.Is(err, frame.ErrInvalidPayload) || string(got) != ">" {
				t.Errorf("%+v.Append(%q) = %q, %v; want ErrInvalidPayload", tc.c, tc.payload, got, err)
			}
			continue
		}
		if err != nil || string(got) != ">"+tc.want {
			t.Errorf("%+v.Append(%q) = %q, %v; want %q", tc.c, tc.payload, got, err, ">"+tc.want)
		}
		// Split gives the payload back.
		adv, tok, err := tc.c.Split(got[1:], true)
		if err != nil || adv != len(tc.want) || string(tok) != tc.payload {
			t.Errorf("%+v: Split(Append(%q)) = %d, %q, %v", tc.c, tc.payload, adv, tok, err)
		}
	}
	var tl *errs.FrameTooLargeError
	if _, err := (frame.Uvarint{Strip: frame.KeepHeader, Max: 2}).Append(nil, []byte("\x03abc")); !errors.As(err, &tl) || tl.Size != 3 {
		t.Errorf("Append of a kept frame over Max = %v; want *errs.FrameTooLargeError{Size: 3}", err)
	}
}

func TestUvarintBadSettingsPanic(t *testing.T) {
	for _, c := range []frame.Uvarint{
		{Offset: -1}, {Strip: -2}, {Strip: 1}, {Offset: 1, Strip: 2}, {Max: -1},
		{MaxLen: -1}, {MaxLen: 11},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%+v: no panic", c)
				}
			}()
			c.Split([]byte("\x00\x00\x00"), false)
		}()
	}
}

// TestUvarintMaxLen: a varint longer than MaxLen is malformed, at its last
// allowed byte, even when it is only longer than it need be (MQTT forbids
// both); the maximum becomes what MaxLen bytes hold when Max is larger,
// and the errors name the field.
func TestUvarintMaxLen(t *testing.T) {
	mqtt := frame.Uvarint{Offset: 1, MaxLen: 4}
	const past4 = "the varint runs past 4 bytes (Uvarint.MaxLen)"
	checkVectors(t, mqtt, frame.StopOversized, []vector{
		{"four bytes", "\x30\x80\x80\x80\x00\xd0\x00", []event{frameEvent(""), frameEvent("")}},
		{"a fifth byte", "\x30\x80\x80\x80\x80\x01", []event{malformed(4, past4)}},
		{"a non-minimal fifth byte", "\x30\x80\x80\x80\x80\x00", []event{malformed(4, past4)}},
		{"cut in the fourth byte", "\x30\x80\x80\x80", []event{incompleteEvent("\x30\x80\x80\x80", -1)}},
	})
	// The default Max (8 MiB) is below what four bytes hold: it stays.
	if got, want := mqtt.MaxFrame(), 1+4+frame.DefaultMaxFrame; got != want {
		t.Errorf("MaxFrame = %d; want %d", got, want)
	}
	// One byte holds 127: the maximum, from MaxLen.
	one := frame.Uvarint{MaxLen: 1}
	checkVectors(t, one, frame.StopOversized, []vector{
		{"127", "\x7f" + strings.Repeat("a", 127), []event{frameEvent(strings.Repeat("a", 127))}},
		{"two bytes", "\x80\x01", []event{malformed(0, "the varint runs past 1 byte (Uvarint.MaxLen)")}},
	})
	if got, want := one.MaxFrame(), 1+127; got != want {
		t.Errorf("MaxLen 1: MaxFrame = %d; want %d", got, want)
	}
	_, err := one.Append(nil, make([]byte, 128))
	var tl *errs.FrameTooLargeError
	if !errors.As(err, &tl) || tl.Max != 127 || tl.Setting != "Uvarint.MaxLen" {
		t.Errorf("MaxLen 1: Append of 128 bytes = %v; want a FrameTooLargeError over 127 naming Uvarint.MaxLen", err)
	}
	// Max below what MaxLen holds is the maximum, and named.
	_, _, err = frame.Uvarint{MaxLen: 2, Max: 100}.Split([]byte("\x65"), false)
	if !errors.As(err, &tl) || tl.Max != 100 || tl.Setting != "Uvarint.Max" {
		t.Errorf("MaxLen 2, Max 100: Split of a 101-byte header = %v; want over Max 100 naming Uvarint.Max", err)
	}
}
