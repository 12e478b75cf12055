package fuzz_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/streamkit/streamkit/fuzz"
	"github.com/streamkit/streamkit/fuzz/fuzzrapid"
)

// aRead is the result of one Read.
type aRead struct {
	Data string
	Err  error
}

// readAllWith reads r to io.EOF or another error, with buffers of the
// given sizes in turn (the last one again and again), and returns every
// read. It fails after 10000 reads.
func readAllWith(t fataler, r io.Reader, bufs ...int) []aRead {
	t.Helper()
	var reads []aRead
	for i := 0; ; i++ {
		if i > 10000 {
			t.Fatalf("no io.EOF after %d reads", i)
		}
		p := make([]byte, bufs[min(i, len(bufs)-1)])
		n, err := r.Read(p)
		if n < 0 || n > len(p) {
			t.Fatalf("Read(%d bytes) = %d", len(p), n)
		}
		reads = append(reads, aRead{string(p[:n]), err})
		if err != nil {
			return reads
		}
	}
}

// fataler is what the helpers need of a *testing.T or a *rapid.T.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

// equateErrors compares errors with errors.Is.
var equateErrors = cmp.Comparer(func(x, y error) bool { return errors.Is(x, y) || errors.Is(y, x) })

// modelPieces is what the doc of Chunking says c cuts n bytes into: the
// sizes of the pieces, one per read, before io.EOF.
func modelPieces(c fuzz.Chunking, n int) []int {
	var pieces []int
	off := 0
	for _, s := range c.Sizes {
		if off == n && (s > 0 || c.EOFWithData && n > 0) {
			return pieces
		}
		k := min(s, n-off)
		pieces = append(pieces, k)
		off += k
	}
	for off < n {
		k := n - off
		if c.Rest > 0 {
			k = min(c.Rest, k)
		}
		pieces = append(pieces, k)
		off += k
	}
	return pieces
}

// checkPieces checks c.Split(data) and a Reader of c over data, read with
// buffers of the sizes bufs draws, against the model.
func checkPieces(t *rapid.T, c fuzz.Chunking, data []byte) {
	want := modelPieces(c, len(data))
	pieces := c.Split(data)
	var got []int
	off := 0
	for i, p := range pieces {
		got = append(got, len(p))
		if len(p) > 0 && &p[0] != &data[off] {
			t.Fatalf("piece %d is not data[%d:]", i, off)
		}
		off += len(p)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("%v: Split(%d bytes) piece sizes (-want +got):\n%s", c, len(data), diff)
	}
	if joined := bytes.Join(pieces, nil); !bytes.Equal(joined, data) {
		t.Fatalf("%v: the pieces make %q, not %q", c, joined, data)
	}

	// A caller with a large buffer gets the pieces, one per read.
	var wantReads []aRead
	for _, p := range pieces {
		wantReads = append(wantReads, aRead{Data: string(p)})
	}
	if n := len(wantReads); c.EOFWithData && len(data) > 0 {
		wantReads[n-1].Err = io.EOF
	} else {
		wantReads = append(wantReads, aRead{Err: io.EOF})
	}
	reads := readAllWith(t, c.Reader(data), len(data)+1)
	if diff := cmp.Diff(wantReads, reads, equateErrors); diff != "" {
		t.Fatalf("%v: reads of %q with a large buffer (-want +got):\n%s", c, data, diff)
	}

	// With buffers of any size, no read crosses a boundary, and nothing is
	// lost or repeated.
	bufs := rapid.SliceOfN(rapid.IntRange(1, 20), 1, 20).Draw(t, "bufs")
	r := c.Reader(data)
	reads = readAllWith(t, r, bufs...)
	bounds := map[int]bool{}
	at := 0
	for _, p := range pieces {
		at += len(p)
		bounds[at] = true
	}
	var all []byte
	for _, rd := range reads {
		for i := 1; i < len(rd.Data); i++ {
			if bounds[len(all)+i] {
				t.Fatalf("%v: a read of %q crosses the boundary at %d", c, rd.Data, len(all)+i)
			}
		}
		all = append(all, rd.Data...)
	}
	if !bytes.Equal(all, data) {
		t.Fatalf("%v: read %q with buffers %v, want %q", c, all, bufs, data)
	}
	if r.Offset() != int64(len(data)) {
		t.Fatalf("Offset() = %d after reading %d bytes", r.Offset(), len(data))
	}
	if n, err := r.Read(make([]byte, 4)); n != 0 || err != io.EOF {
		t.Fatalf("Read after io.EOF = %d, %v; want 0, io.EOF", n, err)
	}
}

// maxEmptyRun returns the most empty reads in a row in c's plan.
func maxEmptyRun(c fuzz.Chunking) int {
	most, run := 0, 0
	for _, s := range c.Sizes {
		if s == 0 {
			run++
			most = max(most, run)
		} else {
			run = 0
		}
	}
	return most
}

