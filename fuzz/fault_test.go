package fuzz_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/streamkit/streamkit/fuzz"
	"github.com/streamkit/streamkit/fuzz/fuzzrapid"
)

var errBroken = errors.New("test: connection broken")

// TestFaultAtOffset: a Fault's error comes after exactly Offset bytes,
// whatever the chunking and the caller's buffers: with the read's data or
// alone as WithData says, and then either forever (Sticky) or once, after
// which the rest of the stream follows, with nothing lost.
func TestFaultAtOffset(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		data := rapid.SliceOfN(rapid.Byte(), 0, 100).Draw(t, "data")
		f := fuzz.Fault{
			Offset:   int64(rapid.IntRange(0, len(data)+2).Draw(t, "offset")),
			Err:      rapid.SampledFrom([]error{nil, errBroken, io.ErrUnexpectedEOF}).Draw(t, "err"),
			Sticky:   rapid.Bool().Draw(t, "sticky"),
			WithData: rapid.Bool().Draw(t, "withData"),
		}
		want := f.Err
		if want == nil {
			want = fuzz.ErrTimeout
		}
		c := fuzzrapid.Chunking(len(data)).Draw(t, "chunking")
		bufs := rapid.SliceOfN(rapid.IntRange(1, 16), 1, 8).Draw(t, "bufs")
		var r io.Reader = c.Reader(data, f)
		if rapid.Bool().Draw(t, "faultReader") {
			r = fuzz.NewFaultReader(c.Reader(data), f) // the same, as a wrapper
		}
		reads := readAllWith(t, r, bufs...)
		last := reads[len(reads)-1]
		var got []byte
		for _, rd := range reads {
			got = append(got, rd.Data...)
		}
		if f.Offset > int64(len(data)) {
			if last.Err != io.EOF || !bytes.Equal(got, data) {
				t.Fatalf("a fault past the end: read %q, %v; want %q, io.EOF", got, last.Err, data)
			}
			return
		}
		if !errors.Is(last.Err, want) || last.Err == io.EOF && want != io.EOF {
			t.Fatalf("first error %v, want %v", last.Err, want)
		}
		if !bytes.Equal(got, data[:f.Offset]) {
			t.Fatalf("before the error: %q, want %q (offset %d)", got, data[:f.Offset], f.Offset)
		}
		if withData := last.Data != ""; withData != (f.WithData && f.Offset > 0) {
			t.Fatalf("the error came with %q; WithData %v, offset %d", last.Data, f.WithData, f.Offset)
		}
		if f.Sticky {
			for range 3 {
				if n, err := r.Read(make([]byte, 8)); n != 0 || err != want {
					t.Fatalf("after a sticky fault: Read = %d, %v; want 0, %v", n, err, want)
				}
			}
			return
		}
		reads = readAllWith(t, r, bufs...)
		if last := reads[len(reads)-1]; last.Err != io.EOF {
			t.Fatalf("after the fault, reading on ends with %v, want io.EOF", last.Err)
		}
		for _, rd := range reads {
			got = append(got, rd.Data...)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("read %q with the fault, want %q", got, data)
		}
	})
}

// TestNewReaderTimeouts: NewReader times out once for each byte of the
// plan with its high bit set, after exactly the bytes of the reads up to
// that byte (or at the end of the data); a caller that retries reads the
// whole data.
func TestNewReaderTimeouts(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		data := rapid.SliceOfN(rapid.Byte(), 0, 300).Draw(t, "data")
		plan := rapid.SliceOfN(rapid.OneOf(rapid.Byte(), rapid.SampledFrom([]byte{0x80, 0x81, 0xff, 0x83})), 0, 30).Draw(t, "plan")
		var want []int64
		at := 0
		for _, b := range plan {
			switch v := int(b & 0x7f); {
			case v < 0x70:
				at += v
			case v < 0x7f:
				at += (v - 0x6f) << 10
			}
			if b&0x80 != 0 {
				want = append(want, int64(min(at, len(data))))
			}
		}
		r := fuzz.NewReader(data, plan)
		var got []int64
		var all []byte
		p := make([]byte, rapid.IntRange(1, 64).Draw(t, "buf"))
		for i := 0; ; i++ {
			if i > 10000 {
				t.Fatalf("no io.EOF")
			}
			n, err := r.Read(p)
			all = append(all, p[:n]...)
			if fuzz.IsTimeout(err) {
				got = append(got, int64(len(all)))
				continue
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
		}
		if !bytes.Equal(all, data) {
			t.Fatalf("read %q, want %q", all, data)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("timeouts at offsets (-want +got):\n%s", diff)
		}
	})
}

