package frame_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"

	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/frame"
	"github.com/streamkit/streamkit/fuzz"
)

// alphabet is what payloads and garbage are made of: the bytes every
// codec's format gives a meaning to, and a few that it does not.
var alphabet = []byte("ab\r\n\x00:, 0123456789\x80\x7f\xff")

func genBytes(minLen, maxLen int) *rapid.Generator[[]byte] {
	return rapid.OneOf(
		rapid.SliceOfN(rapid.SampledFrom(alphabet), minLen, maxLen),
		rapid.SliceOfN(rapid.Byte(), minLen, maxLen),
	)
}

var genMax = rapid.SampledFrom([]int{0, 1, 2, 3, 5, 8, 16, 100})

func genSeparators(t *rapid.T) [][]byte {
	pool := [][]byte{[]byte("\n"), []byte("\r\n"), []byte("\x00"), []byte("ab"), []byte("aba"), []byte("::"), []byte("b")}
	return rapid.SliceOfNDistinct(rapid.SampledFrom(pool), 1, 3, func(b []byte) string { return string(b) }).Draw(t, "seps")
}

func genLengthPrefixed(t *rapid.T, max int) frame.LengthPrefixed {
	return frame.LengthPrefixed{
		Size:         rapid.SampledFrom([]int{0, 1, 2, 3, 4, 8}).Draw(t, "size"),
		LittleEndian: rapid.Bool().Draw(t, "little"),
		Offset:       rapid.IntRange(0, 3).Draw(t, "offset"),
		Adjust:       rapid.IntRange(-6, 6).Draw(t, "adjust"),
		Strip:        rapid.SampledFrom([]int{0, 0, frame.KeepHeader, 1, 2, 3, 4, 6, 10}).Draw(t, "strip"),
		Max:          max,
	}
}

func genUvarint(t *rapid.T, max int) frame.Uvarint {
	offset := rapid.IntRange(0, 3).Draw(t, "offset")
	return frame.Uvarint{
		Offset: offset,
		Strip:  rapid.SampledFrom([]int{0, 0, frame.KeepHeader, offset}).Draw(t, "strip"),
		Max:    max,
	}
}

// genCodec makes a codec of the catalogue with random settings, and small
// maximums so that frames run over them.
func genCodec(t *rapid.T) frame.Limited {
	max := genMax.Draw(t, "max")
	switch rapid.IntRange(0, 6).Draw(t, "codec") {
	case 0:
		return frame.Lines{Max: max, CRLF: rapid.Bool().Draw(t, "crlf")}
	case 1:
		return frame.Delimited{Seps: genSeparators(t), Max: max}
	case 2:
		return frame.Fixed{Size: rapid.IntRange(1, 8).Draw(t, "fixed")}
	case 3:
		return genLengthPrefixed(t, max)
	case 4:
		return genUvarint(t, max)
	case 5:
		return frame.Netstring{Max: max}
	default:
		return frame.OctetCounting{Max: max, NonTransparent: rapid.Bool().Draw(t, "nontransparent")}
	}
}

func genPayload(t *rapid.T, c frame.Codec) []byte {
	switch c := c.(type) {
	case frame.Fixed:
		return genBytes(c.Size, c.Size).Draw(t, "payload")
	case frame.Uvarint:
		if c.Strip != 0 && rapid.IntRange(0, 3).Draw(t, "kept") > 0 {
			// The payload keeps the varint: make it a frame.
			kept := c.Offset
			if c.Strip > 0 {
				kept -= c.Strip
			}
			p := genBytes(kept, kept).Draw(t, "prefix")
			body := genBytes(0, 24).Draw(t, "body")
			return append(binary.AppendUvarint(p, uint64(len(body))), body...)
		}
	}
	return genBytes(0, 24).Draw(t, "payload")
}

