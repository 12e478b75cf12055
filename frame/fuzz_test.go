package frame_test

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"testing"
	"testing/iotest"

	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/frame"
)

// The fuzz targets, one per decoder, check on any input that decoding
//   - never panics, and gives the same frames and errors one byte at a
//     time as at once;
//   - allocates no more than the maximum frame and a constant, even when
//     the input, repeated, makes a stream far longer than that;
//   - agrees with the round trip: the input cut into payloads, encoded
//     with a Writer, decodes to those payloads; and the frames decoded
//     from the input, encoded again, decode to themselves.
// Their seed corpora are in testdata/fuzz.

// fuzzMax maps a fuzzed number to a small maximum, so that the memory
// bound means something.
func fuzzMax(m uint16) int { return int(m)%1024 + 1 }

func fuzzDecoder(t *testing.T, c frame.Limited, data []byte) {
	// No panic, and chunk invariance.
	want := wholeEvents(t, data, c, frame.StopOversized)
	got := readAll(t, iotest.OneByteReader(bytes.NewReader(data)), c, frame.StopOversized)
	if diff := eventsDiff(want, got); diff != "" {
		t.Fatalf("%#v on %q (-whole +one byte at a time):\n%s", c, data, diff)
	}
	skipping := readAll(t, iotest.HalfReader(bytes.NewReader(data)), c, frame.SkipOversized)
	if diff := eventsDiff(wholeEvents(t, data, c, frame.SkipOversized), skipping); diff != "" {
		t.Fatalf("%#v on %q, skipping (-whole +half reads):\n%s", c, data, diff)
	}

	fuzzMemory(t, c, data)
	fuzzRoundTrip(t, c, data, want)
}

// repeatReader is data repeated until n bytes have been read.
type repeatReader struct {
	data []byte
	off  int
	n    int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n <= 0 || len(r.data) == 0 {
		return 0, io.EOF
	}
	m := copy(p[:min(len(p), r.n)], r.data[r.off:])
	r.off = (r.off + m) % len(r.data)
	r.n -= m
	return m, nil
}

// fuzzStream and fuzzFrames bound the stream fuzzMemory decodes: 64 KiB,
// or 2048 frames if that comes first. The frames bound keeps an input of
// tiny frames ("\x00" for Uvarint) from costing tens of thousands of
// calls, and so the fuzzer fast; it still catches a leak of a word a frame
// (2048 frames of 16 bytes each are over the bound for any maximum up to
// 4 KiB), and one a byte where frames are long.
const (
	fuzzStream = 64 << 10
	fuzzFrames = 2048
)

func fuzzMemory(t *testing.T, c frame.Limited, data []byte) {
	src := &repeatReader{data: data, n: fuzzStream}
	r := frame.NewReader(src, c)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range fuzzFrames {
		if _, err := r.Next(); err != nil {
			break
		}
	}
	runtime.ReadMemStats(&after)
	// The buffer starts at 4 KiB and at most doubles past the maximum;
	// an error holds at most a frame.
	bound := 16<<10 + 4*uint64(c.MaxFrame())
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > bound {
		t.Fatalf("%#v on %q repeated to %d bytes (or %d frames): allocated %d bytes; want at most %d", c, data, fuzzStream, fuzzFrames, alloc, bound)
	}
}

func fuzzRoundTrip(t *testing.T, c frame.Limited, data []byte, decoded []event) {
	// The input cut into payloads at 0xfe bytes, as far as the codec can
	// encode them.
	var sent [][]byte
	var out bytes.Buffer
	w := frame.NewWriterSize(&out, c, 64)
	for _, p := range bytes.Split(data, []byte{0xfe}) {
		if f, ok := c.(frame.Fixed); ok && len(p) > f.Size {
			p = p[:f.Size]
		}
		err := w.WriteFrame(p)
		if err == nil {
			sent = append(sent, p)
			continue
		}
		var tl *errs.FrameTooLargeError
		if !errors.Is(err, frame.ErrInvalidPayload) && !errors.As(err, &tl) {
			t.Fatalf("WriteFrame(%q): %v", p, err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r := frame.NewReader(bytes.NewReader(out.Bytes()), c)
	for _, p := range sent {
		got, err := r.Next()
		if err != nil {
			t.Fatalf("%#v: decoding the encoded %q: %v", c, p, err)
		}
		if !samePayload(c, p, got) {
			t.Fatalf("%#v: %q came back as %q", c, p, got)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("%#v: after the encoded frames: %v", c, err)
	}

	// The frames decoded from the input, encoded again, decode to
	// themselves.
	var frames [][]byte
	out.Reset()
	w = frame.NewWriter(&out, c)
	for _, e := range decoded {
		if e.Frame == "" && (e.TooLarge != nil || e.Malformed != nil || e.Incomplete != nil || e.Other != nil) {
			break
		}
		if err := w.WriteFrame([]byte(e.Frame)); err != nil {
			continue // not every frame decodes from an encoding (Lines' last line "a\r"...)
		}
		frames = append(frames, []byte(e.Frame))
	}
	w.Flush()
	var want []event
	for _, f := range frames {
		want = append(want, frameEvent(string(f)))
	}
	if diff := eventsDiff(want, wholeEvents(t, out.Bytes(), c, frame.StopOversized)); diff != "" {
		t.Fatalf("%#v: decoded frames re-encoded as %q (-want +got):\n%s", c, out.Bytes(), diff)
	}
}

func FuzzLines(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, max uint16, crlf bool) {
		fuzzDecoder(t, frame.Lines{Max: fuzzMax(max), CRLF: crlf}, data)
	})
}

func FuzzDelimited(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, sepSpec []byte, max uint16) {
		// Separators: sepSpec cut at 0xff bytes, empty ones dropped.
		var ss [][]byte
		for _, s := range bytes.Split(sepSpec, []byte{0xff}) {
			if len(s) > 0 && len(s) <= 16 && len(ss) < 4 {
				ss = append(ss, s)
			}
		}
		fuzzDecoder(t, frame.Delimited{Seps: ss, Max: fuzzMax(max)}, data)
	})
}

