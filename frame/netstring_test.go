package frame_test

import (
	"math"
	"strings"
	"testing"

	"github.com/streamkit/streamkit/frame"
)

// TestNetstringSpec: the examples of https://cr.yp.to/proto/netstrings.txt.
func TestNetstringSpec(t *testing.T) {
	for payload, want := range map[string]string{
		"hello world!": "12:hello world!,",
		"":             "0:,",
	} {
		got, err := frame.Netstring{}.Append(nil, []byte(payload))
		if err != nil || string(got) != want {
			t.Errorf("Append(%q) = %q, %v; want %q", payload, got, err, want)
		}
	}
	checkVectors(t, frame.Netstring{}, frame.StopOversized, []vector{
		{"spec examples", "12:hello world!,0:,", []event{frameEvent("hello world!"), frameEvent("")}},
	})
}

func TestNetstringMalformed(t *testing.T) {
	checkVectors(t, frame.Netstring{}, frame.StopOversized, []vector{
		{"leading zero", "05:hello,", []event{malformed(1, "the length has a leading zero")}},
		{"zero zero", "00:,", []event{malformed(1, "the length has a leading zero")}},
		{"no length", ":,", []event{malformed(0, "the length must start with a digit")}},
		{"not a digit", "x:,", []event{malformed(0, "the length must start with a digit")}},
		{"sign", "+1:a,", []event{malformed(0, "the length must start with a digit")}},
		{"no colon", "5 hello,", []event{malformed(1, "the length must be followed by ':'")}},
		{"no comma", "5:hello;", []event{malformed(7, "the payload must be followed by ','")}},
		{"comma late", "4:hello,", []event{malformed(6, "the payload must be followed by ','")}},
		{"after a frame", "1:a,1:bc", []event{frameEvent("a"), malformed(7, "the payload must be followed by ','")}},
	})
}

func TestNetstringLimits(t *testing.T) {
	checkVectors(t, frame.Netstring{Max: 5}, frame.StopOversized, []vector{
		{"at max", "5:hello,", []event{frameEvent("hello")}},
		{"over max", "6:hello!,", []event{tooLarge(6, 5, 0, 9)}},
		{"over max, digits cut", "123456789", []event{incompleteEvent("123456789", -1)}},
		{"huge", "123456789012:", []event{tooLarge(123456789012, 5, 0, 123456789012+14)}},
		// Past 19 digits the length is over int64 before its end is seen.
		{"over int64", strings.Repeat("9", 25) + ":", []event{{TooLarge: tooLargeAtLeast(math.MaxInt64, 5)}}},
		{"cut payload", "5:hel", []event{incompleteEvent("5:hel", 8)}},
		{"cut before comma", "5:hello", []event{incompleteEvent("5:hello", 8)}},
	})
}