// genStream makes a stream for c: frames that c encodes, and garbage.
func genStream(t *rapid.T, c frame.Codec) []byte {
	var s []byte
	for range rapid.IntRange(0, 8).Draw(t, "parts") {
		if oc, ok := c.(frame.OctetCounting); ok && oc.NonTransparent && rapid.Bool().Draw(t, "lf-framed") {
			// A non-transparent message: no digit first, no LF inside.
			first := rapid.SampledFrom([]byte("<a \r\n\x00\xff")).Draw(t, "first")
			msg := bytes.ReplaceAll(genBytes(0, 12).Draw(t, "message"), []byte("\n"), nil)
			s = append(append(s, first), msg...)
			if rapid.IntRange(0, 4).Draw(t, "trailer") > 0 {
				s = append(s, '\n')
			}
			continue
		}
		if rapid.IntRange(0, 3).Draw(t, "kind") > 0 {
			if enc, err := c.Append(s, genPayload(t, c)); err == nil {
				s = enc
				continue
			}
		}
		s = append(s, genBytes(1, 12).Draw(t, "garbage")...)
	}
	return s
}

// genChunks makes a plan of read sizes, small ones and empty reads among
// them.
func genChunks(t *rapid.T) []int {
	return rapid.SliceOfN(rapid.OneOf(rapid.IntRange(0, 3), rapid.IntRange(1, 40)), 0, 40).Draw(t, "chunks")
}

// TestRoundTrip: payloads written with a Writer come back from a Reader,
// for every codec and setting, whatever the buffer size and chunking.
// Payloads that Append refuses are left out. With LengthPrefixed keeping
// (part of) its length field, the payload comes back with the field
// filled in, and equal elsewhere.
func TestRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := genCodec(t)
		var out bytes.Buffer
		w := frame.NewWriterSize(&out, c, rapid.IntRange(1, 64).Draw(t, "wsize"))
		var sent [][]byte
		for range rapid.IntRange(0, 10).Draw(t, "frames") {
			p := genPayload(t, c)
			_, aerr := c.Append(nil, p)
			err := w.WriteFrame(p)
			if (aerr == nil) != (err == nil) {
				t.Fatalf("Append error %v, WriteFrame error %v", aerr, err)
			}
			if err == nil {
				sent = append(sent, p)
			} else if !errors.Is(err, frame.ErrInvalidPayload) && !errors.As(err, new(*errs.FrameTooLargeError)) {
				t.Fatalf("WriteFrame: %v", err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		r := frame.NewReader(fuzz.Chunking{Sizes: genChunks(t)}.Reader(out.Bytes()), c)
		for i, p := range sent {
			got, err := r.Next()
			if err != nil {
				t.Fatalf("frame %d: %v", i, err)
			}
			checkSame(t, c, p, got)
		}
		if p, err := r.Next(); err != io.EOF {
			t.Fatalf("after the frames: %q, %v; want io.EOF", p, err)
		}
	})
}

// checkSame checks that got, decoded, is payload p as encoded.
func checkSame(t *rapid.T, c frame.Codec, p, got []byte) {
	if !samePayload(c, p, got) {
		t.Fatalf("got %q; want %q", got, p)
	}
}

// samePayload reports whether got, decoded, is payload p as encoded: the
// same, but for a LengthPrefixed that keeps (part of) its length field in
// the payload, where Append fills the field in.
func samePayload(c frame.Codec, p, got []byte) bool {
	lp, ok := c.(frame.LengthPrefixed)
	if !ok || len(p) != len(got) {
		return bytes.Equal(p, got)
	}
	size := lp.Size
	if size == 0 {
		size = 4
	}
	strip := lp.Strip
	switch strip {
	case 0:
		strip = lp.Offset + size
	case frame.KeepHeader:
		strip = 0
	}
	// The length field's place in the payload.
	lo, hi := max(lp.Offset-strip, 0), max(lp.Offset+size-strip, 0)
	return bytes.Equal(p[:lo], got[:lo]) && bytes.Equal(p[hi:], got[hi:])
}

// genSplitFunc makes a SplitFunc codec from the standard library's.
func genSplitFunc(t *rapid.T) frame.Limited {
	return frame.SplitFunc{
		Func: rapid.SampledFrom([]bufio.SplitFunc{bufio.ScanLines, bufio.ScanWords, bufio.ScanRunes}).Draw(t, "split"),
		Max:  rapid.IntRange(1, 8).Draw(t, "max"),
	}
}