func FuzzFixed(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, size uint8) {
		fuzzDecoder(t, frame.Fixed{Size: int(size)%64 + 1}, data)
	})
}

func FuzzLengthPrefixed(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, size uint8, little bool, offset uint8, adjust int8, strip uint8, max uint16) {
		c := frame.LengthPrefixed{
			Size:         []int{0, 1, 2, 3, 4, 8}[size%6],
			LittleEndian: little,
			Offset:       int(offset % 8),
			Adjust:       int(adjust),
			Strip:        int(strip%16) - 1, // KeepHeader to 14
			Max:          fuzzMax(max),
		}
		fuzzDecoder(t, c, data)
	})
}

func FuzzUvarint(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, max uint16) {
		fuzzDecoder(t, frame.Uvarint{Max: fuzzMax(max)}, data)
	})
}

func FuzzNetstring(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, max uint16) {
		fuzzDecoder(t, frame.Netstring{Max: fuzzMax(max)}, data)
	})
}

func FuzzOctetCounting(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, max uint16) {
		fuzzDecoder(t, frame.OctetCounting{Max: fuzzMax(max)}, data)
	})
}

// FuzzUvarintOffset: Uvarint with a prefix before the varint (MQTT's fixed
// header), each Strip and each MaxLen.
func FuzzUvarintOffset(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, max uint16, offset uint8, strip uint8) {
		off := int(offset % 8)
		maxLen := int(offset/8) % 11 // 0 to 10
		c := frame.Uvarint{Offset: off, Strip: int(strip)%(off+2) - 1, Max: fuzzMax(max), MaxLen: maxLen}
		fuzzDecoder(t, c, data)
	})
}

// FuzzOctetCountingNonTransparent: octet counting and non-transparent
// framing, told apart frame by frame.
func FuzzOctetCountingNonTransparent(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, max uint16) {
		fuzzDecoder(t, frame.OctetCounting{NonTransparent: true, Max: fuzzMax(max)}, data)
	})
}

// FuzzTyped: for a LengthPrefixed or a Uvarint with Offset 1, reading a
// typed message (typedFrame) agrees with Split with the header kept, on any
// input and at either end; and a typed message written by WriteTyped is
// read back as its type byte and body.
func FuzzTyped(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, uvarint bool, size uint8, little bool, adjust int8, max uint16, typ byte, body []byte) {
		var c, keep frame.Codec
		if uvarint {
			c = frame.Uvarint{Offset: 1, Max: fuzzMax(max)}
			keep = frame.Uvarint{Offset: 1, Strip: frame.KeepHeader, Max: fuzzMax(max)}
		} else {
			lp := frame.LengthPrefixed{Offset: 1, Size: []int{0, 1, 2, 3, 4, 8}[size%6], LittleEndian: little, Adjust: int(adjust), Max: fuzzMax(max)}
			c = lp
			lp.Strip = frame.KeepHeader
			keep = lp
		}
		for _, atEOF := range []bool{false, true} {
			adv, tok, serr := keep.Split(data, atEOF)
			hdr, n, terr := frame.TypedFrame(c, data, atEOF)
			if diff := eventDiff(toEvent(tok, serr), toEvent(data[:n], terr)); diff != "" || adv != n {
				t.Fatalf("%#v on %q, atEOF %v: advance %d and %d (-Split +typedFrame):\n%s", c, data, atEOF, adv, n, diff)
			}
			if n > 0 && (hdr < 2 || hdr > n) {
				t.Fatalf("%#v on %q: hdr %d, n %d", c, data, hdr, n)
			}
		}

		var out bytes.Buffer
		w := frame.NewWriterSize(&out, c, 64)
		err := w.WriteTyped(typ, body)
		want, aerr := frame.AppendTyped(c, nil, typ, body)
		if (err == nil) != (aerr == nil) {
			t.Fatalf("%#v: WriteTyped error %v, appendTyped error %v", c, err, aerr)
		}
		if err != nil {
			var tl *errs.FrameTooLargeError
			if !errors.Is(err, frame.ErrInvalidPayload) && !errors.As(err, &tl) {
				t.Fatalf("%#v: WriteTyped: %v", c, err)
			}
			return
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), want) {
			t.Fatalf("%#v: WriteTyped wrote %q, appendTyped gives %q", c, out.Bytes(), want)
		}
		hdr, n, err := frame.TypedFrame(c, out.Bytes(), true)
		if err != nil || n != out.Len() || out.Bytes()[0] != typ || !bytes.Equal(out.Bytes()[hdr:n], body) {
			t.Fatalf("%#v: %q read back as %d, %d, %v", c, out.Bytes(), hdr, n, err)
		}
	})
}
