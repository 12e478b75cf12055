package frame_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/frame"
	"github.com/streamkit/streamkit/fuzz"
)

// event is one result of Reader.Next: a frame, or an error held in the
// field of its type.
type event struct {
	Frame      string
	TooLarge   *errs.FrameTooLargeError
	Malformed  *errs.MalformedFrameError
	Incomplete *errs.IncompleteReadError
	Other      error // compared with errors.Is
}

// eventOpts compares the Other errors with errors.Is, and the typed ones
// field by field.
var eventOpts = cmp.Options{
	cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Other" },
		cmp.Comparer(func(x, y error) bool { return errors.Is(x, y) || errors.Is(y, x) })),
	// Each codec's knob and name in its errors are checked by
	// TestErrorMessages.
	cmpopts.IgnoreFields(errs.IncompleteReadError{}, "Op"),
	cmpopts.IgnoreFields(errs.FrameTooLargeError{}, "Setting"),
	cmpopts.IgnoreFields(errs.MalformedFrameError{}, "Op"),
}

func frameEvent(s string) event { return event{Frame: s} }

// eventsDiff is cmp.Diff(want, got, eventOpts), fast when the two agree:
// it compares plain frames itself and leaves cmp only the events that
// hold a typed error, and the report. The fuzz targets call it several
// times an input, and cmp's reflection was most of their time.
func eventsDiff(want, got []event) string {
	if len(want) == len(got) {
		same := true
		for i := range want {
			if !eventEqual(want[i], got[i]) {
				same = false
				break
			}
		}
		if same {
			return ""
		}
	}
	return cmp.Diff(want, got, eventOpts)
}

// eventDiff is eventsDiff for one event.
func eventDiff(want, got event) string {
	if eventEqual(want, got) {
		return ""
	}
	return cmp.Diff(want, got, eventOpts)
}

// eventEqual is cmp.Equal(a, b, eventOpts), written out.
func eventEqual(a, b event) bool {
	if a.Frame != b.Frame || (a.Other == nil) != (b.Other == nil) ||
		(a.TooLarge == nil) != (b.TooLarge == nil) ||
		(a.Malformed == nil) != (b.Malformed == nil) ||
		(a.Incomplete == nil) != (b.Incomplete == nil) {
		return false
	}
	if a.Other != nil && !errors.Is(a.Other, b.Other) && !errors.Is(b.Other, a.Other) {
		return false
	}
	if x, y := a.TooLarge, b.TooLarge; x != nil {
		// Setting is ignored, as in eventOpts.
		if x.Size != y.Size || x.Max != y.Max || x.AtLeast != y.AtLeast || x.Offset != y.Offset || x.Skip != y.Skip {
			return false
		}
	}
	if x, y := a.Malformed, b.Malformed; x != nil {
		if x.Offset != y.Offset || x.Reason != y.Reason {
			return false
		}
	}
	if x, y := a.Incomplete, b.Incomplete; x != nil {
		if string(x.Partial) != string(y.Partial) || (x.Partial == nil) != (y.Partial == nil) ||
			x.Expected != y.Expected || x.Offset != y.Offset {
			return false
		}
	}
	return true
}

func toEvent(p []byte, err error) event {
	if err == nil {
		return event{Frame: string(p)}
	}
	var e event
	switch {
	case errors.As(err, &e.TooLarge):
	case errors.As(err, &e.Malformed):
	case errors.As(err, &e.Incomplete):
	default:
		e.Other = err
	}
	return e
}

// readAll decodes rd with c to the end and returns what Next returned. It
// retries after iotest.ErrTimeout (the Reader must resume), and stops after
// an error that Next returns again, as the same value, on the next call
// (the Reader stays failed).
func readAll(t fataler, rd io.Reader, c frame.Codec, o frame.Oversized) []event {
	r := frame.NewReader(rd, c)
	r.SetOversized(o)
	var evs []event
	var last error
	for calls := 0; ; calls++ {
		if calls > 1_000_000 {
			t.Fatalf("Reader does not end: %d calls", calls)
		}
		p, err := r.Next()
		if err == io.EOF {
			return evs
		}
		if errors.Is(err, iotest.ErrTimeout) {
			continue
		}
		if err != nil && err == last {
			return evs // sticky
		}
		if err != nil && p != nil {
			t.Fatalf("Next returned a payload with error %v", err)
		}
		evs = append(evs, toEvent(p, err))
		last = err
	}
}

