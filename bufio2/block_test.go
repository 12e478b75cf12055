package bufio2_test

// Tests of the reads for line protocols with counted values: ReadBlock,
// ReadLineTrimmed, SkipUntil; and of the iterators' ownership, the zero
// Reader, the error messages, and ReadExactly's memory.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/errs"
)

// TestReadLineTrimmed: ReadLine without "\n" or "\r\n", under every
// chunking; a lone '\r' inside the line stays.
func TestReadLineTrimmed(t *testing.T) {
	for _, s := range rtSources {
		for _, slice := range []bool{false, true} {
			r := bufio2.NewReaderLimit(s.wrap(strings.NewReader("a\r\nb\nc\rd\r\n\r\nlast\r")), 8)
			read := r.ReadLineTrimmed
			if slice {
				read = r.ReadLineTrimmedSlice
			}
			var got []string
			for {
				line, err := read()
				if errors.Is(err, iotest.ErrTimeout) {
					continue
				}
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
				got = append(got, string(line))
			}
			if diff := cmp.Diff([]string{"a", "b", "c\rd", "", "last"}, got); diff != "" {
				t.Errorf("%s, slice %v (-want +got):\n%s", s.name, slice, diff)
			}
		}
	}
}

// TestReadLineTrimmedOverrun: an overlong line is ReadLine's overrun, with
// the line skipped.
func TestReadLineTrimmedOverrun(t *testing.T) {
	r := bufio2.NewReaderLimit(strings.NewReader("0123456789\r\nok\r\n"), 4)
	_, err := r.ReadLineTrimmed()
	var over *errs.LimitOverrunError
	if !errors.As(err, &over) || !over.Discarded || over.Op != "bufio2.ReadLineTrimmed" {
		t.Fatalf("ReadLineTrimmed = %v; want a discarded overrun from ReadLineTrimmed", err)
	}
	if line, err := r.ReadLineTrimmed(); string(line) != "ok" || err != nil {
		t.Errorf("ReadLineTrimmed after the overrun = %q, %v; want \"ok\"", line, err)
	}
}

// TestReadBlock: a RESP-style value, a block and its trailer, small and
// over the limit, copied and not, under every chunking.
func TestReadBlock(t *testing.T) {
	big := strings.Repeat("v", 100)
	stream := "$5\r\nhello\r\n$0\r\n\r\n$100\r\n" + big + "\r\n"
	for _, s := range rtSources {
		for _, slice := range []bool{false, true} {
			r := bufio2.NewReaderLimit(s.wrap(strings.NewReader(stream)), 16)
			read := r.ReadBlock
			if slice {
				read = r.ReadBlockSlice
			}
			var got []string
			for {
				line, err := retryRead(r.ReadLineTrimmed)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("%s: header: %v", s.name, err)
				}
				var n int
				if _, err := fmt.Sscanf(string(line), "$%d", &n); err != nil {
					t.Fatalf("%s: header %q: %v", s.name, line, err)
				}
				p, err := retryRead(func() ([]byte, error) { return read(n, []byte("\r\n")) })
				if err != nil {
					t.Fatalf("%s: ReadBlock(%d): %v", s.name, n, err)
				}
				got = append(got, string(p))
			}
			if diff := cmp.Diff([]string{"hello", "", big}, got); diff != "" {
				t.Errorf("%s, slice %v (-want +got):\n%s", s.name, slice, diff)
			}
		}
	}
}

func retryRead(read func() ([]byte, error)) ([]byte, error) {
	for {
		p, err := read()
		if !errors.Is(err, iotest.ErrTimeout) {
			return p, err
		}
	}
}

// TestReadBlockBadTrailer: a block not followed by its trailer is a
// MalformedFrameError at the trailer's offset, and consumes nothing, for
// blocks within and over the limit.
func TestReadBlockBadTrailer(t *testing.T) {
	for _, n := range []int{3, 40} {
		block := strings.Repeat("b", n)
		r := bufio2.NewReaderLimit(strings.NewReader("x\n"+block+"XY rest"), 16)
		if _, err := r.ReadLine(); err != nil {
			t.Fatal(err)
		}
		_, err := r.ReadBlock(n, []byte("\r\n"))
		var inc *errs.IncompleteReadError
		var mal *errs.MalformedFrameError
		if !errors.As(err, &mal) || mal.Offset != int64(2+n) {
			t.Errorf("ReadBlock(%d) = %v; want a MalformedFrameError at offset %d", n, err, 2+n)
		}
		_, err = r.ReadExactly(1000)
		if !errors.As(err, &inc) || string(inc.Partial) != block+"XY rest" || inc.Offset != 2 {
			t.Errorf("after the bad trailer: %v; want all of the rest, at offset 2", err)
		}
	}
}

