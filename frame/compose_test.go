package frame_test

// Tests of the composition of frame.Readers with the bufio2.Reader under
// them: one buffer per stream, shared, with nothing read ahead and nothing
// lost when the framing changes.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/frame"
	"github.com/streamkit/streamkit/fuzz"
	"github.com/streamkit/streamkit/internal/readbuf"
	"github.com/streamkit/streamkit/internal/testenv"
)

// TestSwitchFramingLosesNothing is the case that used to lose the tail: a
// line, two netstrings, and a line again, read through one bufio2.Reader.
func TestSwitchFramingLosesNothing(t *testing.T) {
	for _, ch := range chunkings {
		br := bufio2.NewReader(ch.wrap([]byte("HEAD\n3:abc,3:def,tail line\n")))
		var got []string
		line, err := retry(br.ReadLine)
		got = append(got, fmt.Sprintf("%q %v", line, err))
		fr := frame.NewReader(br, frame.Netstring{})
		for range 2 {
			p, err := retry(fr.Next)
			got = append(got, fmt.Sprintf("%q %v", p, err))
		}
		got = append(got, fmt.Sprintf("buffered %v", fr.Buffered() == br.Buffered()))
		line, err = retry(br.ReadLine)
		got = append(got, fmt.Sprintf("%q %v", line, err))
		_, err = retry(br.ReadLine)
		got = append(got, fmt.Sprintf("%v", err))
		want := []string{`"HEAD\n" <nil>`, `"abc" <nil>`, `"def" <nil>`, "buffered true", `"tail line\n" <nil>`, "EOF"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("under %s (-want +got):\n%s", ch.name, diff)
		}
	}
}

// retry calls read until it returns something other than iotest's
// timeout, which a read must survive.
func retry(read func() ([]byte, error)) ([]byte, error) {
	for {
		p, err := read()
		if !errors.Is(err, iotest.ErrTimeout) {
			return p, err
		}
	}
}

// segment is one part of a composed stream and the read that takes it
// back: a line for bufio2's ReadLine, a count for ReadExactly, or a frame
// of a codec for a frame.Reader over the same bufio2.Reader.
type segment struct {
	kind    string // "line", "exactly", "frame"
	codec   frame.Codec
	payload []byte
}

// composeCodecs are the codecs a composed stream switches between; their
// payloads below are made of letters, which none of them gives a meaning
// to.
var composeCodecs = []frame.Codec{
	frame.Lines{}, frame.Lines{CRLF: true}, frame.Delimited{Seps: seps("\r\n", "\x00")},
	frame.Fixed{Size: 5}, frame.LengthPrefixed{}, frame.LengthPrefixed{Size: 1, Offset: 1},
	frame.LengthPrefixed{Size: 2, LittleEndian: true, Adjust: -2, Strip: 2},
	frame.Uvarint{}, frame.Netstring{}, frame.OctetCounting{},
}

func genSegment(t *rapid.T) segment {
	letters := rapid.SliceOfN(rapid.ByteRange('a', 'z'), 1, 300)
	switch rapid.IntRange(0, 3).Draw(t, "kind") {
	case 0:
		return segment{kind: "line", payload: append(letters.Draw(t, "line"), '\n')}
	case 1:
		return segment{kind: "exactly", payload: letters.Draw(t, "exactly")}
	}
	c := rapid.SampledFrom(composeCodecs).Draw(t, "codec")
	p := letters.Draw(t, "payload")
	if f, ok := c.(frame.Fixed); ok {
		p = bytes.Repeat([]byte{'f'}, f.Size)
	}
	return segment{kind: "frame", codec: c, payload: p}
}