// fataler is what readAll needs of a *testing.T or a *rapid.T.
type fataler interface {
	Fatalf(format string, args ...any)
}

// wholeEvents decodes data given all at once.
func wholeEvents(t fataler, data []byte, c frame.Codec, o frame.Oversized) []event {
	return readAll(t, bytes.NewReader(data), c, o)
}

// chunkings are the iotest readers and friends that every decoding must be
// indifferent to.
var chunkings = []struct {
	name string
	wrap func([]byte) io.Reader
}{
	{"whole", func(b []byte) io.Reader { return bytes.NewReader(b) }},
	{"OneByteReader", func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) }},
	{"HalfReader", func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) }},
	{"DataErrReader", func(b []byte) io.Reader { return iotest.DataErrReader(bytes.NewReader(b)) }},
	{"TimeoutReader", func(b []byte) io.Reader { return iotest.TimeoutReader(bytes.NewReader(b)) }},
	{"OneByteTimeout", func(b []byte) io.Reader {
		return iotest.TimeoutReader(iotest.OneByteReader(bytes.NewReader(b)))
	}},
	{"strings.Reader", func(b []byte) io.Reader { return strings.NewReader(string(b)) }},
}

// checkVectors decodes each input under every chunking and compares with
// want.
type vector struct {
	name string
	in   string
	want []event
}

func checkVectors(t *testing.T, c frame.Codec, o frame.Oversized, vectors []vector) {
	t.Helper()
	for _, v := range vectors {
		for _, ev := range v.want {
			if inc := ev.Incomplete; inc != nil && inc.Offset == 0 {
				// An incomplete frame is the end of the stream.
				inc.Offset = int64(len(v.in) - len(inc.Partial))
			}
		}
		for _, ch := range chunkings {
			got := readAll(t, ch.wrap([]byte(v.in)), c, o)
			if diff := cmp.Diff(v.want, got, eventOpts); diff != "" {
				t.Errorf("%s under %s: %q (-want +got):\n%s", v.name, ch.name, v.in, diff)
			}
		}
	}
}

func tooLarge(size int64, max int, offset, skip int64) event {
	return event{TooLarge: &errs.FrameTooLargeError{Size: size, Max: max, Offset: offset, Skip: skip}}
}

func tooLong(max int, offset int64) event {
	return event{TooLarge: &errs.FrameTooLargeError{Size: int64(max) + 1, Max: max, AtLeast: true, Offset: offset}}
}

func malformed(offset int64, reason string) event {
	return event{Malformed: &errs.MalformedFrameError{Offset: offset, Reason: reason}}
}

func incompleteEvent(partial string, expected int) event {
	return event{Incomplete: &errs.IncompleteReadError{Partial: []byte(partial), Expected: expected}}
}

func TestReaderEOF(t *testing.T) {
	r := frame.NewReader(strings.NewReader(""), frame.Lines{})
	for range 3 {
		if p, err := r.Next(); p != nil || err != io.EOF {
			t.Fatalf("Next on an empty stream = %q, %v; want nil, io.EOF", p, err)
		}
	}
}

// TestReaderIncompleteThenEOF: a stream that ends inside a frame gives
// *errs.IncompleteReadError with the frame's bytes, matching
// io.ErrUnexpectedEOF, and then io.EOF.
func TestReaderIncompleteThenEOF(t *testing.T) {
	r := frame.NewReader(strings.NewReader("\x00\x00\x00\x05hel"), frame.LengthPrefixed{})
	_, err := r.Next()
	var inc *errs.IncompleteReadError
	if !errors.As(err, &inc) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("Next = %v; want *errs.IncompleteReadError matching io.ErrUnexpectedEOF", err)
	}
	want := &errs.IncompleteReadError{Partial: []byte("\x00\x00\x00\x05hel"), Expected: 9, Op: "frame.Reader.Next"}
	if diff := cmp.Diff(want, inc); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("Next after the incomplete frame = %v; want io.EOF", err)
	}
}