// TestReadBlockIncomplete: a stream that ends inside a block or its
// trailer is an IncompleteReadError counting the trailer.
func TestReadBlockIncomplete(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want error
	}{
		{"", 3, io.EOF},
		{"ab", 3, &errs.IncompleteReadError{Partial: []byte("ab"), Expected: 5}},
		{"abc\r", 3, &errs.IncompleteReadError{Partial: []byte("abc\r"), Expected: 5}},
		{strings.Repeat("z", 30), 40, &errs.IncompleteReadError{Partial: []byte(strings.Repeat("z", 30)), Expected: 42}},
	} {
		r := bufio2.NewReaderLimit(strings.NewReader(tt.in), 16)
		_, err := r.ReadBlock(tt.n, []byte("\r\n"))
		if tt.want == io.EOF {
			if err != io.EOF {
				t.Errorf("ReadBlock(%d) on %q = %v; want io.EOF", tt.n, tt.in, err)
			}
			continue
		}
		var inc *errs.IncompleteReadError
		if !errors.As(err, &inc) {
			t.Errorf("ReadBlock(%d) on %q = %v; want an IncompleteReadError", tt.n, tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, inc, ignoreOp); diff != "" {
			t.Errorf("ReadBlock(%d) on %q (-want +got):\n%s", tt.n, tt.in, diff)
		}
	}
}

// TestReadBlockSourceErrorLosesNothing: a block interrupted by an error
// from the source is read whole by the retry.
func TestReadBlockSourceErrorLosesNothing(t *testing.T) {
	for _, n := range []int{5, 50} {
		block := strings.Repeat("q", n)
		r := bufio2.NewReaderLimit(iotest.TimeoutReader(iotest.HalfReader(strings.NewReader(block+"\r\n"))), 16)
		var p []byte
		var err error
		for range 100 {
			if p, err = r.ReadBlock(n, []byte("\r\n")); !errors.Is(err, iotest.ErrTimeout) {
				break
			}
		}
		if string(p) != block || err != nil {
			t.Errorf("ReadBlock(%d) after a timeout = %q, %v", n, p, err)
		}
	}
}

// TestSkipUntil: past an overrun of ReadUntil, SkipUntil discards through
// the separator however far it is, in O(limit) memory, under every
// chunking; at the end of the stream it returns io.EOF.
func TestSkipUntil(t *testing.T) {
	long := strings.Repeat("x", 10_000)
	for _, s := range rtSources {
		r := bufio2.NewReaderLimit(s.wrap(strings.NewReader(long+"\r\nnext\r\ntail")), 64)
		_, err := retryRead(func() ([]byte, error) { return r.ReadUntil([]byte("\r\n")) })
		var over *errs.LimitOverrunError
		if !errors.As(err, &over) || over.Discarded {
			t.Fatalf("%s: ReadUntil = %v; want an overrun that keeps the data", s.name, err)
		}
		var n int64
		for {
			m, err := r.SkipUntil([]byte("\r\n"))
			n += m
			if !errors.Is(err, iotest.ErrTimeout) {
				if err != nil {
					t.Fatalf("%s: SkipUntil: %v", s.name, err)
				}
				break
			}
		}
		if n != int64(len(long)+2) {
			t.Errorf("%s: SkipUntil discarded %d bytes; want %d", s.name, n, len(long)+2)
		}
		if line, err := retryRead(func() ([]byte, error) { return r.ReadUntil([]byte("\r\n")) }); string(line) != "next\r\n" || err != nil {
			t.Errorf("%s: after SkipUntil: %q, %v", s.name, line, err)
		}
		var rest int64
		for {
			m, err := r.SkipUntil([]byte("\r\n"))
			rest += m
			if !errors.Is(err, iotest.ErrTimeout) {
				if err != io.EOF || rest != 4 {
					t.Errorf("%s: SkipUntil at the end = %d, %v; want 4, io.EOF", s.name, rest, err)
				}
				break
			}
		}
		if n := bufio2.BufferSize(r); n > 64+4096 {
			t.Errorf("%s: buffer of %d bytes after skipping; want O(limit)", s.name, n)
		}
	}
}

