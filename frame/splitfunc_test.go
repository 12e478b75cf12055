package frame_test

import (
	"bufio"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/frame"
)

// TestSplitFuncWords: bufio.ScanWords drives a Reader, which applies Max
// as bufio.Scanner applies its maximum token size.
func TestSplitFuncWords(t *testing.T) {
	checkVectors(t, frame.SplitFunc{Func: bufio.ScanWords}, frame.StopOversized, []vector{
		{"words", "  hello\tworld \n last", []event{frameEvent("hello"), frameEvent("world"), frameEvent("last")}},
		{"blank", " \n ", nil},
	})
	checkVectors(t, frame.SplitFunc{Func: bufio.ScanWords, Max: 5}, frame.StopOversized, []vector{
		{"within max", "abcd efgh", []event{frameEvent("abcd"), frameEvent("efgh")}},
		// The token and its ending space must fit in Max bytes; "abcde"
		// alone fits at the end of the stream.
		{"token at max at EOF", "abcde", []event{frameEvent("abcde")}},
		{"over max", "ab abcdef", []event{frameEvent("ab"), tooLong(5, 3)}},
	})
	checkVectors(t, frame.SplitFunc{Func: bufio.ScanRunes}, frame.StopOversized, []vector{
		{"runes", "héllo", []event{frameEvent("h"), frameEvent("é"), frameEvent("l"), frameEvent("l"), frameEvent("o")}},
	})
}

func TestSplitFuncDefaultMax(t *testing.T) {
	if got := (frame.SplitFunc{Func: bufio.ScanLines}).MaxFrame(); got != bufio2.DefaultLimit {
		t.Errorf("MaxFrame = %d; want bufio2.DefaultLimit", got)
	}
	// (Not under every chunking: a SplitFunc rescans its data on every
	// call, so one-byte reads cost O(n²), as in bufio.Scanner.)
	long := strings.Repeat("x", bufio2.DefaultLimit)
	for in, want := range map[string][]event{
		long + " y":     {tooLong(bufio2.DefaultLimit, 0)},
		long[1:] + " y": {frameEvent(long[1:]), frameEvent("y")},
		long:            {frameEvent(long)},
	} {
		got := wholeEvents(t, []byte(in), frame.SplitFunc{Func: bufio.ScanWords}, frame.StopOversized)
		if diff := cmp.Diff(want, got, eventOpts); diff != "" {
			t.Errorf("%d bytes (-want +got):\n%s", len(in), diff)
		}
	}
}