// TestReaderNextIsZeroCopy: Next's payload points into the Reader's buffer
// (it changes under a later call), ReadFrame's does not.
func TestReaderNextIsZeroCopy(t *testing.T) {
	in := "aaaa\nbbbb\n"
	r := frame.NewReader(strings.NewReader(in), frame.Lines{})
	p, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	// The first frame is at the start of the buffered stream: p's
	// capacity reaches the second line.
	if got := string(p[:cap(p)][:len(in)]); got != in {
		t.Errorf("Next's payload does not point into the buffer: %q", got)
	}
	r2 := frame.NewReader(strings.NewReader(in), frame.Lines{})
	q, err := r2.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	if cap(q) >= len(in) && string(q[:cap(q)][:len(in)]) == in {
		t.Errorf("ReadFrame's payload points into the buffer")
	}
	if _, err := r2.Next(); err != nil {
		t.Fatal(err)
	}
	if string(q) != "aaaa" {
		t.Errorf("ReadFrame's payload changed under a later call: %q", q)
	}
}

// TestReaderErrorOffsetsInStream: errors from the codec carry their offset
// in the stream, not in the data the codec saw.
func TestReaderErrorOffsetsInStream(t *testing.T) {
	checkVectors(t, frame.Netstring{}, frame.StopOversized, []vector{
		{"malformed length", "1:a,2:bc,3x", []event{frameEvent("a"), frameEvent("bc"), malformed(10, "the length must be followed by ':'")}},
		{"missing comma", "1:a,3:abc;", []event{frameEvent("a"), malformed(9, "the payload must be followed by ','")}},
	})
	checkVectors(t, frame.Lines{Max: 3}, frame.StopOversized, []vector{
		{"long line", "ab\nabcd\n", []event{frameEvent("ab"), tooLong(3, 3)}},
	})
}

