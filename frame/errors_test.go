package frame_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/streamkit/streamkit/frame"
)

// errorCase is one error of a codec and the message it must have.
type errorCase struct {
	name string
	err  func() error
	want string
}

func splitErr(c frame.Codec, in string, atEOF bool) func() error {
	return func() error {
		_, _, err := c.Split([]byte(in), atEOF)
		return err
	}
}

func appendErr(c frame.Codec, payload []byte) func() error {
	return func() error {
		_, err := c.Append(nil, payload)
		return err
	}
}

func nextErr(c frame.Codec, in string) func() error {
	return func() error {
		r := frame.NewReader(strings.NewReader(in), c)
		for {
			if _, err := r.Next(); err != nil {
				return err
			}
		}
	}
}

// TestErrorMessages: every error a codec returns starts with the package
// prefix, and names the setting to raise (FrameTooLargeError.Setting) or
// the codec that found the frame malformed (MalformedFrameError.Op).
func TestErrorMessages(t *testing.T) {
	for _, tc := range []errorCase{
		// The example: a 10 MiB PostgreSQL row under the default.
		{"LengthPrefixed over Max", splitErr(frame.LengthPrefixed{}, "\x00\xa0\x00\x00", false),
			"frame: frame of 10485760 bytes is over the maximum 8388608 (LengthPrefixed.Max)"},
		{"LengthPrefixed over Max in a stream", nextErr(frame.LengthPrefixed{Size: 1, Max: 2}, "\x01a\x03abc"),
			"frame: frame of 3 bytes at offset 2 is over the maximum 2 (LengthPrefixed.Max)"},
		{"LengthPrefixed Append over the field", appendErr(frame.LengthPrefixed{Size: 1}, make([]byte, 256)),
			"frame: frame of 256 bytes is over the maximum 255 (LengthPrefixed.Size)"},
		{"LengthPrefixed Append over Max", appendErr(frame.LengthPrefixed{Size: 1, Max: 3}, make([]byte, 4)),
			"frame: frame of 4 bytes is over the maximum 3 (LengthPrefixed.Max)"},
		{"LengthPrefixed negative", splitErr(frame.LengthPrefixed{Size: 1, Offset: 1, Adjust: -3}, "\x07\x02", false),
			"frame.LengthPrefixed: malformed frame at offset 1: the length field's value 2 plus Adjust -3 is negative"},
		{"LengthPrefixed short of Strip", splitErr(frame.LengthPrefixed{Size: 1, Strip: 4}, "\x02ab", false),
			"frame.LengthPrefixed: malformed frame at offset 0: the frame of 3 bytes is shorter than Strip, 4 bytes"},
		{"LengthPrefixed cut", splitErr(frame.LengthPrefixed{Size: 1}, "\x05ab", true),
			"frame.LengthPrefixed.Split: the stream ended after 3 of 6 bytes; the bytes read are in Partial"},
		{"Lines over Max", splitErr(frame.Lines{Max: 5}, "much too long\n", false),
			"frame: frame of at least 6 bytes is over the maximum 5 (Lines.Max)"},
		{"Lines Append over Max", appendErr(frame.Lines{Max: 1}, []byte("ab")),
			"frame: frame of 2 bytes is over the maximum 1 (Lines.Max)"},
		{"Lines Append invalid", appendErr(frame.Lines{}, []byte("a\nb")),
			"frame: payload cannot be encoded: Lines: payload holds '\\n' at index 1"},
		{"Delimited over Max", splitErr(frame.Delimited{Max: 2}, "abc\n", false),
			"frame: frame of at least 3 bytes is over the maximum 2 (Delimited.Max)"},
		{"Delimited cut", splitErr(frame.Delimited{}, "ab", true),
			"frame.Delimited.Split: the stream ended after 2 bytes without a separator; the bytes read are in Partial"},
		{"Fixed Append over Size", appendErr(frame.Fixed{Size: 3}, []byte("abcd")),
			"frame: frame of 4 bytes is over the maximum 3 (Fixed.Size)"},
		{"Fixed cut", splitErr(frame.Fixed{Size: 3}, "ab", true),
			"frame.Fixed.Split: the stream ended after 2 of 3 bytes; the bytes read are in Partial"},
		{"Uvarint over Max", splitErr(frame.Uvarint{Max: 127}, "\x80\x01", false),
			"frame: frame of 128 bytes is over the maximum 127 (Uvarint.Max)"},
		{"Uvarint Append over Max", appendErr(frame.Uvarint{Max: 1}, []byte("ab")),
			"frame: frame of 2 bytes is over the maximum 1 (Uvarint.Max)"},
		{"Uvarint malformed", splitErr(frame.Uvarint{}, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", false),
			"frame.Uvarint: malformed frame at offset 9: the varint runs past 10 bytes or over 64 bits"},
		{"Uvarint cut", splitErr(frame.Uvarint{}, "\x80", true),
			"frame.Uvarint.Split: the stream ended after 1 bytes without a separator; the bytes read are in Partial"},
		{"Netstring over Max", splitErr(frame.Netstring{Max: 5}, "6:", false),
			"frame: frame of 6 bytes is over the maximum 5 (Netstring.Max)"},
		{"Netstring over int64", splitErr(frame.Netstring{}, strings.Repeat("9", 20), false),
			"frame: frame of at least 9223372036854775807 bytes is over the maximum 8388608 (Netstring.Max)"},
		{"Netstring leading zero", splitErr(frame.Netstring{}, "05:hello,", false),
			"frame.Netstring: malformed frame at offset 1: the length has a leading zero"},
		{"Netstring no comma", splitErr(frame.Netstring{}, "1:a;", false),
			"frame.Netstring: malformed frame at offset 3: the payload must be followed by ','"},
		{"Netstring no colon", splitErr(frame.Netstring{}, "1;", false),
			"frame.Netstring: malformed frame at offset 1: the length must be followed by ':'"},
		{"OctetCounting over Max", splitErr(frame.OctetCounting{Max: 5}, "6 ", false),
			"frame: frame of 6 bytes is over the maximum 5 (OctetCounting.Max)"},
		{"OctetCounting leading zero", splitErr(frame.OctetCounting{}, "05 hello", false),
			"frame.OctetCounting: malformed frame at offset 0: the length must start with a digit from 1 to 9"},
		{"OctetCounting not a digit", splitErr(frame.OctetCounting{}, "<34>1 x\n", false),
			"frame.OctetCounting: malformed frame at offset 0: the length must start with a digit"},
		{"OctetCounting non-transparent over Max", splitErr(frame.OctetCounting{NonTransparent: true, Max: 3}, "<1>a", false),
			"frame: frame of at least 4 bytes is over the maximum 3 (OctetCounting.Max)"},
		{"OctetCounting Append empty", appendErr(frame.OctetCounting{}, nil),
			"frame: payload cannot be encoded: OctetCounting: a message cannot be empty"},
		{"OctetCounting Append over Max", appendErr(frame.OctetCounting{Max: 2}, bytes.Repeat([]byte("m"), 3)),
			"frame: frame of 3 bytes is over the maximum 2 (OctetCounting.Max)"},
	} {
		err := tc.err()
		if err == nil {
			t.Errorf("%s: no error; want %q", tc.name, tc.want)
			continue
		}
		if got := err.Error(); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}
