package frame_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/frame"
)

func TestLinesDecode(t *testing.T) {
	checkVectors(t, frame.Lines{}, frame.StopOversized, []vector{
		{"empty stream", "", nil},
		{"lines", "hello\r\nworld\nlast", []event{frameEvent("hello"), frameEvent("world"), frameEvent("last")}},
		{"empty lines", "\n\r\n\n", []event{frameEvent(""), frameEvent(""), frameEvent("")}},
		{"lone CR kept", "a\rb\n\r", []event{frameEvent("a\rb"), frameEvent("")}},
		{"only the last CR dropped", "a\r\r\n", []event{frameEvent("a\r")}},
		{"last line with CR", "a\r", []event{frameEvent("a")}},
	})
}

// TestLinesMax checks the limit at its edges: the payload, not the line
// ending, counts.
func TestLinesMax(t *testing.T) {
	checkVectors(t, frame.Lines{Max: 3}, frame.StopOversized, []vector{
		{"at max", "abc\n", []event{frameEvent("abc")}},
		{"at max with CRLF", "abc\r\nd\n", []event{frameEvent("abc"), frameEvent("d")}},
		{"over max", "abcd\n", []event{tooLong(3, 0)}},
		{"over max with CRLF", "abcd\r\n", []event{tooLong(3, 0)}},
		{"over max, no end yet", "ab\nabcdefghij", []event{frameEvent("ab"), tooLong(3, 3)}},
		{"last line at max", "abc", []event{frameEvent("abc")}},
		{"last line at max with CR", "abc\r", []event{frameEvent("abc")}},
		{"last line over max", "abcd", []event{tooLong(3, 0)}},
		{"CRs count", "a\r\r\r\r\n", []event{tooLong(3, 0)}},
		{"only the last CR is dropped", "a\r\r\r\n", []event{frameEvent("a\r\r")}},
	})
}

// TestLinesDefaultMax: the zero value's maximum is DefaultMaxDelimited.
func TestLinesDefaultMax(t *testing.T) {
	ok := strings.Repeat("x", frame.DefaultMaxDelimited)
	checkVectors(t, frame.Lines{}, frame.StopOversized, []vector{
		{"at default max", ok + "\r\n", []event{frameEvent(ok)}},
		{"over default max", ok + "x\n", []event{tooLong(frame.DefaultMaxDelimited, 0)}},
	})
	if got := (frame.Lines{}).MaxFrame(); got != frame.DefaultMaxDelimited+2 {
		t.Errorf("MaxFrame = %d; want DefaultMaxDelimited+2", got)
	}
}

// TestLinesSplitLooksOnlyAtMaxFrame: the decision never depends on data
// past MaxFrame, so it does not depend on how much is buffered.
func TestLinesSplitLooksOnlyAtMaxFrame(t *testing.T) {
	c := frame.Lines{Max: 3}
	_, _, err := c.Split([]byte("abcde\n"), false)
	var tl *errs.FrameTooLargeError
	if !errors.As(err, &tl) {
		t.Fatalf("Split = %v; want *errs.FrameTooLargeError", err)
	}
	if diff := cmp.Diff(&errs.FrameTooLargeError{Size: 4, Max: 3, AtLeast: true, Setting: "Lines.Max"}, tl); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestLinesAppend(t *testing.T) {
	for _, tc := range []struct {
		c       frame.Lines
		payload string
		want    string
	}{
		{frame.Lines{}, "hello", "hello\n"},
		{frame.Lines{}, "", "\n"},
		{frame.Lines{CRLF: true}, "hello", "hello\r\n"},
		{frame.Lines{}, "a\rb", "a\rb\n"},
		{frame.Lines{Max: 3}, "abc", "abc\n"},
	} {
		got, err := tc.c.Append([]byte(">"), []byte(tc.payload))
		if err != nil || string(got) != ">"+tc.want {
			t.Errorf("%+v.Append(%q) = %q, %v; want %q", tc.c, tc.payload, got, err, ">"+tc.want)
		}
	}
	for _, tc := range []struct {
		c       frame.Lines
		payload string
	}{
		{frame.Lines{}, "a\nb"},
		{frame.Lines{}, "a\r"},
		{frame.Lines{CRLF: true}, "\n"},
	} {
		got, err := tc.c.Append([]byte(">"), []byte(tc.payload))
		if !errors.Is(err, frame.ErrInvalidPayload) || string(got) != ">" {
			t.Errorf("%+v.Append(%q) = %q, %v; want dst unchanged and ErrInvalidPayload", tc.c, tc.payload, got, err)
		}
	}
	_, err := frame.Lines{Max: 3}.Append(nil, []byte("abcd"))
	var tl *errs.FrameTooLargeError
	if !errors.As(err, &tl) || tl.Size != 4 || tl.Max != 3 {
		t.Errorf("Append over Max = %v; want *errs.FrameTooLargeError{Size: 4, Max: 3}", err)
	}
}

// TestAppendNoAlloc: every codec's Append allocates nothing when dst has
// room.
func TestAppendNoAlloc(t *testing.T) {
	payload := []byte("hello, world")
	for _, c := range []frame.Codec{
		frame.Lines{}, frame.Lines{CRLF: true},
		frame.Delimited{Seps: [][]byte{[]byte("\r\n"), []byte("\x00")}},
		frame.Fixed{Size: len(payload)},
		frame.LengthPrefixed{}, frame.LengthPrefixed{Size: 3, LittleEndian: true, Offset: 2, Adjust: -1, Strip: 1},
		frame.LengthPrefixed{Size: 8, Strip: frame.KeepHeader},
		frame.Uvarint{}, frame.Netstring{}, frame.OctetCounting{},
	} {
		dst := make([]byte, 0, 256)
		if n := testing.AllocsPerRun(100, func() {
			if _, err := c.Append(dst, payload); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%#v: Append allocates %v times per call", c, n)
		}
	}
}