// TestReaderSourceErrorIsNotSticky: an error from the source comes once,
// after the frames read before it, and the Reader then reads on.
func TestReaderSourceErrorIsNotSticky(t *testing.T) {
	boom := errors.New("boom")
	src := fuzz.Chunking{}.Reader([]byte("one\ntwo\nthree\n"), fuzz.Fault{Offset: 6, Err: boom})
	r := frame.NewReader(src, frame.Lines{})
	var got []event
	for {
		p, err := r.Next()
		if err == io.EOF {
			break
		}
		got = append(got, toEvent(p, err))
	}
	want := []event{frameEvent("one"), {Other: boom}, frameEvent("two"), frameEvent("three")}
	if diff := cmp.Diff(want, got, eventOpts); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestReaderSourceErrorWithData: a source that returns data and an error
// in one call: the frames in the data come first.
func TestReaderSourceErrorWithData(t *testing.T) {
	boom := errors.New("boom")
	src := fuzz.Chunking{}.Reader([]byte("a\nb\nc\n"), fuzz.Fault{Offset: 5, Err: boom, WithData: true})
	r := frame.NewReader(src, frame.Lines{})
	var got []event
	for {
		p, err := r.Next()
		if err == io.EOF {
			break
		}
		got = append(got, toEvent(p, err))
	}
	want := []event{frameEvent("a"), frameEvent("b"), {Other: boom}, frameEvent("c")}
	if diff := cmp.Diff(want, got, eventOpts); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestReaderErrReader(t *testing.T) {
	boom := errors.New("boom")
	r := frame.NewReader(iotest.ErrReader(boom), frame.Uvarint{})
	for range 2 {
		if _, err := r.Next(); !errors.Is(err, boom) {
			t.Fatalf("Next = %v; want the source's error", err)
		}
	}
}

// TestReaderNoProgress: a source that returns nothing forever gets
// io.ErrNoProgress, as from bufio.
func TestReaderNoProgress(t *testing.T) {
	r := frame.NewReader(emptyReader{}, frame.Lines{})
	if _, err := r.Next(); !errors.Is(err, io.ErrNoProgress) {
		t.Fatalf("Next = %v; want io.ErrNoProgress", err)
	}
}

type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, nil }

// TestReaderStopOversized: by default, the Reader stays failed after an
// oversized frame.
func TestReaderStopOversized(t *testing.T) {
	r := frame.NewReader(strings.NewReader("\x09ninebytes\x01a"), frame.Uvarint{Max: 8})
	_, err1 := r.Next()
	_, err2 := r.Next()
	var tl *errs.FrameTooLargeError
	if !errors.As(err1, &tl) || err2 != err1 {
		t.Fatalf("Next, Next = %v, %v; want the same *errs.FrameTooLargeError twice", err1, err2)
	}
}

// TestReaderSkipOversized: with SkipOversized, the oversized frame is
// discarded and the Reader goes on, for every kind of codec.
func TestReaderSkipOversized(t *testing.T) {
	long := strings.Repeat("x", 40)
	for _, tc := range []struct {
		name string
		c    frame.Codec
		in   string
		want []event
	}{
		{"Lines", frame.Lines{Max: 4}, "ab\n" + long + "\r\ncd\n",
			[]event{frameEvent("ab"), tooLong(4, 3), frameEvent("cd")}},
		{"Lines at EOF", frame.Lines{Max: 4}, "ab\n" + long,
			[]event{frameEvent("ab"), tooLong(4, 3)}},
		{"Delimited", frame.Delimited{Seps: [][]byte{[]byte("<>"), []byte("|")}, Max: 4}, "ab|" + long + "<>cd<>",
			[]event{frameEvent("ab"), tooLong(4, 3), frameEvent("cd")}},
		{"Delimited split separator", frame.Delimited{Seps: [][]byte{[]byte("<<>>")}, Max: 2}, long + "<<<>>cd<<>>",
			[]event{tooLong(2, 0), frameEvent("cd")}},
		{"LengthPrefixed", frame.LengthPrefixed{Size: 2, Max: 4}, "\x00\x02ab\x00\x28" + long + "\x00\x02cd",
			[]event{frameEvent("ab"), tooLarge(40, 4, 4, 42), frameEvent("cd")}},
		{"LengthPrefixed cut short", frame.LengthPrefixed{Size: 2, Max: 4}, "\x00\x02ab\x00\x28xx",
			[]event{frameEvent("ab"), tooLarge(40, 4, 4, 42)}},
		{"Uvarint", frame.Uvarint{Max: 4}, "\x02ab\x28" + long + "\x02cd",
			[]event{frameEvent("ab"), tooLarge(40, 4, 3, 41), frameEvent("cd")}},
		{"Netstring", frame.Netstring{Max: 4}, "2:ab,40:" + long + ",2:cd,",
			[]event{frameEvent("ab"), tooLarge(40, 4, 5, 44), frameEvent("cd")}},
		{"OctetCounting", frame.OctetCounting{Max: 4}, "2 ab40 " + long + "2 cd",
			[]event{frameEvent("ab"), tooLarge(40, 4, 4, 43), frameEvent("cd")}},
		{"two in a row", frame.Uvarint{Max: 1}, "\x02ab\x02cd\x01e",
			[]event{tooLarge(2, 1, 0, 3), tooLarge(2, 1, 3, 3), frameEvent("e")}},
		// SplitFunc cannot resync: the Reader stops.
		{"SplitFunc", frame.SplitFunc{Func: bufio.ScanWords, Max: 4}, "ab " + long + " cd",
			[]event{frameEvent("ab"), tooLong(4, 3)}},
		// Malformed frames stop the Reader whatever the policy.
		{"malformed", frame.Netstring{Max: 4}, "1:a,x:,1:b,",
			[]event{frameEvent("a"), malformed(4, "the length must start with a digit")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkVectors(t, tc.c, frame.SkipOversized, []vector{{tc.name, tc.in, tc.want}})
		})
	}
}

// TestReaderAllSkips: All goes on after a skipped oversized frame and
// stops after other errors.
func TestReaderAllSkips(t *testing.T) {
	in := "a\nbbbbbbbb\nc\n"
	collect := func(o frame.Oversized) []event {
		r := frame.NewReader(strings.NewReader(in), frame.Lines{Max: 2})
		r.SetOversized(o)
		var evs []event
		for p, err := range r.All() {
			evs = append(evs, toEvent(p, err))
		}
		return evs
	}
	if diff := cmp.Diff([]event{frameEvent("a"), tooLong(2, 2), frameEvent("c")}, collect(frame.SkipOversized), eventOpts); diff != "" {
		t.Errorf("SkipOversized (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]event{frameEvent("a"), tooLong(2, 2)}, collect(frame.StopOversized), eventOpts); diff != "" {
		t.Errorf("StopOversized (-want +got):\n%s", diff)
	}
}

func TestReaderAllBreak(t *testing.T) {
	r := frame.NewReader(strings.NewReader("a\nb\nc\n"), frame.Lines{})
	for p := range r.All() {
		if string(p) == "b" {
			break
		}
	}
	if p, err := r.Next(); err != nil || string(p) != "c" {
		t.Errorf("Next after breaking out of All = %q, %v; want \"c\"", p, err)
	}
}

// fillReader is a stream of n bytes b.
type fillReader struct {
	n     int64 // bytes left
	block []byte
}

func newFill(b byte, n int64) *fillReader {
	return &fillReader{n: n, block: bytes.Repeat([]byte{b}, 64<<10)}
}

func (f *fillReader) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(int64(len(p)), f.n)], f.block)
	f.n -= int64(n)
	return n, nil
}