// TestComposeInterleaving: any interleaving of bufio2 reads and
// frame.Readers with different codecs over one bufio2.Reader, under any
// chunking and any limit, reads back exactly what was written, and the
// stream ends where it should.
func TestComposeInterleaving(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		segs := rapid.SliceOfN(rapid.Custom(genSegment), 1, 12).Draw(t, "segments")
		var stream []byte
		for i := range segs {
			s := &segs[i]
			if s.kind != "frame" {
				stream = append(stream, s.payload...)
				continue
			}
			enc, err := s.codec.Append(nil, s.payload)
			if err != nil {
				t.Fatalf("Append(%#v, %q): %v", s.codec, s.payload, err)
			}
			stream = append(stream, enc...)
		}
		limit := rapid.SampledFrom([]int{1 << 10, 64 << 10}).Draw(t, "limit")
		br := bufio2.NewReaderLimit(fuzz.Chunking{Sizes: genChunks(t)}.Reader(stream), limit)
		var fr *frame.Reader
		var frCodec string
		for i, s := range segs {
			var got []byte
			var err error
			switch s.kind {
			case "line":
				got, err = br.ReadLine()
			case "exactly":
				got, err = br.ReadExactly(len(s.payload))
			default:
				// Reuse the Reader while the codec stays, else make one:
				// both must work.
				if name := fmt.Sprintf("%#v", s.codec); fr == nil || frCodec != name || rapid.Bool().Draw(t, "new reader") {
					fr, frCodec = frame.NewReader(br, s.codec), name
				}
				got, err = fr.Next()
			}
			if err != nil || !bytes.Equal(got, s.payload) {
				t.Fatalf("segment %d (%s %#v): %q, %v; want %q", i, s.kind, s.codec, got, err, s.payload)
			}
		}
		if _, err := br.ReadByte(); err != io.EOF {
			t.Fatalf("after the last segment: %v, want io.EOF", err)
		}
	})
}

// TestSharedChunkInvariance: every codec gives the same frames and errors
// through a frame.Reader over a bufio2.Reader of any limit, under any
// chunking, as over the whole stream.
func TestSharedChunkInvariance(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := genCodec(t)
		stream := genStream(t, c)
		o := rapid.SampledFrom([]frame.Oversized{frame.StopOversized, frame.SkipOversized}).Draw(t, "policy")
		want := wholeEvents(t, stream, c, o)
		limit := rapid.SampledFrom([]int{1, 7, 4096}).Draw(t, "limit")
		br := bufio2.NewReaderLimit(fuzz.Chunking{Sizes: genChunks(t)}.Reader(stream), limit)
		if diff := eventsDiff(want, readAll(t, br, c, o)); diff != "" {
			t.Fatalf("stream %q with %#v over a bufio2.Reader of limit %d (-whole +shared):\n%s", stream, c, limit, diff)
		}
	})
}

// TestNewReaderOverBufio2IsCheap: a frame.Reader over a bufio2.Reader has
// no buffer of its own.
func TestNewReaderOverBufio2IsCheap(t *testing.T) {
	br := bufio2.NewReader(strings.NewReader(strings.Repeat("0123456789", 1000)))
	if _, err := br.Peek(1); err != nil {
		t.Fatal(err)
	}
	alloc := totalAlloc(func() {
		for range 100 {
			frame.NewReader(br, frame.Fixed{Size: 10})
		}
	})
	if per := alloc / 100; per > 512 {
		t.Errorf("a frame.Reader over a bufio2.Reader allocates %d bytes; want no buffer", per)
	}
}

// TestErrorLeavesBufio2AtTheFrame: after a malformed frame the frame.Reader
// stays failed, and the bufio2.Reader stands at the start of the frame,
// so that the caller can read it another way.
func TestErrorLeavesBufio2AtTheFrame(t *testing.T) {
	br := bufio2.NewReader(strings.NewReader("3:abc,x:junk\nnext\n"))
	fr := frame.NewReader(br, frame.Netstring{})
	if p, err := fr.Next(); string(p) != "abc" || err != nil {
		t.Fatalf("Next = %q, %v", p, err)
	}
	_, err := fr.Next()
	var mal *errs.MalformedFrameError
	if !errors.As(err, &mal) || mal.Offset != 6 {
		t.Fatalf("Next = %v; want a MalformedFrameError at offset 6", err)
	}
	if _, again := fr.Next(); again != err {
		t.Errorf("Next after the error = %v; want the same error", again)
	}
	for _, want := range []string{"x:junk\n", "next\n"} {
		if line, err := br.ReadLine(); string(line) != want || err != nil {
			t.Errorf("ReadLine = %q, %v; want %q", line, err, want)
		}
	}
}

// heapInUse returns the live heap after a collection.
func heapInUse() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// stalledSource returns its header, then blocks until released, then
// returns io.EOF.
type stalledSource struct {
	header  []byte
	blocked chan struct{} // closed when the source blocks
	release chan struct{}
	once    sync.Once
}

