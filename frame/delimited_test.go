package frame_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/frame"
)

func seps(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func TestDelimitedDecode(t *testing.T) {
	checkVectors(t, frame.Delimited{}, frame.StopOversized, []vector{
		{"default is \\n", "a\nb\r\n", []event{frameEvent("a"), frameEvent("b\r")}},
		{"empty frames", "\n\n", []event{frameEvent(""), frameEvent("")}},
		{"trailing data is incomplete", "a\nbc", []event{frameEvent("a"), incompleteEvent("bc", -1)}},
	})
	checkVectors(t, frame.Delimited{Seps: seps("\r\n", "\x00")}, frame.StopOversized, []vector{
		{"either separator", "PING\r\na\x00b", []event{frameEvent("PING"), frameEvent("a"), incompleteEvent("b", -1)}},
		{"lone CR is data", "a\rb\r\n", []event{frameEvent("a\rb")}},
	})
	// The match that ends first wins; on a tie, the shorter one.
	checkVectors(t, frame.Delimited{Seps: seps("\r\n", "\n")}, frame.StopOversized, []vector{
		{"tie goes to the shorter", "ab\r\ncd\n", []event{frameEvent("ab\r"), frameEvent("cd")}},
	})
	checkVectors(t, frame.Delimited{Seps: seps("bc", "abcd")}, frame.StopOversized, []vector{
		{"earliest end wins over earliest start", "xabcd", []event{frameEvent("xa"), incompleteEvent("d", -1)}},
	})
	checkVectors(t, frame.Delimited{Seps: seps("END", "D")}, frame.StopOversized, []vector{
		{"tie: shorter separator, longer payload", "xEND", []event{frameEvent("xEN")}},
	})
	checkVectors(t, frame.Delimited{Seps: seps("aa")}, frame.StopOversized, []vector{
		{"self-overlapping separator", "xaaay", []event{frameEvent("x"), incompleteEvent("ay", -1)}},
	})
}

// TestDelimitedMax: the payload, before the winning separator, counts; a
// stream with no separator in Max plus the longest separator's bytes is
// over the limit, whatever comes next.
func TestDelimitedMax(t *testing.T) {
	c := frame.Delimited{Seps: seps("\n", "<END>"), Max: 3}
	checkVectors(t, c, frame.StopOversized, []vector{
		{"at max", "abc\nabc<END>", []event{frameEvent("abc"), frameEvent("abc")}},
		{"over max", "abcd\n", []event{tooLong(3, 0)}},
		{"over max, long separator", "abcd<END>", []event{tooLong(3, 0)}},
		{"no separator in max+longest", "ab\nabcdefgh", []event{frameEvent("ab"), tooLong(3, 3)}},
		{"tail over max at EOF", "abcd", []event{tooLong(3, 0)}},
		{"tail at max at EOF", "abc", []event{incompleteEvent("abc", -1)}},
	})
	if got := c.MaxFrame(); got != 3+5 {
		t.Errorf("MaxFrame = %d; want Max + longest separator = 8", got)
	}
}

func TestDelimitedAppend(t *testing.T) {
	for _, tc := range []struct {
		c       frame.Delimited
		payload string
		want    string
	}{
		{frame.Delimited{}, "abc", "abc\n"},
		{frame.Delimited{Seps: seps("\r\n", "\x00")}, "a\rb", "a\rb\r\n"},
		{frame.Delimited{Seps: seps("\n", "\r\n")}, "a\r", "a\r\n"}, // decodes as "a\r": "\n" wins the tie
		{frame.Delimited{Seps: seps("<END>")}, "<EN", "<EN<END>"},
	} {
		got, err := tc.c.Append(nil, []byte(tc.payload))
		if err != nil || string(got) != tc.want {
			t.Errorf("Append(%q) with %q = %q, %v; want %q", tc.payload, tc.c.Seps, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		c       frame.Delimited
		payload string
	}{
		{frame.Delimited{}, "a\nb"},
		{frame.Delimited{Seps: seps("\r\n", "\x00")}, "a\x00"},
		// "\n" ends as soon as "\r\n", and is shorter: every "\r\n" frame
		// would decode with a trailing '\r'.
		{frame.Delimited{Seps: seps("\r\n", "\n")}, "a"},
		// The payload's end and the separator make an earlier match.
		{frame.Delimited{Seps: seps("aab", "ab")}, "x"},
	} {
		got, err := tc.c.Append([]byte(">"), []byte(tc.payload))
		if !errors.Is(err, frame.ErrInvalidPayload) || string(got) != ">" {
			t.Errorf("Append(%q) with %q = %q, %v; want dst unchanged and ErrInvalidPayload", tc.payload, tc.c.Seps, got, err)
		}
	}
	_, err := frame.Delimited{Max: 2}.Append(nil, []byte("abc"))
	var tl *errs.FrameTooLargeError
	if !errors.As(err, &tl) {
		t.Errorf("Append over Max = %v; want *errs.FrameTooLargeError", err)
	}
}

// TestDelimitedAppendIffDecodes: Append accepts a payload if and only if
// decoding its frame gives the payload back, for payloads and separators
// made of the same few bytes.
func TestDelimitedAppendIffDecodes(t *testing.T) {
	alphabet := "ab\n"
	var words []string
	var gen func(prefix string, n int)
	gen = func(prefix string, n int) {
		words = append(words, prefix)
		if n == 0 {
			return
		}
		for _, b := range alphabet {
			gen(prefix+string(b), n-1)
		}
	}
	gen("", 4)
	sepSets := [][]string{{"\n"}, {"a"}, {"ab"}, {"aa"}, {"ab", "b"}, {"b", "ab"}, {"aba", "ba"}, {"\n", "a\n"}, {"a\n", "\n"}}
	for _, ss := range sepSets {
		c := frame.Delimited{Seps: seps(ss...), Max: 8}
		for _, w := range words {
			enc, err := c.Append(nil, []byte(w))
			// Decode what Append would have written, whether or not it did.
			raw := w + ss[0]
			adv, tok, serr := c.Split([]byte(raw), true)
			decodes := serr == nil && adv == len(raw) && string(tok) == w
			if (err == nil) != decodes {
				t.Errorf("seps %q, payload %q: Append error %v, but decoding %q gives %q (advance %d, %v)", ss, w, err, raw, tok, adv, serr)
			}
			if err == nil && string(enc) != raw {
				t.Errorf("seps %q: Append(%q) = %q; want %q", ss, w, enc, raw)
			}
		}
	}
}

func TestDelimitedEmptySeparatorPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for an empty separator")
		}
	}()
	frame.Delimited{Seps: seps("\n", "")}.Split([]byte("x"), false)
}

func TestDelimitedLongSeparator(t *testing.T) {
	sep := strings.Repeat("=", 100)
	c := frame.Delimited{Seps: seps(sep)}
	enc, err := c.Append(nil, []byte("payload"))
	if err != nil {
		t.Fatal(err)
	}
	checkVectors(t, c, frame.StopOversized, []vector{
		{"long separator", string(enc) + string(enc), []event{frameEvent("payload"), frameEvent("payload")}},
	})
}