func totalAlloc(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestReaderSkipMemory: skipping a frame that declares 64 MiB, or a line
// of 16 MiB, costs O(max frame) memory: the frame is discarded as it
// streams by, never buffered.
func TestReaderSkipMemory(t *testing.T) {
	const huge = 64 << 20
	for _, tc := range []struct {
		name string
		c    frame.Codec
		src  io.Reader
	}{
		{"LengthPrefixed", frame.LengthPrefixed{Max: 1 << 10},
			io.MultiReader(strings.NewReader("\x04\x00\x00\x00"), newFill(0, huge), strings.NewReader("\x00\x00\x00\x02ok"))},
		{"Lines", frame.Lines{Max: 1 << 10},
			io.MultiReader(newFill('x', 16<<20), strings.NewReader("\nok\n"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := frame.NewReader(tc.src, tc.c)
			r.SetOversized(frame.SkipOversized)
			var p []byte
			var err1, err2 error
			alloc := totalAlloc(func() {
				_, err1 = r.Next()
				p, err2 = r.Next()
			})
			var tl *errs.FrameTooLargeError
			if !errors.As(err1, &tl) || err2 != nil || string(p) != "ok" {
				t.Fatalf("Next, Next = %v; %q, %v; want *errs.FrameTooLargeError, then \"ok\"", err1, p, err2)
			}
			if alloc > 64<<10 {
				t.Errorf("skipping the frame allocated %d bytes; want O(max frame)", alloc)
			}
		})
	}
}

// TestReaderLyingPrefixAllocatesNothing: a header that declares a frame
// over the maximum fails before anything of its size is allocated.
func TestReaderLyingPrefixAllocatesNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    frame.Codec
		in   string
	}{
		{"LengthPrefixed", frame.LengthPrefixed{Size: 8}, "\x7f\xff\xff\xff\xff\xff\xff\xff"},
		{"Uvarint", frame.Uvarint{}, "\xff\xff\xff\xff\xff\xff\xff\xff\x7f"},
		{"Netstring", frame.Netstring{}, "999999999999:"},
		{"OctetCounting", frame.OctetCounting{}, "999999999999 "},
	} {
		var err error
		alloc := totalAlloc(func() {
			_, err = frame.NewReader(strings.NewReader(tc.in), tc.c).Next()
		})
		var tl *errs.FrameTooLargeError
		if !errors.As(err, &tl) {
			t.Errorf("%s: Next = %v; want *errs.FrameTooLargeError", tc.name, err)
		}
		if alloc > 16<<10 {
			t.Errorf("%s: allocated %d bytes for a lying header", tc.name, alloc)
		}
	}
}

// countingReader counts the reads from its source, and fails them past a
// limit.
type countingReader struct {
	r     io.Reader
	reads int
	limit int
}

var errTooManyReads = errors.New("too many reads")

func (c *countingReader) Read(p []byte) (int, error) {
	if c.reads++; c.reads > c.limit {
		return 0, errTooManyReads
	}
	return c.r.Read(p)
}

