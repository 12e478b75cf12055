package frame_test

import (
	"errors"
	"testing"

	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/frame"
)

func TestFixedDecode(t *testing.T) {
	checkVectors(t, frame.Fixed{Size: 4}, frame.StopOversized, []vector{
		{"frames", "abcdefgh", []event{frameEvent("abcd"), frameEvent("efgh")}},
		{"short tail", "abcdefghij", []event{frameEvent("abcd"), frameEvent("efgh"), incompleteEvent("ij", 4)}},
		{"empty", "", nil},
	})
	checkVectors(t, frame.Fixed{Size: 1}, frame.StopOversized, []vector{
		{"bytes", "ab", []event{frameEvent("a"), frameEvent("b")}},
	})
}

func TestFixedAppend(t *testing.T) {
	c := frame.Fixed{Size: 3}
	if got, err := c.Append([]byte(">"), []byte("abc")); err != nil || string(got) != ">abc" {
		t.Errorf("Append = %q, %v; want \">abc\"", got, err)
	}
	if got, err := c.Append([]byte(">"), []byte("ab")); !errors.Is(err, frame.ErrInvalidPayload) || string(got) != ">" {
		t.Errorf("Append of a short payload = %q, %v; want ErrInvalidPayload", got, err)
	}
	var tl *errs.FrameTooLargeError
	if _, err := c.Append(nil, []byte("abcd")); !errors.As(err, &tl) || tl.Size != 4 || tl.Max != 3 {
		t.Errorf("Append of a long payload = %v; want *errs.FrameTooLargeError{Size: 4, Max: 3}", err)
	}
	if got := c.MaxFrame(); got != 3 {
		t.Errorf("MaxFrame = %d; want Size", got)
	}
}