func (s *stalledSource) Read(p []byte) (int, error) {
	if len(s.header) > 0 {
		n := copy(p, s.header)
		s.header = s.header[n:]
		return n, nil
	}
	s.once.Do(func() { close(s.blocked) })
	<-s.release
	return 0, io.EOF
}

// TestStalledLyingHeadersCostWhatWasSent: 32 peers that each sent a header
// declaring 8 MiB-1 bytes and then stalled cost what they sent (a buffer
// each), not what they declared: memory follows the bytes, never a
// peer's claim.
func TestStalledLyingHeadersCostWhatWasSent(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	const peers = 32
	release := make(chan struct{})
	before := heapInUse()
	var wg sync.WaitGroup
	var blocked []chan struct{}
	for range peers {
		src := &stalledSource{header: []byte{0x00, 0x7f, 0xff, 0xff}, blocked: make(chan struct{}), release: release}
		blocked = append(blocked, src.blocked)
		fr := frame.NewReader(bufio2.NewReader(src), frame.LengthPrefixed{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := fr.Next(); !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("Next = %v; want an incomplete frame", err)
			}
		}()
	}
	for _, b := range blocked {
		<-b
	}
	grew := int64(heapInUse()) - int64(before)
	close(release)
	wg.Wait()
	if per := grew / peers; per > 1<<20 {
		t.Errorf("%d stalled peers hold %d bytes each; want at most 1 MiB", peers, per)
	} else {
		t.Logf("%d stalled peers that declared 8 MiB-1 bytes each hold %d bytes each", peers, per)
	}
}

// TestLargeFrameGrowsWithTheBytes: a frame of 4 MiB that arrives in small
// reads grows the buffer by doubling, a read at a time, so that it never
// holds more than about twice what arrived.
func TestLargeFrameGrowsWithTheBytes(t *testing.T) {
	const size = 4 << 20
	payload := bytes.Repeat([]byte{'z'}, size)
	enc, err := frame.LengthPrefixed{}.Append(nil, payload)
	if err != nil {
		t.Fatal(err)
	}
	// Each read returns 64 KiB, and the test watches the buffer's size
	// against what has arrived.
	var arrived int
	var br *bufio2.Reader
	watch := readFunc(func(p []byte) (int, error) {
		if arrived == len(enc) {
			return 0, io.EOF
		}
		if b := len(readbuf.Of(br).Buf); b > 2*arrived+2*bufio2.DefaultLimit {
			t.Fatalf("buffer of %d bytes after %d bytes arrived", b, arrived)
		}
		n := copy(p[:min(len(p), 64<<10)], enc[arrived:])
		arrived += n
		return n, nil
	})
	br = bufio2.NewReader(watch)
	p, err := frame.NewReader(br, frame.LengthPrefixed{}).Next()
	if err != nil || len(p) != size {
		t.Fatalf("Next = %d bytes, %v; want %d", len(p), err, size)
	}
}

type readFunc func(p []byte) (int, error)

func (f readFunc) Read(p []byte) (int, error) { return f(p) }

// TestIteratorOwnership: All yields copies that stay valid after the loop;
// AllSlice yields views, as its name says.
func TestIteratorOwnership(t *testing.T) {
	stream := "aaaa\nbbbb\ncccc\n"
	var kept [][]byte
	for p, err := range frame.NewReader(strings.NewReader(stream), frame.Lines{}).All() {
		if err != nil {
			t.Fatal(err)
		}
		kept = append(kept, p)
	}
	if diff := cmp.Diff([]string{"aaaa", "bbbb", "cccc"}, toStrings(kept)); diff != "" {
		t.Errorf("frames kept from All (-want +got):\n%s", diff)
	}
	var views []string
	for p, err := range frame.NewReader(strings.NewReader(stream), frame.Lines{}).AllSlice() {
		if err != nil {
			t.Fatal(err)
		}
		views = append(views, string(p))
	}
	if diff := cmp.Diff([]string{"aaaa", "bbbb", "cccc"}, views); diff != "" {
		t.Errorf("frames from AllSlice (-want +got):\n%s", diff)
	}
}

func toStrings(ps [][]byte) []string {
	var s []string
	for _, p := range ps {
		s = append(s, string(p))
	}
	return s
}