func TestFaultReads(t *testing.T) {
	data := []byte("abcdef")
	timeout := fuzz.ErrTimeout
	for _, tt := range []struct {
		name string
		r    io.Reader
		want []aRead
	}{
		{"once", fuzz.Chunking{}.Reader(data, fuzz.Fault{Offset: 4}),
			[]aRead{{"abcd", nil}, {"", timeout}, {"ef", nil}, {"", io.EOF}}},
		{"once, with data", fuzz.Chunking{}.Reader(data, fuzz.Fault{Offset: 4, WithData: true}),
			[]aRead{{"abcd", timeout}, {"ef", nil}, {"", io.EOF}}},
		{"sticky", fuzz.Chunking{}.Reader(data, fuzz.Fault{Offset: 4, Err: errBroken, Sticky: true}),
			[]aRead{{"abcd", nil}, {"", errBroken}, {"", errBroken}}},
		{"sticky with data", fuzz.Chunking{}.Reader(data, fuzz.Fault{Offset: 4, Err: errBroken, Sticky: true, WithData: true}),
			[]aRead{{"abcd", errBroken}, {"", errBroken}}},
		{"at 0, with data: alone", fuzz.Chunking{}.Reader(data, fuzz.Fault{Offset: 0, WithData: true}),
			[]aRead{{"", timeout}, {"abcdef", nil}, {"", io.EOF}}},
		{"at the end, before io.EOF that came with the data", fuzz.Chunking{EOFWithData: true}.Reader(data, fuzz.Fault{Offset: 6}),
			[]aRead{{"abcdef", nil}, {"", timeout}, {"", io.EOF}}},
		{"at the end, with the data, before io.EOF", fuzz.Chunking{EOFWithData: true}.Reader(data, fuzz.Fault{Offset: 6, WithData: true}),
			[]aRead{{"abcdef", timeout}, {"", io.EOF}}},
		{"two at one offset, in the order given", fuzz.OneByte().Reader(data, fuzz.Fault{Offset: 2, Err: errBroken}, fuzz.Fault{Offset: 1}, fuzz.Fault{Offset: 2, WithData: true}),
			[]aRead{{"a", nil}, {"", timeout}, {"b", nil}, {"", errBroken}, {"", timeout}, {"c", nil}, {"d", nil}, {"e", nil}, {"f", nil}, {"", io.EOF}}},
		{"a timeout planned past the end comes at the end", fuzz.NewReader([]byte("ab"), []byte{0x85}),
			[]aRead{{"ab", timeout}, {"", io.EOF}}},
		{"over any io.Reader", fuzz.NewFaultReader(strings.NewReader("abcdef"), fuzz.Fault{Offset: 3}, fuzz.Fault{Offset: 5}),
			[]aRead{{"abc", nil}, {"", timeout}, {"de", nil}, {"", timeout}, {"f", nil}, {"", io.EOF}}},
		{"the source's error at the offset comes after the fault", fuzz.NewFaultReader(&scriptReader{reads: []aRead{{"abc", errBroken}, {"def", nil}}}, fuzz.Fault{Offset: 3}),
			[]aRead{{"abc", nil}, {"", timeout}, {"", errBroken}, {"def", nil}, {"", io.EOF}}},
		{"the source's error before the offset passes", fuzz.NewFaultReader(iotest.ErrReader(errBroken), fuzz.Fault{Offset: 3}),
			[]aRead{{"", errBroken}, {"", errBroken}}},
	} {
		// Read to io.EOF, or until an error other than a timeout comes
		// twice in a row.
		var got []aRead
		for i := 0; i < 20; i++ {
			p := make([]byte, 100)
			n, err := tt.r.Read(p)
			got = append(got, aRead{string(p[:n]), err})
			if err == io.EOF || err != nil && err != timeout && i > 0 && err == got[i-1].Err {
				break
			}
		}
		if diff := cmp.Diff(tt.want, got, equateErrors); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

// scriptReader returns its reads in turn, and then io.EOF.
type scriptReader struct{ reads []aRead }

func (r *scriptReader) Read(p []byte) (int, error) {
	if len(r.reads) == 0 {
		return 0, io.EOF
	}
	rd := r.reads[0]
	r.reads = r.reads[1:]
	return copy(p, rd.Data), rd.Err
}

// TestFaultNotOnEmptyRead: a read into an empty buffer does not set a
// fault off, so the next real read still gets it.
func TestFaultNotOnEmptyRead(t *testing.T) {
	r := fuzz.NewFaultReader(strings.NewReader("ab"), fuzz.Fault{Offset: 0})
	if n, err := r.Read(nil); n != 0 || err != nil {
		t.Fatalf("Read(nil) = %d, %v; want 0, nil", n, err)
	}
	if n, err := r.Read(make([]byte, 4)); n != 0 || err != fuzz.ErrTimeout {
		t.Fatalf("Read = %d, %v; want 0, ErrTimeout", n, err)
	}
	if r.Offset() != 0 {
		t.Fatalf("Offset() = %d, want 0", r.Offset())
	}
}

func TestErrTimeout(t *testing.T) {
	var ne net.Error
	if !errors.As(fuzz.ErrTimeout, &ne) || !ne.Timeout() {
		t.Errorf("ErrTimeout is not a net.Error with Timeout() true")
	}
	for _, target := range []error{os.ErrDeadlineExceeded, iotest.ErrTimeout, fuzz.ErrTimeout} {
		if !errors.Is(fmt.Errorf("read: %w", fuzz.ErrTimeout), target) {
			t.Errorf("errors.Is(wrapped ErrTimeout, %v) is false", target)
		}
	}
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{fuzz.ErrTimeout, true},
		{fmt.Errorf("read: %w", fuzz.ErrTimeout), true},
		{os.ErrDeadlineExceeded, true},
		{&net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}, true},
		{iotest.ErrTimeout, true},
		{nil, false},
		{io.EOF, false},
		{errBroken, false},
	} {
		if got := fuzz.IsTimeout(tt.err); got != tt.want {
			t.Errorf("IsTimeout(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
	if errors.Is(errBroken, fuzz.ErrTimeout) || errors.Is(os.ErrDeadlineExceeded, fuzz.ErrTimeout) {
		t.Errorf("other errors match ErrTimeout")
	}
}