// TestIteratorOwnership: Lines yields copies that stay valid; LinesSlice
// yields views that the next line overwrites, as its name says.
func TestIteratorOwnership(t *testing.T) {
	stream := "aaaa\nbbbb\ncccc\n"
	var kept [][]byte
	for line, err := range bufio2.NewReader(strings.NewReader(stream)).Lines() {
		if err != nil {
			t.Fatal(err)
		}
		kept = append(kept, line)
	}
	if got := string(bytes.Join(kept, nil)); got != stream {
		t.Errorf("lines kept from Lines = %q; want %q", got, stream)
	}
	var views []string
	for line, err := range bufio2.NewReader(strings.NewReader(stream)).LinesSlice() {
		if err != nil {
			t.Fatal(err)
		}
		views = append(views, string(line)) // a copy, as the doc says to make
	}
	if got := strings.Join(views, ""); got != stream {
		t.Errorf("lines from LinesSlice = %q; want %q", got, stream)
	}
}

// TestZeroReader: a zero Reader has DefaultLimit, panics with a message
// that names the constructors when read, and works once Reset.
func TestZeroReader(t *testing.T) {
	var r bufio2.Reader
	if r.Limit() != bufio2.DefaultLimit {
		t.Errorf("zero Reader's Limit = %d; want DefaultLimit", r.Limit())
	}
	func() {
		defer func() {
			p := recover()
			if s, _ := p.(string); !strings.Contains(s, "NewReader") || !strings.Contains(s, "Reset") {
				t.Errorf("reading a zero Reader panicked with %v; want a message naming NewReader and Reset", p)
			}
		}()
		r.ReadLine()
	}()
	r.Reset(strings.NewReader("hello\n"))
	if line, err := r.ReadLine(); string(line) != "hello\n" || err != nil {
		t.Errorf("after Reset: %q, %v", line, err)
	}
}

// TestErrorMessages: each error says which call failed, what became of
// the data, and which knob raises the limit; errors.As still finds the
// types.
func TestErrorMessages(t *testing.T) {
	r := bufio2.NewReaderLimit(strings.NewReader("0123456789\nabc"), 4)
	_, err := r.ReadUntil([]byte("\n"))
	want := "bufio2.ReadUntil: separator found after 10 bytes, over the limit of 4; the data is still buffered: read it (ReadExactly(Consumed)) or skip it (SkipUntil); NewReaderLimit raises the limit"
	if err == nil || err.Error() != want {
		t.Errorf("ReadUntil overrun: %v\nwant %s", err, want)
	}
	_, err = r.ReadLine()
	want = "bufio2.ReadLine: separator found after 10 bytes, over the limit of 4; the line was discarded; NewReaderLimit raises the limit"
	if err == nil || err.Error() != want {
		t.Errorf("ReadLine overrun: %v\nwant %s", err, want)
	}
	_, err = r.ReadExactly(5)
	want = "bufio2.ReadExactly: the stream ended after 3 of 5 bytes (at offset 11); the bytes read are in Partial"
	var inc *errs.IncompleteReadError
	if !errors.As(err, &inc) || err.Error() != want {
		t.Errorf("ReadExactly: %v\nwant %s", err, want)
	}
}

// TestReadExactlyMemoryFollowsBytes: ReadExactly of a count the stream
// declares but does not send costs what was sent, not the count: 1 TiB
// asked of a 10-byte stream allocates little, and fails as incomplete.
func TestReadExactlyMemoryFollowsBytes(t *testing.T) {
	r := bufio2.NewReader(strings.NewReader("0123456789"))
	var err error
	alloc := memTotalAlloc(func() { _, err = r.ReadExactly(1 << 40) })
	var inc *errs.IncompleteReadError
	if !errors.As(err, &inc) || string(inc.Partial) != "0123456789" || inc.Expected != 1<<40 {
		t.Fatalf("ReadExactly(1 TiB) = %v; want the 10 bytes as incomplete", err)
	}
	if alloc > 1<<20 {
		t.Errorf("ReadExactly(1 TiB) on a 10-byte stream allocated %d bytes; want at most 1 MiB", alloc)
	}
	// And a large count that does arrive is read whole.
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	p, err := bufio2.NewReader(iotest.HalfReader(bytes.NewReader(data))).ReadExactly(len(data))
	if err != nil || !bytes.Equal(p, data) {
		t.Errorf("ReadExactly(1 MiB) = %d bytes, %v", len(p), err)
	}
}