// TestChunkInvariance: the same stream gives the same frames and errors,
// at the same frame, under any chunking and both oversize policies.
func TestChunkInvariance(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := rapid.OneOf(rapid.Custom(genCodec), rapid.Custom(genSplitFunc)).Draw(t, "codec")
		stream := genStream(t, c)
		o := rapid.SampledFrom([]frame.Oversized{frame.StopOversized, frame.SkipOversized}).Draw(t, "policy")
		want := wholeEvents(t, stream, c, o)
		got := readAll(t, fuzz.Chunking{Sizes: genChunks(t)}.Reader(stream), c, o)
		if diff := eventsDiff(want, got); diff != "" {
			t.Fatalf("stream %q with %#v (-whole +chunked):\n%s", stream, c, diff)
		}
		ch := rapid.SampledFrom(chunkings).Draw(t, "iotest")
		if diff := eventsDiff(want, readAll(t, ch.wrap(stream), c, o)); diff != "" {
			t.Fatalf("stream %q with %#v (-whole +%s):\n%s", stream, c, ch.name, diff)
		}
	})
}

// scanAll runs split in a bufio.Scanner that may buffer max bytes.
func scanAll(data []byte, split bufio.SplitFunc, max int) []event {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Split(split)
	sc.Buffer(make([]byte, 0, 16), max)
	var evs []event
	for sc.Scan() {
		evs = append(evs, frameEvent(sc.Text()))
	}
	if err := sc.Err(); err != nil {
		evs = append(evs, toEvent(nil, err))
	}
	return evs
}

// TestScannerInterop: every codec's Split, run in a bufio.Scanner, gives
// the frames and the error a Reader gives. (The Scanner cannot tell where
// in the stream an error is: offsets are not compared.)
func TestScannerInterop(t *testing.T) {
	ignoreOffsets := cmp.Options{eventOpts,
		cmpopts.IgnoreFields(errs.FrameTooLargeError{}, "Offset"),
		cmpopts.IgnoreFields(errs.MalformedFrameError{}, "Offset"),
		cmpopts.IgnoreFields(errs.IncompleteReadError{}, "Offset")}
	rapid.Check(t, func(t *rapid.T) {
		c := genCodec(t)
		stream := genStream(t, c)
		want := wholeEvents(t, stream, c, frame.StopOversized)
		got := scanAll(stream, c.Split, c.MaxFrame()+1)
		if diff := cmp.Diff(want, got, ignoreOffsets); diff != "" {
			t.Fatalf("stream %q with %#v (-Reader +Scanner):\n%s", stream, c, diff)
		}
	})
}

