package fuzz_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/frame"
	"github.com/streamkit/streamkit/fuzz"
)

// fzCodec decodes a codec of the catalogue, or a SplitFunc, from the
// fuzzer's numbers: kind%8 picks it, max%1025 is its Max (0: the codec's
// default), and cfg holds its other settings.
func fzCodec(kind uint8, max uint16, cfg []byte) frame.Codec {
	m := int(max % 1025)
	at := func(i int) byte {
		if i < len(cfg) {
			return cfg[i]
		}
		return 0
	}
	switch kind % 8 {
	case 0:
		return frame.Lines{Max: m, CRLF: at(0)&1 != 0}
	case 1:
		// Separators: cfg cut at 0xff bytes, empty ones dropped.
		var seps [][]byte
		for _, s := range bytes.Split(cfg, []byte{0xff}) {
			if len(s) > 0 && len(s) <= 16 && len(seps) < 4 {
				seps = append(seps, s)
			}
		}
		return frame.Delimited{Seps: seps, Max: m}
	case 2:
		return frame.Fixed{Size: 1 + int(at(0)%64)}
	case 3:
		return frame.LengthPrefixed{
			Size:         []int{0, 1, 2, 3, 4, 8}[at(0)%6],
			LittleEndian: at(1)&1 != 0,
			Offset:       int(at(1) >> 1 & 7),
			Adjust:       int(int8(at(2))),
			Strip:        int(at(3)%16) - 1, // KeepHeader to 14
			Max:          m,
		}
	case 4:
		// cfg[0]: the prefix before the varint; cfg[1]: Strip (0 the
		// default, 1 KeepHeader, then 1 to Offset).
		off := int(at(0) % 4)
		strip := int(at(1)) % (off + 2)
		if strip == 1 {
			strip = frame.KeepHeader
		} else if strip > 1 {
			strip--
		}
		return frame.Uvarint{Offset: off, Strip: strip, Max: m}
	case 5:
		return frame.Netstring{Max: m}
	case 6:
		return frame.OctetCounting{Max: m, NonTransparent: at(0)&1 != 0}
	}
	split := []bufio.SplitFunc{bufio.ScanLines, bufio.ScanWords, bufio.ScanRunes, bufio.ScanBytes}[at(0)%4]
	return frame.SplitFunc{Func: split, Max: m}
}

// readFrames decodes a stream of size bytes with c to its end, retrying
// after timeouts, and describes every frame and error. It stops at an
// error the Reader returns again (it stays failed).
func readFrames(size int, c frame.Codec, skip bool) func(io.Reader) ([]string, error) {
	return func(src io.Reader) ([]string, error) {
		r := frame.NewReader(src, c)
		if skip {
			r.SetOversized(frame.SkipOversized)
		}
		var out []string
		var last error
		for calls := 0; calls < maxCalls(size, 0); calls++ {
			p, err := r.Next()
			var tooLarge *errs.FrameTooLargeError
			var malformed *errs.MalformedFrameError
			var incomplete *errs.IncompleteReadError
			switch {
			case err == io.EOF:
				return out, nil
			case fuzz.IsTimeout(err):
				continue
			case err != nil && err == last:
				return out, nil
			case err == nil:
				out = append(out, fmt.Sprintf("frame %q", p))
			case errors.As(err, &tooLarge):
				out = append(out, fmt.Sprintf("too large %+v", *tooLarge))
			case errors.As(err, &malformed):
				out = append(out, fmt.Sprintf("malformed %+v", *malformed))
			case errors.As(err, &incomplete):
				out = append(out, fmt.Sprintf("incomplete %q of %d", incomplete.Partial, incomplete.Expected))
			default:
				return out, err
			}
			last = err
		}
		return out, errNoEnd
	}
}

// FuzzFrameCodecs: every codec, through a frame.Reader, gives the same
// frames and errors, at the same offsets, whatever the chunking, with
// timeouts retried, under both oversize policies (frame's package doc:
// "Decoding does not depend on how the stream is chunked").
func FuzzFrameCodecs(f *testing.F) {
	for _, s := range []struct {
		data string
		plan []byte
		kind uint8
		max  uint16
		cfg  []byte
		skip bool
	}{
		{"hello\r\nworld\nthis line is too long\nlast", []byte{3, 0x80, 4}, 0, 8, []byte{0}, true},
		{"PING\r\na\x00b\r\n\r\n", []byte{5, 0x81, 0x7f}, 1, 16, []byte("\r\n\xff\x00"), false},
		{"abcdefgh", []byte{1, 1, 0x80}, 2, 0, []byte{2}, false},
		{"\xca\x00\x10\xfeHELLO, WORLD\x00\x00\x00\x00", []byte{2, 0x80, 1}, 3, 0, []byte{2, 2, 0xfd, 3}, false},
		{"\x00\x00\x00\x05hello\x00\x00\x00\x40" + string(make([]byte, 64)) + "\x00\x00\x00\x01z", []byte{2, 0x82}, 3, 16, []byte{4}, true},
		{"\x05hello\x96\x01" + string(make([]byte, 150)) + "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", []byte{1, 0x80}, 4, 100, nil, true},
		{"\x20\x02\x00\x00\x30\x0a\x00\x03a/bhello\x30\x80\x01" + string(make([]byte, 128)) + "\xd0\x00", []byte{2, 0x81}, 4, 64, []byte{1, 1}, true},
		{"12:hello world!,0:,3:abc;", []byte{3, 0x83, 0x80}, 5, 0, nil, false},
		{"5 hello11 <34>1 hello2 ab", []byte{0x82, 6}, 6, 9, nil, true},
		{"<34>1 hello\n\n5 hello<1>1 this one is too long\n<2>1 x", []byte{0x83, 2, 0x81}, 6, 12, []byte{1}, true},
		{"one two  three\nfour", []byte{0, 2, 0x85}, 7, 8, []byte{1}, false},
	} {
		f.Add([]byte(s.data), s.plan, s.kind, s.max, s.cfg, s.skip)
	}
	f.Fuzz(func(t *testing.T, data, plan []byte, kind uint8, max uint16, cfg []byte, skip bool) {
		data = data[:min(len(data), maxInput)]
		c := fzCodec(kind, max, cfg)
		fuzz.Checker[[]string]{Plan: cutPlan(plan), Timeouts: true}.Check(t, data, readFrames(len(data), c, skip))
	})
}
