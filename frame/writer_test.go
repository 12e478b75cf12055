package frame_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/frame"
)

// recordingWriter keeps every Write's argument, as it was passed.
type recordingWriter struct {
	writes [][]byte
	all    bytes.Buffer
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	w.writes = append(w.writes, p)
	w.all.Write(p)
	return len(p), nil
}

// TestWriterBatches: small frames reach the underlying writer in few
// writes, each as full as the buffer allows.
func TestWriterBatches(t *testing.T) {
	rec := &recordingWriter{}
	w := frame.NewWriter(rec, frame.LengthPrefixed{})
	payload := bytes.Repeat([]byte("p"), 16)
	const frames = 1000 // 20 bytes each
	for range frames {
		if err := w.WriteFrame(payload); err != nil {
			t.Fatal(err)
		}
	}
	if len(rec.writes) > frames*20/frame.DefaultWriterSize {
		t.Errorf("%d writes before Flush", len(rec.writes))
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if max := frames*20/(frame.DefaultWriterSize-64) + 1; len(rec.writes) > max {
		t.Errorf("%d writes for %d bytes of 20-byte frames; want at most %d", len(rec.writes), frames*20, max)
	}
	for i, p := range rec.writes[:len(rec.writes)-1] {
		if len(p) < frame.DefaultWriterSize-64 {
			t.Errorf("write %d has %d bytes; want a full buffer", i, len(p))
		}
	}
	if rec.all.Len() != frames*20 {
		t.Errorf("wrote %d bytes; want %d", rec.all.Len(), frames*20)
	}
	if w.Buffered() != 0 {
		t.Errorf("Buffered after Flush = %d", w.Buffered())
	}
}

// TestWriterWritesLargePayloadsThrough: a payload larger than the buffer
// goes to the underlying writer as it is, not copied, for every codec that
// frames payloads unchanged; the stream is the same as Append's.
func TestWriterWritesLargePayloadsThrough(t *testing.T) {
	payload := bytes.Repeat([]byte("0123456789abcdef"), 1<<12) // 64 KiB
	for _, c := range []frame.Codec{
		frame.Lines{Max: 1 << 20}, frame.Delimited{Seps: seps("\r\n"), Max: 1 << 20},
		frame.Fixed{Size: len(payload)}, frame.LengthPrefixed{}, frame.LengthPrefixed{Offset: 2, Size: 2, Adjust: 5, Strip: 6},
		frame.Uvarint{}, frame.Netstring{}, frame.OctetCounting{},
	} {
		rec := &recordingWriter{}
		w := frame.NewWriter(rec, c)
		if err := w.WriteFrame([]byte("small")); err != nil && !errors.Is(err, frame.ErrInvalidPayload) {
			t.Fatal(err)
		}
		if err := w.WriteFrame(payload); err != nil {
			t.Fatalf("%#v: %v", c, err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		through := false
		for _, p := range rec.writes {
			if len(p) == len(payload) && &p[0] == &payload[0] {
				through = true
			}
		}
		if !through {
			t.Errorf("%#v: the payload was copied, not written through", c)
		}
		var want []byte
		want, _ = c.Append(want, []byte("small"))
		want, _ = c.Append(want, payload)
		if !bytes.Equal(rec.all.Bytes(), want) {
			t.Errorf("%#v: the stream differs from Append's", c)
		}
	}
}

// TestWriterLargeFrameKeptHeader: a codec that cannot frame the payload as
// it is (a kept length field) still writes large frames right.
func TestWriterLargeFrameKeptHeader(t *testing.T) {
	c := frame.LengthPrefixed{Size: 4, Strip: frame.KeepHeader}
	payload := append([]byte("LLLL"), bytes.Repeat([]byte("z"), 10000)...)
	var out bytes.Buffer
	w := frame.NewWriter(&out, c)
	for range 3 {
		if err := w.WriteFrame(payload); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	want := append([]byte{0, 0, 0x27, 0x10}, payload[4:]...)
	got := wholeEvents(t, out.Bytes(), c, frame.StopOversized)
	wantEv := []event{frameEvent(string(want)), frameEvent(string(want)), frameEvent(string(want))}
	if diff := cmp.Diff(wantEv, got, eventOpts); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestWriterBufferSizes: whatever the buffer size, the stream is Append's.
func TestWriterBufferSizes(t *testing.T) {
	payloads := []string{"", "a", "hello", strings.Repeat("x", 100), "bye"}
	for _, size := range []int{1, 2, 7, 33, 100, 4096} {
		for _, c := range []frame.Codec{frame.Lines{}, frame.LengthPrefixed{Size: 2, Strip: frame.KeepHeader}, frame.Netstring{}} {
			var out bytes.Buffer
			w := frame.NewWriterSize(&out, c, size)
			var want []byte
			for _, p := range payloads {
				if c, ok := c.(frame.LengthPrefixed); ok && c.Strip == frame.KeepHeader {
					p = "LL" + p
				}
				want, _ = c.Append(want, []byte(p))
				if err := w.WriteFrame([]byte(p)); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("size %d, %#v: stream %q; want %q", size, c, out.Bytes(), want)
			}
		}
	}
}

// TestWriterInvalidPayload: a payload the codec rejects is not written,
// the error is the codec's, and the Writer goes on.
func TestWriterInvalidPayload(t *testing.T) {
	var out bytes.Buffer
	w := frame.NewWriter(&out, frame.Lines{Max: 10})
	w.WriteFrame([]byte("a"))
	if err := w.WriteFrame([]byte("b\nc")); !errors.Is(err, frame.ErrInvalidPayload) {
		t.Errorf("WriteFrame of a line with '\\n' = %v; want ErrInvalidPayload", err)
	}
	var tl *errs.FrameTooLargeError
	if err := w.WriteFrame([]byte(strings.Repeat("x", 11))); !errors.As(err, &tl) {
		t.Errorf("WriteFrame over Max = %v; want *errs.FrameTooLargeError", err)
	}
	if err := w.WriteFrame(bytes.Repeat([]byte("y"), 5000)); !errors.As(err, &tl) {
		t.Errorf("WriteFrame of 5000 bytes over Max = %v; want *errs.FrameTooLargeError", err)
	}
	w.WriteFrame([]byte("d"))
	w.Flush()
	if out.String() != "a\nd\n" {
		t.Errorf("stream %q; want \"a\\nd\\n\"", out.String())
	}
	if err := frame.NewWriter(&out, frame.SplitFunc{Func: bufio.ScanWords}).WriteFrame([]byte("x")); !errors.Is(err, frame.ErrNoEncoder) {
		t.Errorf("WriteFrame with a SplitFunc = %v; want ErrNoEncoder", err)
	}
}

type failWriter struct {
	n   int // bytes accepted before failing
	err error
}

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) <= f.n {
		f.n -= len(p)
		return len(p), nil
	}
	n := f.n
	f.n = 0
	return n, f.err
}

// TestWriterErrorIsSticky: after the underlying writer fails, every call
// returns its error.
func TestWriterErrorIsSticky(t *testing.T) {
	boom := errors.New("boom")
	w := frame.NewWriterSize(&failWriter{n: 10, err: boom}, frame.Netstring{}, 16)
	var err error
	for range 10 {
		if err = w.WriteFrame([]byte("hello")); err != nil {
			break
		}
	}
	if !errors.Is(err, boom) {
		t.Fatalf("WriteFrame = %v; want the writer's error", err)
	}
	if err := w.WriteFrame([]byte("x")); !errors.Is(err, boom) {
		t.Errorf("WriteFrame after the error = %v", err)
	}
	if err := w.Flush(); !errors.Is(err, boom) {
		t.Errorf("Flush after the error = %v", err)
	}
	// A short write without an error is io.ErrShortWrite.
	w = frame.NewWriter(&failWriter{n: 3}, frame.Netstring{})
	w.WriteFrame([]byte("hello"))
	if err := w.Flush(); !errors.Is(err, io.ErrShortWrite) {
		t.Errorf("Flush on a short write = %v; want io.ErrShortWrite", err)
	}
}

func TestNewWriterPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"nil codec": func() { frame.NewWriter(io.Discard, nil) },
		"size 0":    func() { frame.NewWriterSize(io.Discard, frame.Lines{}, 0) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