// TestDecodedChunkingsCoverTheInput: whatever the fuzzer's bytes, the
// chunking they decode to cuts any input into pieces that make the input,
// with no byte lost or repeated, the Reader delivers them as Split says,
// and empty reads come at most MaxEmptyReads in a row.
func TestDecodedChunkingsCoverTheInput(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		plan := rapid.SliceOfN(rapid.OneOf(rapid.Byte(), rapid.SampledFrom([]byte{0, 1, 2, 0x80, 0x7f, 0x70})), 0, 40).Draw(t, "plan")
		data := rapid.SliceOfN(rapid.Byte(), 0, 3000).Draw(t, "data")
		c := fuzz.DecodeChunking(plan)
		if m := maxEmptyRun(c); m > fuzz.MaxEmptyReads {
			t.Fatalf("DecodeChunking(%x) plans %d empty reads in a row", plan, m)
		}
		checkPieces(t, c, data)
	})
}

// TestChunkingPieces: the same for any chunking, including the ones that
// Random and the shapes make.
func TestChunkingPieces(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		data := rapid.SliceOfN(rapid.Byte(), 0, 200).Draw(t, "data")
		n := len(data)
		var c fuzz.Chunking
		switch rapid.IntRange(0, 4).Draw(t, "kind") {
		case 0:
			c = fuzzrapid.Chunking(n).Draw(t, "chunking")
		case 1:
			c = fuzz.Random(n, rapid.Uint64().Draw(t, "seed"))
			if m := maxEmptyRun(c); m > fuzz.MaxEmptyReads {
				t.Fatalf("Random plans %d empty reads in a row", m)
			}
		case 2:
			c = fuzz.Halves(n)
		case 3:
			c = fuzz.Cut(rapid.SliceOfN(rapid.IntRange(0, n+2), 0, 5).Draw(t, "cuts")...)
		default:
			c = fuzz.OneByte()
		}
		c.EOFWithData = c.EOFWithData || rapid.Bool().Draw(t, "eofWithData")
		checkPieces(t, c, data)
	})
}

func TestDecodeChunking(t *testing.T) {
	for _, tt := range []struct {
		plan []byte
		want fuzz.Chunking
	}{
		{nil, fuzz.Chunking{}},
		{[]byte{3, 0, 0x6f}, fuzz.Chunking{Sizes: []int{3, 0, 111}}},
		{[]byte{0x70, 0x7e}, fuzz.Chunking{Sizes: []int{1 << 10, 15 << 10}}},
		{[]byte{0x7f}, fuzz.Chunking{EOFWithData: true}},
		{[]byte{1, 0xff, 2}, fuzz.Chunking{Sizes: []int{1, 2}, EOFWithData: true}},
		{[]byte{0x83, 0x80, 0x85}, fuzz.Chunking{Sizes: []int{3, 5}}}, // the high bit is NewReader's
		{[]byte{0, 0, 0, 0, 0, 1, 0, 0, 0, 0}, fuzz.Chunking{Sizes: []int{0, 0, 0, 1, 0, 0, 0}}},
	} {
		if diff := cmp.Diff(tt.want, fuzz.DecodeChunking(tt.plan)); diff != "" {
			t.Errorf("DecodeChunking(%x) (-want +got):\n%s", tt.plan, diff)
		}
	}
}

func TestShapes(t *testing.T) {
	for _, tt := range []struct {
		name string
		c    fuzz.Chunking
		data string
		want []string
	}{
		{"zero value", fuzz.Chunking{}, "abcdef", []string{"abcdef"}},
		{"OneByte", fuzz.OneByte(), "abc", []string{"a", "b", "c"}},
		{"Halves(10)", fuzz.Halves(10), "0123456789", []string{"01234", "567", "8", "9"}},
		{"Halves(1)", fuzz.Halves(1), "x", []string{"x"}},
		{"Halves(0)", fuzz.Halves(0), "", nil},
		{"Cut(5, 3)", fuzz.Cut(5, 3), "abcdefgh", []string{"abc", "de", "fgh"}},
		{"Cut(3, 3)", fuzz.Cut(3, 3), "abcdef", []string{"abc", "", "def"}},
		{"Cut(0)", fuzz.Cut(0), "ab", []string{"", "ab"}},
		{"Rest", fuzz.Chunking{Sizes: []int{1}, Rest: 2}, "abcdef", []string{"a", "bc", "de", "f"}},
		{"past the end", fuzz.Chunking{Sizes: []int{2, 9, 0, 0, 4, 0}}, "abcde", []string{"ab", "cde", "", ""}},
		{"past the end, io.EOF with data", fuzz.Chunking{Sizes: []int{2, 9, 0, 0}, EOFWithData: true}, "abcde", []string{"ab", "cde"}},
		{"empty reads on empty data", fuzz.Chunking{Sizes: []int{0, 0, 1, 0}, EOFWithData: true}, "", []string{"", ""}},
	} {
		var got []string
		for _, p := range tt.c.Split([]byte(tt.data)) {
			got = append(got, string(p))
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: Split(%q) (-want +got):\n%s", tt.name, tt.data, diff)
		}
	}
}

