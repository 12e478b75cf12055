package errs_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/streamkit/streamkit/errs"
)

// TestFrameTooLargeErrorMessage: the message has the package prefix, the
// size, the offset when there is one, the maximum and the setting that
// raises it.
func TestFrameTooLargeErrorMessage(t *testing.T) {
	for _, tc := range []struct {
		err  errs.FrameTooLargeError
		want string
	}{
		{errs.FrameTooLargeError{Size: 10485760, Max: 8388608, Setting: "LengthPrefixed.Max"},
			"frame: frame of 10485760 bytes is over the maximum 8388608 (LengthPrefixed.Max)"},
		{errs.FrameTooLargeError{Size: 6, Max: 5, AtLeast: true, Offset: 6, Setting: "Lines.Max"},
			"frame: frame of at least 6 bytes at offset 6 is over the maximum 5 (Lines.Max)"},
		{errs.FrameTooLargeError{Size: 300, Max: 255, Skip: 301},
			"frame: frame of 300 bytes is over the maximum 255"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("%+v.Error() =\n%s\nwant\n%s", tc.err, got, tc.want)
		}
	}
}

// TestMalformedFrameErrorMessage: the message starts with Op, the package
// and the codec or call, when there is one.
func TestMalformedFrameErrorMessage(t *testing.T) {
	for _, tc := range []struct {
		err  errs.MalformedFrameError
		want string
	}{
		{errs.MalformedFrameError{Offset: 20, Reason: "the length has a leading zero", Op: "frame.Netstring"},
			"frame.Netstring: malformed frame at offset 20: the length has a leading zero"},
		{errs.MalformedFrameError{Offset: 3, Reason: "bad"},
			"malformed frame at offset 3: bad"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("%+v.Error() =\n%s\nwant\n%s", tc.err, got, tc.want)
		}
	}
}

// TestFrameErrorsMatchWrapped: both are matched with errors.As through
// wrapping, as pointers.
func TestFrameErrorsMatchWrapped(t *testing.T) {
	err := fmt.Errorf("reading: %w", &errs.FrameTooLargeError{Size: 9, Max: 8, Setting: "Uvarint.Max"})
	var tl *errs.FrameTooLargeError
	if !errors.As(err, &tl) || tl.Setting != "Uvarint.Max" {
		t.Errorf("errors.As(%v) = %v", err, tl)
	}
	err = fmt.Errorf("reading: %w", &errs.MalformedFrameError{Offset: 1, Reason: "r", Op: "frame.Uvarint"})
	var mf *errs.MalformedFrameError
	if !errors.As(err, &mf) || mf.Op != "frame.Uvarint" {
		t.Errorf("errors.As(%v) = %v", err, mf)
	}
}