// TestReaderLongLineGrowsGeometrically: a line of 1 MiB, far over the
// first buffer, is read in O(log) buffer growths and O(size/4 KiB) reads.
// (bufio2's Peek(Buffered()+1) on a full buffer grows it by one byte and
// reads one byte: the Reader must not depend on it, or this test takes
// hours.)
func TestReaderLongLineGrowsGeometrically(t *testing.T) {
	const n = 1 << 20
	src := &countingReader{r: io.MultiReader(newFill('x', n), strings.NewReader("\n")), limit: 2*n/4096 + 64}
	r := frame.NewReader(src, frame.Lines{Max: 2 * n})
	var p []byte
	var err error
	alloc := totalAlloc(func() { p, err = r.Next() })
	if err != nil || len(p) != n {
		t.Fatalf("Next = %d bytes, %v; want %d bytes (after %d reads)", len(p), err, n, src.reads)
	}
	if alloc > 6*n {
		t.Errorf("allocated %d bytes for a line of %d bytes", alloc, n)
	}
}

// TestReaderInteractive: the Reader returns a frame as soon as it is
// whole, without waiting for more of the stream (a request/response
// protocol must not hang), whatever the frame's size.
func TestReaderInteractive(t *testing.T) {
	for _, size := range []int{1, 100, 5000, 70000} {
		for _, c := range []frame.Codec{frame.Lines{Max: 1 << 20}, frame.LengthPrefixed{}, frame.Netstring{}} {
			pr, pw := io.Pipe()
			r := frame.NewReader(pr, c)
			payload := bytes.Repeat([]byte("y"), size)
			enc, err := c.Append(nil, payload)
			if err != nil {
				t.Fatal(err)
			}
			go pw.Write(enc) // and no more: the pipe stays open
			// Watchdog: if Next waits for more than the frame, unblock it
			// with an error instead of hanging.
			errHang := errors.New("watchdog: Next waited for more than a whole frame")
			timer := time.AfterFunc(10*time.Second, func() { pw.CloseWithError(errHang) })
			p, err := r.Next()
			timer.Stop()
			if err != nil || !bytes.Equal(p, payload) {
				t.Errorf("%T, %d-byte frame: Next = %d bytes, %v", c, size, len(p), err)
			}
			pw.Close()
		}
	}
}

// TestReaderFinalToken: bufio.ErrFinalToken ends the stream, after its
// token if it has one.
func TestReaderFinalToken(t *testing.T) {
	stopAtDot := func(data []byte, atEOF bool) (int, []byte, error) {
		adv, tok, err := bufio.ScanWords(data, atEOF)
		if string(tok) == "." {
			return adv, nil, bufio.ErrFinalToken
		}
		if string(tok) == "!" {
			return adv, tok, bufio.ErrFinalToken
		}
		return adv, tok, err
	}
	for in, want := range map[string][]event{
		"a b . c":   {frameEvent("a"), frameEvent("b")},
		"a ! c":     {frameEvent("a"), frameEvent("!")},
		"a b c d .": {frameEvent("a"), frameEvent("b"), frameEvent("c"), frameEvent("d")},
	} {
		got := wholeEvents(t, []byte(in), frame.SplitFunc{Func: stopAtDot}, frame.StopOversized)
		if diff := cmp.Diff(want, got, eventOpts); diff != "" {
			t.Errorf("%q (-want +got):\n%s", in, diff)
		}
	}
}

// TestReaderBadAdvance: a split function that advances out of range is an
// error, as in bufio.Scanner.
func TestReaderBadAdvance(t *testing.T) {
	for _, tc := range []struct {
		adv  int
		want error
	}{{-1, bufio.ErrNegativeAdvance}, {100, bufio.ErrAdvanceTooFar}} {
		split := func(data []byte, atEOF bool) (int, []byte, error) { return tc.adv, nil, nil }
		r := frame.NewReader(strings.NewReader("abc"), frame.SplitFunc{Func: split})
		for range 2 {
			if _, err := r.Next(); !errors.Is(err, tc.want) {
				t.Errorf("advance %d: Next = %v; want %v", tc.adv, err, tc.want)
			}
		}
	}
}

// TestReaderEmptyTokens: a split function that returns empty tokens
// without advancing panics after 100, as bufio.Scanner does.
func TestReaderEmptyTokens(t *testing.T) {
	split := func(data []byte, atEOF bool) (int, []byte, error) { return 0, []byte{}, nil }
	r := frame.NewReader(strings.NewReader("abc"), frame.SplitFunc{Func: split})
	defer func() {
		if recover() == nil {
			t.Error("no panic after endless empty tokens")
		}
	}()
	for range 200 {
		r.Next()
	}
}

func TestNewReaderPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"nil codec":     func() { frame.NewReader(strings.NewReader(""), nil) },
		"Fixed{}":       func() { frame.NewReader(strings.NewReader(""), frame.Fixed{}) },
		"negative Max":  func() { frame.NewReader(strings.NewReader(""), frame.Lines{Max: -1}) },
		"bad Size":      func() { frame.NewReader(strings.NewReader(""), frame.LengthPrefixed{Size: 5}) },
		"nil SplitFunc": func() { frame.NewReader(strings.NewReader("x"), frame.SplitFunc{}).Next() },
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

func tooLargeAtLeast(size int64, max int) *errs.FrameTooLargeError {
	return &errs.FrameTooLargeError{Size: size, Max: max, AtLeast: true}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestNextAllocatesNothing: once its buffer has grown, a Reader returns
// frames without allocating, for every codec.
func TestNextAllocatesNothing(t *testing.T) {
	payload := bytes.Repeat([]byte("p"), 100)
	for _, c := range []frame.Codec{
		frame.Lines{}, frame.Delimited{Seps: seps("\r\n", "\x00")}, frame.Fixed{Size: len(payload)},
		frame.LengthPrefixed{}, frame.LengthPrefixed{Size: 3, LittleEndian: true, Offset: 2, Adjust: -1, Strip: 1},
		frame.Uvarint{}, frame.Netstring{}, frame.OctetCounting{},
	} {
		var data []byte
		for range 100 {
			data, _ = c.Append(data, payload)
		}
		r := frame.NewReader(&cycleReader{data: data}, c)
		for range 200 {
			r.Next()
		}
		if n := testing.AllocsPerRun(1000, func() {
			if _, err := r.Next(); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%#v: Next allocates %v times per frame", c, n)
		}
	}
}

// TestReaderSkipSurvivesSourceError: a source error while an oversized
// frame is being discarded is returned, and the next call goes on
// discarding.
func TestReaderSkipSurvivesSourceError(t *testing.T) {
	boom := errors.New("boom")
	src := fuzz.Chunking{}.Reader([]byte("\x00\x0a"+"abcdefghij\x00\x02ok"), fuzz.Fault{Offset: 6, Err: boom})
	r := frame.NewReader(src, frame.LengthPrefixed{Size: 2, Max: 4})
	r.SetOversized(frame.SkipOversized)
	var got []event
	for {
		p, err := r.Next()
		if err == io.EOF {
			break
		}
		got = append(got, toEvent(p, err))
	}
	want := []event{tooLarge(10, 4, 0, 12), {Other: boom}, frameEvent("ok")}
	if diff := cmp.Diff(want, got, eventOpts); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// resyncLines is a user's codec: bufio.ScanLines with a maximum and a
// Resync, so that the Reader can skip what ScanLines finds too long.
type resyncLines struct{ badResync bool }

func (resyncLines) Split(data []byte, atEOF bool) (int, []byte, error) {
	return bufio.ScanLines(data, atEOF)
}
func (resyncLines) Append(dst, p []byte) ([]byte, error) { return append(append(dst, p...), '\n'), nil }
func (resyncLines) MaxFrame() int                        { return 4 }
func (c resyncLines) Resync(data []byte, atEOF bool) (int, bool) {
	if c.badResync {
		return len(data) + 1, false
	}
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return i + 1, true
	}
	return len(data), atEOF
}

// TestReaderResyncer: a user's codec that is a Resyncer gets its oversized
// frames skipped, found by the Reader's own limit; a Resync that goes past
// its data fails the Reader.
func TestReaderResyncer(t *testing.T) {
	checkVectors(t, resyncLines{}, frame.SkipOversized, []vector{
		{"skip", "ab\nabcdefgh\ncd\n", []event{frameEvent("ab"), tooLong(4, 3), frameEvent("cd")}},
	})
	checkVectors(t, resyncLines{badResync: true}, frame.SkipOversized, []vector{
		{"bad resync", "abcdefgh\ncd\n", []event{tooLong(4, 0), {Other: bufio.ErrAdvanceTooFar}}},
	})
}

// TestEventEqual: eventEqual agrees with cmp.Equal under eventOpts on
// events that differ in each field, and knows every field of the error
// types (a new field must be added to it).
func TestEventEqual(t *testing.T) {
	for typ, n := range map[reflect.Type]int{
		reflect.TypeFor[errs.FrameTooLargeError]():  6,
		reflect.TypeFor[errs.MalformedFrameError](): 3,
		reflect.TypeFor[errs.IncompleteReadError](): 4,
	} {
		if typ.NumField() != n {
			t.Errorf("%v has %d fields, eventEqual knows %d", typ, typ.NumField(), n)
		}
	}
	evs := []event{
		{}, {Frame: "a"}, {Frame: "b"},
		{Other: io.ErrUnexpectedEOF}, {Other: fmt.Errorf("wrapped: %w", io.ErrUnexpectedEOF)}, {Other: io.EOF},
		{TooLarge: &errs.FrameTooLargeError{Size: 5, Max: 4}},
		{TooLarge: &errs.FrameTooLargeError{Size: 5, Max: 4, Setting: "Lines.Max"}},
		{TooLarge: &errs.FrameTooLargeError{Size: 5, Max: 3}},
		{TooLarge: &errs.FrameTooLargeError{Size: 6, Max: 4}},
		{TooLarge: &errs.FrameTooLargeError{Size: 5, Max: 4, AtLeast: true}},
		{TooLarge: &errs.FrameTooLargeError{Size: 5, Max: 4, Offset: 1}},
		{TooLarge: &errs.FrameTooLargeError{Size: 5, Max: 4, Skip: 9}},
		{Malformed: &errs.MalformedFrameError{Offset: 1, Reason: "x"}},
		{Malformed: &errs.MalformedFrameError{Offset: 1, Reason: "x", Op: "Next"}},
		{Malformed: &errs.MalformedFrameError{Offset: 2, Reason: "x"}},
		{Malformed: &errs.MalformedFrameError{Offset: 1, Reason: "y"}},
		{Incomplete: &errs.IncompleteReadError{Expected: 3}},
		{Incomplete: &errs.IncompleteReadError{Partial: []byte{}, Expected: 3}},
		{Incomplete: &errs.IncompleteReadError{Partial: []byte("ab"), Expected: 3}},
		{Incomplete: &errs.IncompleteReadError{Partial: []byte("ac"), Expected: 3}},
		{Incomplete: &errs.IncompleteReadError{Partial: []byte("ab"), Expected: 4}},
		{Incomplete: &errs.IncompleteReadError{Partial: []byte("ab"), Expected: 3, Offset: 7}},
		{Incomplete: &errs.IncompleteReadError{Partial: []byte("ab"), Expected: 3, Op: "Next"}},
	}
	for _, a := range evs {
		for _, b := range evs {
			if got, want := eventEqual(a, b), cmp.Equal(a, b, eventOpts); got != want {
				t.Errorf("eventEqual(%+v, %+v) = %v, cmp.Equal says %v", a, b, got, want)
			}
		}
	}
}

// TestNewReaderIsSmall: a frame.Reader over a bufio2.Reader costs its own
// small struct and, for the default LengthPrefixed, nothing else: the
// compiled codec is shared. A server holds one per connection.
func TestNewReaderIsSmall(t *testing.T) {
	br := bufio2.NewReader(strings.NewReader(""))
	for _, tc := range []struct {
		c    frame.Codec
		most uint64
	}{
		{frame.LengthPrefixed{}, 144},
		{frame.LengthPrefixed{Size: 2}, 240},
		{frame.Lines{}, 160},
	} {
		const n = 1000
		per := totalAlloc(func() {
			for range n {
				_ = frame.NewReader(br, tc.c)
			}
		}) / n
		if per > tc.most {
			t.Errorf("NewReader(%#v) allocates %d bytes, want at most %d", tc.c, per, tc.most)
		}
	}
	// The shared codec frames as its own would.
	r := frame.NewReader(bufio2.NewReader(strings.NewReader("\x00\x00\x00\x02hi\x00\x00\x00\x00")), frame.LengthPrefixed{})
	for _, want := range []string{"hi", ""} {
		if p, err := r.Next(); err != nil || string(p) != want {
			t.Fatalf("Next = %q, %v; want %q", p, err, want)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("Next at the end: %v, want io.EOF", err)
	}
}