// TestReads spells out the reads of a Reader, buffer by buffer.
func TestReads(t *testing.T) {
	data := []byte("abcdefgh")
	for _, tt := range []struct {
		name string
		r    io.Reader
		bufs []int
		want []aRead
	}{
		{"planned reads", fuzz.Chunking{Sizes: []int{2, 0, 3}}.Reader(data), []int{100},
			[]aRead{{"ab", nil}, {"", nil}, {"cde", nil}, {"fgh", nil}, {"", io.EOF}}},
		{"io.EOF with the data", fuzz.Chunking{Sizes: []int{2, 0, 3}, EOFWithData: true}.Reader(data), []int{100},
			[]aRead{{"ab", nil}, {"", nil}, {"cde", nil}, {"fgh", io.EOF}}},
		{"short buffers split a piece, never join two", fuzz.Cut(3).Reader(data), []int{2},
			[]aRead{{"ab", nil}, {"c", nil}, {"de", nil}, {"fg", nil}, {"h", nil}, {"", io.EOF}}},
		{"an empty buffer reads nothing", fuzz.OneByte().Reader(data), []int{0, 0, 1, 100},
			[]aRead{{"", nil}, {"", nil}, {"a", nil}, {"b", nil}, {"c", nil}, {"d", nil}, {"e", nil}, {"f", nil}, {"g", nil}, {"h", nil}, {"", io.EOF}}},
		{"empty data", fuzz.Chunking{}.Reader(nil), []int{10}, []aRead{{"", io.EOF}}},
		{"NewReader", fuzz.NewReader(data, []byte{3, 0x80, 0x82, 0x7f}), []int{100},
			[]aRead{{"abc", nil}, {"", fuzz.ErrTimeout}, {"de", fuzz.ErrTimeout}, {"fgh", io.EOF}}},
	} {
		var got []aRead
		for i := 0; ; i++ {
			p := make([]byte, tt.bufs[min(i, len(tt.bufs)-1)])
			n, err := tt.r.Read(p)
			got = append(got, aRead{string(p[:n]), err})
			if err == io.EOF || i > 100 {
				break
			}
		}
		if diff := cmp.Diff(tt.want, got, equateErrors); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestRandomIsDeterministic(t *testing.T) {
	a, b := fuzz.Random(1000, 42), fuzz.Random(1000, 42)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("Random(1000, 42) twice (-first +second):\n%s", diff)
	}
	// Over many seeds, every style comes up: single bytes, empty reads,
	// coarse pieces, and both ends of the stream.
	var ones, empties, coarse, eofWithData int
	for seed := range uint64(200) {
		c := fuzz.Random(1000, seed)
		for _, s := range c.Sizes {
			switch {
			case s == 0:
				empties++
			case s == 1:
				ones++
			case s > 100:
				coarse++
			}
		}
		if c.EOFWithData {
			eofWithData++
		}
	}
	if ones == 0 || empties == 0 || coarse == 0 || eofWithData == 0 || eofWithData == 200 {
		t.Errorf("over 200 seeds: %d one-byte reads, %d empty reads, %d reads over 100 bytes, %d with io.EOF with the data",
			ones, empties, coarse, eofWithData)
	}
}

// TestReaderPassesIotest runs iotest.TestReader on Readers of several
// chunkings.
func TestReaderPassesIotest(t *testing.T) {
	data := []byte("the quick brown fox jumps over the lazy dog")
	for _, c := range []fuzz.Chunking{
		{}, {EOFWithData: true}, fuzz.OneByte(), fuzz.Halves(len(data)), fuzz.Cut(1, 7, 7, 40),
		{Sizes: []int{0, 3, 0, 0, 5}, Rest: 2, EOFWithData: true}, fuzz.Random(len(data), 7),
	} {
		if err := iotest.TestReader(c.Reader(data), data); err != nil {
			t.Errorf("%v: %v", c, err)
		}
	}
	if err := iotest.TestReader(fuzz.NewReader(nil, []byte{1, 0}), nil); err != nil {
		t.Errorf("empty data: %v", err)
	}
}

func TestNegativeSizesPanic(t *testing.T) {
	for name, f := range map[string]func(){
		"Size":  func() { fuzz.Chunking{Sizes: []int{1, -1}}.Reader(nil) },
		"Rest":  func() { fuzz.Chunking{Rest: -1}.Split(nil) },
		"Cut":   func() { fuzz.Cut(2, -1) },
		"Fault": func() { fuzz.NewFaultReader(bytes.NewReader(nil), fuzz.Fault{Offset: -1}) },
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

func TestChunkingString(t *testing.T) {
	for _, tt := range []struct {
		c    fuzz.Chunking
		want string
	}{
		{fuzz.Chunking{}, "one read"},
		{fuzz.OneByte(), "1 byte a read"},
		{fuzz.Chunking{Sizes: []int{3, 0, 5}, EOFWithData: true}, "reads 3 0 5, then one read, EOF with the last byte"},
		{fuzz.Chunking{Sizes: []int{1}, Rest: 4}, "reads 1, then 4 bytes a read"},
	} {
		if got := tt.c.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}