// TestScannerInteropVectors runs the known vectors of each codec in a
// Scanner, with their offsets: a Scanner's errors have offsets within the
// frame, which the first frame's are. (An incomplete frame at the end of
// the stream is not at the start: its offset is not compared.)
func TestScannerInteropVectors(t *testing.T) {
	for _, tc := range []struct {
		c  frame.Limited
		in string
	}{
		{frame.Lines{}, "hello\r\nworld\nlast"},
		{frame.Delimited{Seps: seps("\r\n", "\x00")}, "PING\r\na\x00b"},
		{frame.Fixed{Size: 3}, "abcdefgh"},
		{frame.LengthPrefixed{Offset: 1, Size: 2, Adjust: -3, Strip: 3}, "\xca\x00\x10\xfeHELLO, WORLD"},
		{frame.Uvarint{}, "\x96\x01" + string(make([]byte, 150)) + "\x00"},
		{frame.Uvarint{}, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02"},
		{frame.Uvarint{Offset: 1, Strip: frame.KeepHeader}, "\x30\x0a\x00\x03a/bhello\xc0\x00"},
		{frame.Uvarint{Offset: 1, Max: 3}, "\x30\x0a\x00\x03a/bhello"},
		{frame.Netstring{}, "12:hello world!,0:,"},
		{frame.Netstring{}, "3:abc;"},
		{frame.OctetCounting{}, "5 hello11 <34>1 hello"},
		{frame.OctetCounting{Max: 3}, "5 hello"},
		{frame.OctetCounting{NonTransparent: true}, "<1>a\n\n5 hello<2>b"},
		{frame.OctetCounting{NonTransparent: true, Max: 3}, "<1>abc\n"},
	} {
		want := wholeEvents(t, []byte(tc.in), tc.c, frame.StopOversized)
		got := scanAll([]byte(tc.in), tc.c.Split, tc.c.MaxFrame()+1)
		if diff := cmp.Diff(want, got, eventOpts, cmpopts.IgnoreFields(errs.IncompleteReadError{}, "Offset")); diff != "" {
			t.Errorf("%#v on %q (-Reader +Scanner):\n%s", tc.c, tc.in, diff)
		}
	}
	// As the package doc promises: scanner.Split(frame.Lines{}.Split).
	sc := bufio.NewScanner(bytes.NewReader([]byte("a\r\nb\n")))
	sc.Split(frame.Lines{}.Split)
	var got []string
	for sc.Scan() {
		got = append(got, sc.Text())
	}
	if diff := cmp.Diff([]string{"a", "b"}, got); diff != "" || sc.Err() != nil {
		t.Errorf("Scanner with Lines.Split (-want +got): %v\n%s", sc.Err(), diff)
	}
}

// TestChunkInvarianceIotest runs the chunk invariance property on a fixed
// set of streams under every reader of testing/iotest.
func TestChunkInvarianceIotest(t *testing.T) {
	codecs := []frame.Codec{
		frame.Lines{Max: 4}, frame.Delimited{Seps: seps("ab", "b", "\r\n"), Max: 3}, frame.Fixed{Size: 3},
		frame.LengthPrefixed{Size: 1, Max: 4}, frame.LengthPrefixed{Size: 2, Offset: 1, Adjust: -3, Strip: 3, LittleEndian: true},
		frame.Uvarint{Max: 4}, frame.Uvarint{Offset: 1, Strip: frame.KeepHeader, Max: 4}, frame.Uvarint{Offset: 2, Strip: 1, Max: 4},
		frame.Netstring{Max: 4}, frame.OctetCounting{Max: 4}, frame.OctetCounting{Max: 4, NonTransparent: true},
	}
	streams := []string{
		"", "a\n", "abcdefgh\n\r\n", "\x02ab\x09abcdefghi\x01a", "2:ab,9:abcdefghi,1:a,", "2 ab9 abcdefghi1 a",
		"ab\r\nbb", "\x00\x05\x00xy\x03\x00\x00abcdef", "05:hello,", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",
		"<1>a\n\n3 abc<2>abcdef\n<3>", "\n\n\n", "9 abcdefghi\n<1>\n",
	}
	for _, c := range codecs {
		for _, o := range []frame.Oversized{frame.StopOversized, frame.SkipOversized} {
			for _, s := range streams {
				want := wholeEvents(t, []byte(s), c, o)
				for _, ch := range chunkings {
					if diff := eventsDiff(want, readAll(t, ch.wrap([]byte(s)), c, o)); diff != "" {
						t.Errorf("%#v, policy %d, %q under %s (-whole +chunked):\n%s", c, o, s, ch.name, diff)
					}
				}
			}
		}
	}
}

// TestDataErrReaderAtEveryByte: a source whose error comes with its last
// data, cut at every byte.
func TestDataErrReaderAtEveryByte(t *testing.T) {
	stream := []byte("3:abc,0:,10:0123456789,")
	want := wholeEvents(t, stream, frame.Netstring{}, frame.StopOversized)
	for i := range len(stream) + 1 {
		src := io.MultiReader(bytes.NewReader(stream[:i]), iotest.DataErrReader(bytes.NewReader(stream[i:])))
		if diff := eventsDiff(want, readAll(t, src, frame.Netstring{}, frame.StopOversized)); diff != "" {
			t.Errorf("cut at %d (-want +got):\n%s", i, diff)
		}
	}
}
