package bufio2_test

// Unit tests for each method of the Reader and each rule in the doc
// comments of reader.go, until.go, exactly.go and lines.go. The bufio
// matrix (matrix_test.go) checks that every read gives the same results
// under every chunking and after a timeout at any read of the source; these
// tests check what those results are.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/errs"
)

var (
	errRtSource = errors.New("reader test: source failed")
	errRtWrite  = errors.New("reader test: writer failed")
)

// rtScript is a source that returns its reads in order (each one split if
// p is too small for it), then io.EOF. It counts its calls.
type rtScript struct {
	reads []rtRead
	calls int
}

// rtRead is one read of an rtScript: data, then err with its last byte.
type rtRead struct {
	data string
	err  error
}

func (s *rtScript) Read(p []byte) (int, error) {
	s.calls++
	if len(s.reads) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.reads[0].data)
	s.reads[0].data = s.reads[0].data[n:]
	if s.reads[0].data != "" {
		return n, nil
	}
	err := s.reads[0].err
	s.reads = s.reads[1:]
	return n, err
}

func rtScripted(reads ...rtRead) *rtScript { return &rtScript{reads: reads} }

// rtZero returns prefix and then (0, nil), forever but for a guard: after
// rtZeroMaxCalls calls it fails with errRtTooManyCalls, so that a Reader
// that never gives up fails the test instead of hanging it.
type rtZero struct {
	prefix string
	calls  int
}

const rtZeroMaxCalls = 100000

var errRtTooManyCalls = errors.New("reader test: the source was read forever")

func (z *rtZero) Read(p []byte) (int, error) {
	z.calls++
	if z.calls > rtZeroMaxCalls {
		return 0, errRtTooManyCalls
	}
	n := copy(p, z.prefix)
	z.prefix = z.prefix[n:]
	return n, nil
}

// rtSources are the chunkings most unit tests run under.
var rtSources = []struct {
	name string
	wrap func(io.Reader) io.Reader
}{
	{"plain", func(r io.Reader) io.Reader { return r }},
	{"OneByteReader", iotest.OneByteReader},
	{"HalfReader", iotest.HalfReader},
	{"DataErrReader", iotest.DataErrReader},
}

// rtPattern returns n bytes of a pattern without '\n', for data whose
// position can be recognised.
func rtPattern(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = "0123456789abcdefghijklmnopqrstuvwxyz"[(i*7+i/36)%36]
	}
	return string(b)
}

// rtRest reads what is left in r.
func rtRest(t *testing.T, r *bufio2.Reader) string {
	t.Helper()
	rest, err := io.ReadAll(r)
	if err != nil {
		t.Errorf("reading the rest: %v", err)
	}
	return string(rest)
}

// rtIsEOF reports whether err is io.EOF itself, which is never wrapped.
func rtIsEOF(err error) bool { return err == io.EOF }

// rtCheckErr checks err against want: nil, io.EOF (which must be io.EOF
// itself), or an error that err matches with errors.Is.
func rtCheckErr(t *testing.T, what string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Errorf("%s: err = %v, want nil", what, err)
	case want == io.EOF && err != io.EOF:
		t.Errorf("%s: err = %v, want io.EOF itself", what, err)
	case want != nil && !errors.Is(err, want):
		t.Errorf("%s: err = %v, want %v", what, err, want)
	}
}

// ignoreOp leaves out of a comparison the Op of the errors, which only
// names the call in the message (TestErrorMessages checks it).
var ignoreOp = cmp.Options{
	cmpopts.IgnoreFields(errs.IncompleteReadError{}, "Op"),
	cmpopts.IgnoreFields(errs.LimitOverrunError{}, "Op"),
}

func rtOverrun(err error) *errs.LimitOverrunError {
	var over *errs.LimitOverrunError
	if errors.As(err, &over) {
		return over
	}
	return nil
}

func TestNewReader(t *testing.T) {
	if bufio2.DefaultLimit != 64<<10 {
		t.Errorf("DefaultLimit = %d, want 64 KiB", bufio2.DefaultLimit)
	}
	if got := bufio2.NewReader(strings.NewReader("")).Limit(); got != bufio2.DefaultLimit {
		t.Errorf("NewReader: Limit() = %d, want DefaultLimit", got)
	}
	for _, limit := range []int{1, 7, 1 << 20} {
		if got := bufio2.NewReaderLimit(strings.NewReader(""), limit).Limit(); got != limit {
			t.Errorf("NewReaderLimit(%d): Limit() = %d", limit, got)
		}
	}
	if !errors.Is(bufio2.ErrBufferFull, bufio.ErrBufferFull) {
		t.Errorf("ErrBufferFull is not bufio.ErrBufferFull")
	}
}

func TestMisusePanics(t *testing.T) {
	r := func() *bufio2.Reader { return bufio2.NewReaderLimit(strings.NewReader("abc\n"), 8) }
	nl, empty := []byte("\n"), []byte{}
	tests := []struct {
		name string
		f    func()
	}{
		{"NewReaderLimit(0)", func() { bufio2.NewReaderLimit(strings.NewReader(""), 0) }},
		{"NewReaderLimit(-1)", func() { bufio2.NewReaderLimit(strings.NewReader(""), -1) }},
		{"Peek(-1)", func() { r().Peek(-1) }},
		{"Discard(-1)", func() { r().Discard(-1) }},
		{"ReadExactly(-1)", func() { r().ReadExactly(-1) }},
		{"ReadExactlySlice(-1)", func() { r().ReadExactlySlice(-1) }},
		{"ReadUntil(nil)", func() { r().ReadUntil(nil) }},
		{"ReadUntil(empty)", func() { r().ReadUntil(empty) }},
		{"ReadUntilSlice(empty)", func() { r().ReadUntilSlice(empty) }},
		{"ReadUntilAny()", func() { r().ReadUntilAny() }},
		{"ReadUntilAnySlice()", func() { r().ReadUntilAnySlice() }},
		{"ReadUntilAny(empty)", func() { r().ReadUntilAny(empty) }},
		{"ReadUntilAny(nl, empty)", func() { r().ReadUntilAny(nl, empty) }},
		{"ReadUntilAnySlice(empty, nl)", func() { r().ReadUntilAnySlice(empty, nl) }},
	}
	for _, tt := range tests {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", tt.name)
				}
			}()
			tt.f()
		}()
	}
}

// TestRead: Read returns as soon as there is data, without reading the
// source again, and io.EOF itself at the end.
func TestRead(t *testing.T) {
	src := rtScripted(rtRead{"ab", nil}, rtRead{"cd", nil})
	r := bufio2.NewReaderLimit(src, 64)
	p := make([]byte, 10)
	if n, err := r.Read(p); string(p[:n]) != "ab" || err != nil || src.calls != 1 {
		t.Errorf("Read = %q, %v after %d reads of the source, want \"ab\", nil after 1", p[:n], err, src.calls)
	}
	if n, err := r.Read(nil); n != 0 || err != nil || src.calls != 1 {
		t.Errorf("Read(nil) = %d, %v after %d reads of the source, want 0, nil after 1", n, err, src.calls)
	}
	if n, err := r.Read(p); string(p[:n]) != "cd" || err != nil {
		t.Errorf("Read = %q, %v, want \"cd\", nil", p[:n], err)
	}
	for i := 0; i < 2; i++ {
		if n, err := r.Read(p); n != 0 || !rtIsEOF(err) {
			t.Errorf("Read at the end = %d, %v, want 0, io.EOF", n, err)
		}
	}

	// Buffered data first, without reading the source.
	src = rtScripted(rtRead{"hello", nil}, rtRead{"world", nil})
	r = bufio2.NewReaderLimit(src, 64)
	r.Peek(1)
	if n, err := r.Read(p); string(p[:n]) != "hello" || err != nil || src.calls != 1 {
		t.Errorf("Read = %q, %v after %d reads, want the buffered \"hello\", nil after 1", p[:n], err, src.calls)
	}

	// An error that comes with data is returned once, by the first Read
	// that finds nothing buffered, and then reading goes on.
	for _, rd := range []struct {
		name string
		read func(r *bufio2.Reader) (string, error)
	}{
		{"Read", func(r *bufio2.Reader) (string, error) { n, err := r.Read(p); return string(p[:n]), err }},
		{"ReadByte", func(r *bufio2.Reader) (string, error) {
			c, err := r.ReadByte()
			if err != nil {
				return "", err
			}
			return string(c), nil
		}},
	} {
		r := bufio2.NewReaderLimit(rtScripted(rtRead{"a", errRtSource}, rtRead{"b", nil}), 64)
		var got []string
		for i := 0; i < 4; i++ {
			data, err := rd.read(r)
			got = append(got, fmt.Sprintf("%q %v", data, err))
		}
		want := []string{`"a" <nil>`, `"" ` + errRtSource.Error(), `"b" <nil>`, `"" EOF`}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s over a source that fails with its data (-want +got):\n%s", rd.name, diff)
		}
	}

	// With nothing buffered, a p at least the buffer's size is read into
	// straight from the source.
	direct := &rtDirect{Reader: strings.NewReader(rtPattern(10000))}
	r = bufio2.NewReaderLimit(direct, 64)
	big := make([]byte, 5000)
	if n, err := r.Read(big); n != 5000 || err != nil || direct.into != &big[0] {
		t.Errorf("Read of 5000 bytes = %d, %v; read straight into p: %v, want 5000, nil, true", n, err, direct.into == &big[0])
	}

	// A large p is read into straight from the source, and nothing is
	// lost either way.
	text := rtPattern(20000)
	for _, s := range rtSources {
		r := bufio2.NewReaderLimit(s.wrap(strings.NewReader(text)), 16)
		var got []byte
		big := make([]byte, 8192)
		for {
			n, err := r.Read(big)
			got = append(got, big[:n]...)
			if err != nil {
				rtCheckErr(t, s.name, err, io.EOF)
				break
			}
		}
		if string(got) != text {
			t.Errorf("%s: Read into a large p returned %d bytes, not the text", s.name, len(got))
		}
	}
}

// rtDirect records the first byte of the last p it read into.
type rtDirect struct {
	*strings.Reader
	into *byte
}

func (d *rtDirect) Read(p []byte) (int, error) {
	if len(p) > 0 {
		d.into = &p[0]
	}
	return d.Reader.Read(p)
}

func TestPeek(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		limit   int
		n       int
		want    string
		wantErr error
	}{
		{"some", "abcdef", 64, 3, "abc", nil},
		{"zero", "abcdef", 64, 0, "", nil},
		{"zero at the end", "", 64, 0, "", nil},
		{"all", "abc", 64, 3, "abc", nil},
		{"the limit", "abcdef", 3, 3, "abc", nil},
		{"past the initial buffer", rtPattern(6000), bufio2.DefaultLimit, 5000, rtPattern(6000)[:5000], nil},
		{"short", "ab", 64, 5, "ab", io.ErrUnexpectedEOF},
		{"at the end", "", 64, 1, "", io.EOF},
	}
	for _, tt := range tests {
		for _, s := range rtSources {
			what := fmt.Sprintf("%s, %s: Peek(%d)", tt.name, s.name, tt.n)
			r := bufio2.NewReaderLimit(s.wrap(strings.NewReader(tt.text)), tt.limit)
			p, err := r.Peek(tt.n)
			if string(p) != tt.want {
				t.Errorf("%s = %q, want %q", what, p, tt.want)
			}
			rtCheckErr(t, what, err, tt.wantErr)
			// Peek again gives the same, and Peek consumes nothing.
			if q, _ := r.Peek(tt.n); string(q) != tt.want {
				t.Errorf("%s twice = %q, want %q", what, q, tt.want)
			}
			if rest := rtRest(t, r); rest != tt.text {
				t.Errorf("%s: then the rest is %q, want all of %q", what, rest, tt.text)
			}
		}
	}
}

// TestPeekOverLimit: Peek(n) with n > limit returns ErrBufferFull with at
// most n bytes, and consumes nothing.
func TestPeekOverLimit(t *testing.T) {
	text := "abcdefghij"
	for _, s := range rtSources {
		r := bufio2.NewReaderLimit(s.wrap(strings.NewReader(text)), 3)
		p, err := r.Peek(5)
		if !errors.Is(err, bufio2.ErrBufferFull) || len(p) > 5 || !strings.HasPrefix(text, string(p)) {
			t.Errorf("%s: Peek(5) with limit 3 = %q, %v; want at most 5 bytes, a prefix of %q, and ErrBufferFull", s.name, p, err, text)
		}
		if rest := rtRest(t, r); rest != text {
			t.Errorf("%s: after Peek the rest is %q, want %q", s.name, rest, text)
		}
	}
}

// TestPeekSourceError: a failing source's error comes back once, with what
// is buffered, and the next Peek goes on.
func TestPeekSourceError(t *testing.T) {
	r := bufio2.NewReaderLimit(rtScripted(rtRead{"ab", errRtSource}, rtRead{"cdef", nil}), 64)
	p, err := r.Peek(4)
	if string(p) != "ab" || !errors.Is(err, errRtSource) {
		t.Errorf("Peek(4) = %q, %v, want \"ab\", the source's error", p, err)
	}
	if p, err := r.Peek(4); string(p) != "abcd" || err != nil {
		t.Errorf("Peek(4) again = %q, %v, want \"abcd\", nil", p, err)
	}
}

func TestDiscard(t *testing.T) {
	long := rtPattern(10000)
	tests := []struct {
		name     string
		src      func() io.Reader
		limit    int
		n        int
		want     int
		wantErr  error
		wantRest string
	}{
		{"zero", func() io.Reader { return strings.NewReader("abc") }, 64, 0, 0, nil, "abc"},
		{"some", func() io.Reader { return strings.NewReader("abcdef") }, 64, 2, 2, nil, "cdef"},
		{"all", func() io.Reader { return strings.NewReader("abc") }, 64, 3, 3, nil, ""},
		{"far past the limit", func() io.Reader { return strings.NewReader(long) }, 3, 9000, 9000, nil, long[9000:]},
		{"one byte at a time", func() io.Reader { return iotest.OneByteReader(strings.NewReader(long)) }, 3, 9000, 9000, nil, long[9000:]},
		{"past the end", func() io.Reader { return strings.NewReader("abc") }, 64, 5, 3, io.ErrUnexpectedEOF, ""},
		{"at the end", func() io.Reader { return strings.NewReader("") }, 64, 1, 0, io.EOF, ""},
		{"source error", func() io.Reader { return rtScripted(rtRead{"abc", errRtSource}, rtRead{"def", nil}) }, 64, 5, 3, errRtSource, "def"},
		{"source error first", func() io.Reader { return rtScripted(rtRead{"", errRtSource}, rtRead{"def", nil}) }, 64, 2, 0, errRtSource, "def"},
	}
	for _, tt := range tests {
		r := bufio2.NewReaderLimit(tt.src(), tt.limit)
		n, err := r.Discard(tt.n)
		if n != tt.want {
			t.Errorf("%s: Discard(%d) = %d, want %d", tt.name, tt.n, n, tt.want)
		}
		rtCheckErr(t, tt.name, err, tt.wantErr)
		if rest := rtRest(t, r); rest != tt.wantRest {
			t.Errorf("%s: then the rest is %q, want %q", tt.name, rest, tt.wantRest)
		}
	}
}

// TestUnreadByte: after each kind of read that returns data, UnreadByte
// puts back its last byte, once.
func TestUnreadByte(t *testing.T) {
	text := "hello\r\nworld\nxyz"
	big := rtPattern(9000)
	tests := []struct {
		name  string
		text  string
		limit int
		read  func(r *bufio2.Reader) (consumed int, err error)
	}{
		{"ReadByte", text, 64, func(r *bufio2.Reader) (int, error) { _, err := r.ReadByte(); return 1, err }},
		{"Read", text, 64, func(r *bufio2.Reader) (int, error) { return r.Read(make([]byte, 4)) }},
		{"Read into a large p", big, 64, func(r *bufio2.Reader) (int, error) { return r.Read(make([]byte, 5000)) }},
		{"Read into a large p after a ReadByte", big, 64, func(r *bufio2.Reader) (int, error) {
			r.ReadByte()
			n1, _ := r.Read(make([]byte, r.Buffered())) // empties the buffer
			n2, err := r.Read(make([]byte, 5000))
			return 1 + n1 + n2, err
		}},
		{"ReadLine", text, 64, func(r *bufio2.Reader) (int, error) { p, err := r.ReadLine(); return len(p), err }},
		{"ReadLineSlice", text, 64, func(r *bufio2.Reader) (int, error) { p, err := r.ReadLineSlice(); return len(p), err }},
		{"ReadLine without newline", "abc", 64, func(r *bufio2.Reader) (int, error) { p, err := r.ReadLine(); return len(p), err }},
		{"ReadUntil", text, 64, func(r *bufio2.Reader) (int, error) { p, err := r.ReadUntil([]byte("\r\n")); return len(p), err }},
		{"ReadUntilSlice", text, 64, func(r *bufio2.Reader) (int, error) { p, err := r.ReadUntilSlice([]byte("o")); return len(p), err }},
		{"ReadUntilAny", text, 64, func(r *bufio2.Reader) (int, error) {
			p, err := r.ReadUntilAny([]byte("\n"), []byte("w"))
			return len(p), err
		}},
		{"ReadUntilAnySlice", text, 64, func(r *bufio2.Reader) (int, error) {
			p, err := r.ReadUntilAnySlice([]byte("ld"), []byte("\r\n"), []byte("z"))
			return len(p), err
		}},
		{"ReadExactly", text, 64, func(r *bufio2.Reader) (int, error) { p, err := r.ReadExactly(3); return len(p), err }},
		{"ReadExactly past the limit", big, 16, func(r *bufio2.Reader) (int, error) { p, err := r.ReadExactly(8000); return len(p), err }},
		{"ReadExactlySlice", text, 64, func(r *bufio2.Reader) (int, error) { p, err := r.ReadExactlySlice(3); return len(p), err }},
		{"ReadExactlyInto", text, 64, func(r *bufio2.Reader) (int, error) { return r.ReadExactlyInto(make([]byte, 9)) }},
		{"ReadExactlyInto a large p", big, 64, func(r *bufio2.Reader) (int, error) { return r.ReadExactlyInto(make([]byte, 8500)) }},
	}
	for _, tt := range tests {
		for _, s := range rtSources {
			what := tt.name + ", " + s.name
			r := bufio2.NewReaderLimit(s.wrap(strings.NewReader(tt.text)), tt.limit)
			n, err := tt.read(r)
			if err != nil || n <= 0 {
				t.Errorf("%s: read = %d, %v", what, n, err)
				continue
			}
			if err := r.UnreadByte(); err != nil {
				t.Errorf("%s: UnreadByte = %v, want nil", what, err)
				continue
			}
			if err := r.UnreadByte(); !errors.Is(err, bufio2.ErrInvalidUnreadByte) {
				t.Errorf("%s: UnreadByte twice = %v, want ErrInvalidUnreadByte", what, err)
			}
			if rest := rtRest(t, r); rest != tt.text[n-1:] {
				t.Errorf("%s: after UnreadByte the rest is %q, want %q", what, rest, tt.text[n-1:])
			}
		}
	}
}

// TestUnreadByteFails: UnreadByte fails when no byte was read, or after
// Peek, Discard, WriteTo, Reset, another UnreadByte, or a read that failed;
// and it then changes nothing.
func TestUnreadByteFails(t *testing.T) {
	text := "abcdefghij\nklm"
	tests := []struct {
		name     string
		limit    int
		setup    func(r *bufio2.Reader)
		wantRest string
	}{
		{"nothing read", 64, func(r *bufio2.Reader) {}, text},
		{"after Peek", 64, func(r *bufio2.Reader) { r.ReadByte(); r.Peek(2) }, text[1:]},
		{"after Discard", 64, func(r *bufio2.Reader) { r.ReadByte(); r.Discard(2) }, text[3:]},
		{"after Discard(0)", 64, func(r *bufio2.Reader) { r.ReadByte(); r.Discard(0) }, text[1:]},
		{"after WriteTo", 64, func(r *bufio2.Reader) { r.ReadByte(); r.WriteTo(io.Discard) }, ""},
		{"after UnreadByte", 64, func(r *bufio2.Reader) { r.ReadByte(); r.ReadByte(); r.UnreadByte() }, text[1:]},
		{"after ReadUntil overruns", 3, func(r *bufio2.Reader) { r.ReadByte(); r.ReadUntil([]byte("\n")) }, text[1:]},
		{"after ReadUntilAny overruns", 3, func(r *bufio2.Reader) { r.ReadByte(); r.ReadUntilAny([]byte("\n"), []byte("m")) }, text[1:]},
		{"after ReadLine overruns", 3, func(r *bufio2.Reader) { r.ReadByte(); r.ReadLine() }, "klm"},
		{"after ReadUntil at EOF", 64, func(r *bufio2.Reader) { r.ReadLine(); r.ReadUntil([]byte("x")) }, ""},
		{"after ReadExactly at EOF", 64, func(r *bufio2.Reader) { r.ReadLine(); r.ReadExactly(5) }, ""},
		{"after Reset", 64, func(r *bufio2.Reader) { r.ReadByte(); r.Reset(strings.NewReader(text)) }, text},
	}
	for _, tt := range tests {
		for _, s := range rtSources {
			what := tt.name + ", " + s.name
			r := bufio2.NewReaderLimit(s.wrap(strings.NewReader(text)), tt.limit)
			tt.setup(r)
			if err := r.UnreadByte(); !errors.Is(err, bufio2.ErrInvalidUnreadByte) {
				t.Errorf("%s: UnreadByte = %v, want ErrInvalidUnreadByte", what, err)
			}
			if rest := rtRest(t, r); rest != tt.wantRest {
				t.Errorf("%s: then the rest is %q, want %q", what, rest, tt.wantRest)
			}
		}
	}
}

// TestUnreadByteAfterDirectReadThenReadUntilAny: after a Read straight into
// a large p, UnreadByte writes the byte back into the buffer at a position
// ReadUntilAny had already scanned (here by an overrun that left 8 bytes
// buffered, read out by Read); ReadUntilAny must see it. The stream after
// UnreadByte is "x" + "ab\n", so ReadUntilAny("\n", "x") returns "x". (It
// returned "xab\n" before the fix.)
func TestUnreadByteAfterDirectReadThenReadUntilAny(t *testing.T) {
	src := rtScripted(rtRead{"aaaaaaaa", nil}, rtRead{"zx", nil}, rtRead{"ab\n", nil})
	r := bufio2.NewReaderLimit(src, 3)
	seps := [][]byte{[]byte("\n"), []byte("x")}
	if _, err := r.ReadUntilAny(seps...); rtOverrun(err) == nil {
		t.Fatalf("ReadUntilAny over 8 bytes with limit 3: err = %v, want an overrun", err)
	}
	if n, err := r.Read(make([]byte, 8)); n != 8 || err != nil {
		t.Fatalf("Read = %d, %v, want the 8 buffered bytes", n, err)
	}
	big := make([]byte, 5000)
	if n, err := r.Read(big); string(big[:n]) != "zx" || err != nil {
		t.Fatalf("Read = %q, %v, want \"zx\"", big[:n], err)
	}
	if err := r.UnreadByte(); err != nil {
		t.Fatalf("UnreadByte = %v", err)
	}
	got, err := r.ReadUntilAny(seps...)
	if string(got) != "x" || err != nil {
		t.Errorf("ReadUntilAny after UnreadByte = %q, %v, want \"x\", nil", got, err)
	}
}

// TestReset: Reset clears the buffer and every state, keeps the limit, and
// reads from the new source.
func TestReset(t *testing.T) {
	tests := []struct {
		name  string
		src   io.Reader
		dirty func(r *bufio2.Reader)
	}{
		{"data buffered", strings.NewReader("abcdef"), func(r *bufio2.Reader) { r.Peek(2) }},
		{"source error pending", rtScripted(rtRead{"abc", errRtSource}), func(r *bufio2.Reader) { r.ReadByte() }},
		{"at EOF", strings.NewReader("abc"), func(r *bufio2.Reader) { r.ReadExactly(4) }},
		{"EOF seen, data buffered", iotest.DataErrReader(strings.NewReader("abc")), func(r *bufio2.Reader) { r.ReadByte() }},
		{"discarding an overlong line", rtScripted(rtRead{"abcdefgh", iotest.ErrTimeout}, rtRead{"\n", nil}), func(r *bufio2.Reader) { r.ReadLine() }},
		{"after an overrun", strings.NewReader("abcdefgh\n"), func(r *bufio2.Reader) { r.ReadUntil([]byte("\n")) }},
		{"after a failed ReadExactly", rtScripted(rtRead{rtPattern(9000), iotest.ErrTimeout}), func(r *bufio2.Reader) { r.ReadExactly(10000) }},
		{"after a large Peek", strings.NewReader(rtPattern(9000)), func(r *bufio2.Reader) { r.Peek(5) }},
	}
	for _, tt := range tests {
		r := bufio2.NewReaderLimit(tt.src, 5)
		tt.dirty(r)
		r.Reset(strings.NewReader("new\nline\n"))
		if r.Buffered() != 0 || r.AtEOF() || r.Limit() != 5 {
			t.Errorf("%s: after Reset Buffered() = %d, AtEOF() = %v, Limit() = %d; want 0, false, 5",
				tt.name, r.Buffered(), r.AtEOF(), r.Limit())
		}
		if err := r.UnreadByte(); !errors.Is(err, bufio2.ErrInvalidUnreadByte) {
			t.Errorf("%s: UnreadByte after Reset = %v, want ErrInvalidUnreadByte", tt.name, err)
		}
		var got []string
		for line, err := range r.Lines() {
			got = append(got, fmt.Sprintf("%q %v", line, err))
		}
		want := []string{`"new\n" <nil>`, `"line\n" <nil>`}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: lines after Reset (-want +got):\n%s", tt.name, diff)
		}
		if !r.AtEOF() {
			t.Errorf("%s: AtEOF() = false after reading the new source to its end", tt.name)
		}
	}
}

// TestAtEOFAndBuffered: AtEOF is true if and only if the source has ended
// and nothing is buffered, and neither reads from the source.
func TestAtEOFAndBuffered(t *testing.T) {
	src := rtScripted(rtRead{"abc", nil})
	r := bufio2.NewReaderLimit(src, 64)
	check := func(step string, wantBuffered int, wantEOF bool) {
		t.Helper()
		calls := src.calls
		if got := r.Buffered(); got != wantBuffered {
			t.Errorf("%s: Buffered() = %d, want %d", step, got, wantBuffered)
		}
		if got := r.AtEOF(); got != wantEOF {
			t.Errorf("%s: AtEOF() = %v, want %v", step, got, wantEOF)
		}
		if src.calls != calls {
			t.Errorf("%s: Buffered or AtEOF read from the source", step)
		}
	}
	check("new", 0, false)
	r.Peek(1)
	check("after Peek(1)", 3, false)
	r.ReadByte()
	check("after ReadByte", 2, false)
	r.ReadExactly(2)
	check("all read, EOF not seen yet", 0, false)
	if _, err := r.ReadByte(); !rtIsEOF(err) {
		t.Errorf("ReadByte at the end: %v, want io.EOF", err)
	}
	check("EOF seen", 0, true)

	// EOF seen along with the last data.
	src = rtScripted(rtRead{"abc", io.EOF})
	r = bufio2.NewReaderLimit(src, 64)
	r.Peek(1)
	check("EOF seen, data buffered", 3, false)
	r.ReadExactly(3)
	check("EOF seen, all read", 0, true)

	// A source error is not the end.
	src = rtScripted(rtRead{"", errRtSource}, rtRead{"x", nil})
	r = bufio2.NewReaderLimit(src, 64)
	r.Peek(1)
	check("after a source error", 0, false)
}

// rtWriter accepts up to max bytes (all if max < 0), then fails with err,
// or, with a nil err, writes nothing and returns (0, nil).
type rtWriter struct {
	buf bytes.Buffer
	max int
	err error
}

func (w *rtWriter) Write(p []byte) (int, error) {
	if w.max < 0 || len(p) <= w.max {
		w.max -= len(p)
		return w.buf.Write(p)
	}
	n, _ := w.buf.Write(p[:w.max])
	w.max = 0
	return n, w.err
}

// rtWriterToSource is a source that implements io.WriterTo and counts the
// calls to WriteTo.
type rtWriterToSource struct {
	*strings.Reader
	writeTos int
}

func (s *rtWriterToSource) WriteTo(w io.Writer) (int64, error) {
	s.writeTos++
	return s.Reader.WriteTo(w)
}

func TestWriteTo(t *testing.T) {
	text := rtPattern(10000)
	sources := []struct {
		name     string
		new      func() io.Reader
		writerTo bool
	}{
		{"io.WriterTo", func() io.Reader { return &rtWriterToSource{Reader: strings.NewReader(text)} }, true},
		{"plain", func() io.Reader { return struct{ io.Reader }{strings.NewReader(text)} }, false},
		{"OneByteReader", func() io.Reader { return iotest.OneByteReader(strings.NewReader(text)) }, false},
	}
	firsts := []struct {
		name string
		read func(r *bufio2.Reader) int // returns the bytes consumed
	}{
		{"nothing", func(r *bufio2.Reader) int { return 0 }},
		{"Peek first", func(r *bufio2.Reader) int { r.Peek(10); return 0 }},
		{"ReadByte first", func(r *bufio2.Reader) int { r.ReadByte(); return 1 }},
		{"ReadExactly first", func(r *bufio2.Reader) int { r.ReadExactly(100); return 100 }},
	}
	for _, src := range sources {
		for _, first := range firsts {
			what := src.name + ", " + first.name
			s := src.new()
			r := bufio2.NewReaderLimit(s, 64)
			from := first.read(r)
			var w bytes.Buffer
			n, err := r.WriteTo(&w)
			if err != nil || n != int64(len(text)-from) || w.String() != text[from:] {
				t.Errorf("%s: WriteTo = %d, %v, wrote %d bytes; want %d, nil, the rest of the text",
					what, n, err, w.Len(), len(text)-from)
			}
			if ws, ok := s.(*rtWriterToSource); ok && ws.writeTos != 1 {
				t.Errorf("%s: the source's WriteTo was called %d times, want once", what, ws.writeTos)
			}
			if !r.AtEOF() {
				t.Errorf("%s: AtEOF() = false after WriteTo", what)
			}
			if n, err := r.Read(make([]byte, 1)); n != 0 || !rtIsEOF(err) {
				t.Errorf("%s: Read after WriteTo = %d, %v, want 0, io.EOF", what, n, err)
			}
			if n, err := r.WriteTo(&w); n != 0 || err != nil {
				t.Errorf("%s: WriteTo at the end = %d, %v, want 0, nil", what, n, err)
			}
		}

		// A writer that fails part way: the count is what it took, and a
		// second WriteTo writes the rest.
		for _, max := range []int{0, 5, 100, 5000} {
			what := fmt.Sprintf("%s, writer failing after %d bytes", src.name, max)
			r := bufio2.NewReaderLimit(src.new(), 64)
			r.Peek(10)
			w := &rtWriter{max: max, err: errRtWrite}
			n, err := r.WriteTo(w)
			if !errors.Is(err, errRtWrite) || n != int64(max) || w.buf.Len() != max {
				t.Errorf("%s: WriteTo = %d, %v, wrote %d; want %d, the writer's error", what, n, err, w.buf.Len(), max)
			}
			w.max = -1
			n2, err := r.WriteTo(w)
			if err != nil || n+n2 != int64(len(text)) || w.buf.String() != text {
				t.Errorf("%s: WriteTo again = %d, %v; in all %d bytes, want all %d of the text", what, n2, err, w.buf.Len(), len(text))
			}
		}

		// A writer that writes nothing and reports nothing.
		r := bufio2.NewReaderLimit(src.new(), 64)
		r.Peek(10)
		if n, err := r.WriteTo(&rtWriter{max: 0}); n != 0 || !errors.Is(err, io.ErrShortWrite) {
			t.Errorf("%s: WriteTo a writer that writes nothing = %d, %v, want 0, io.ErrShortWrite", src.name, n, err)
		}
	}

	// A source error: what came before it is written, and a second
	// WriteTo goes on.
	r := bufio2.NewReaderLimit(rtScripted(rtRead{"abc", nil}, rtRead{"def", errRtSource}, rtRead{"ghi", nil}), 64)
	var w bytes.Buffer
	if n, err := r.WriteTo(&w); n != 6 || !errors.Is(err, errRtSource) || w.String() != "abcdef" {
		t.Errorf("WriteTo from a failing source = %d, %v, wrote %q; want 6, the source's error, \"abcdef\"", n, err, w.String())
	}
	if n, err := r.WriteTo(&w); n != 3 || err != nil || w.String() != "abcdefghi" {
		t.Errorf("WriteTo again = %d, %v, wrote %q in all; want 3, nil, \"abcdefghi\"", n, err, w.String())
	}
}

// TestNoProgress: a source that returns (0, nil) forever gets
// io.ErrNoProgress from every read, after a bounded number of calls, and
// the data before it is kept.
func TestNoProgress(t *testing.T) {
	ops := []struct {
		name string
		// With "ab" buffered first: whether the op still needs the
		// source, and whether it keeps the "ab".
		needs, keeps bool
		f            func(r *bufio2.Reader) error
	}{
		{"Read", false, false, func(r *bufio2.Reader) error { _, err := r.Read(make([]byte, 10)); return err }},
		{"Read into a large p", false, false, func(r *bufio2.Reader) error { _, err := r.Read(make([]byte, 10000)); return err }},
		{"ReadByte", false, false, func(r *bufio2.Reader) error { _, err := r.ReadByte(); return err }},
		{"ReadLine", true, true, func(r *bufio2.Reader) error { _, err := r.ReadLine(); return err }},
		{"ReadLineSlice", true, true, func(r *bufio2.Reader) error { _, err := r.ReadLineSlice(); return err }},
		{"ReadUntil", true, true, func(r *bufio2.Reader) error { _, err := r.ReadUntil([]byte("\r\n")); return err }},
		{"ReadUntilAny", true, true, func(r *bufio2.Reader) error { _, err := r.ReadUntilAny([]byte("\n"), []byte("x")); return err }},
		{"ReadExactly", true, true, func(r *bufio2.Reader) error { _, err := r.ReadExactly(5); return err }},
		{"ReadExactly past the buffer", true, true, func(r *bufio2.Reader) error { _, err := r.ReadExactly(10000); return err }},
		{"ReadExactlySlice", true, true, func(r *bufio2.Reader) error { _, err := r.ReadExactlySlice(5); return err }},
		{"ReadExactlyInto", true, true, func(r *bufio2.Reader) error { _, err := r.ReadExactlyInto(make([]byte, 5)); return err }},
		{"Peek", true, true, func(r *bufio2.Reader) error { _, err := r.Peek(5); return err }},
		{"Discard", true, false, func(r *bufio2.Reader) error { _, err := r.Discard(5); return err }},
		{"WriteTo", true, false, func(r *bufio2.Reader) error { _, err := r.WriteTo(io.Discard); return err }},
		{"Lines", true, true, func(r *bufio2.Reader) error {
			var errs []error
			for _, err := range r.Lines() {
				errs = append(errs, err)
				if len(errs) > 1 {
					break
				}
			}
			if len(errs) != 1 {
				return fmt.Errorf("Lines yielded %d errors, want 1 and stop: %v", len(errs), errs)
			}
			return errs[0]
		}},
	}
	for _, op := range ops {
		for _, prefix := range []string{"", "ab"} {
			if prefix != "" && !op.needs {
				continue
			}
			src := &rtZero{prefix: prefix}
			r := bufio2.NewReaderLimit(src, 1000)
			if prefix != "" {
				r.Peek(2)
			}
			if err := op.f(r); !errors.Is(err, io.ErrNoProgress) {
				t.Errorf("%s (after %q): err = %v, want io.ErrNoProgress", op.name, prefix, err)
			}
			if src.calls > 1000 {
				t.Errorf("%s (after %q): %d reads of the source before giving up", op.name, prefix, src.calls)
			}
			if prefix != "" && op.keeps {
				if p, _ := r.Peek(2); string(p) != prefix {
					t.Errorf("%s (after %q): then Peek(2) = %q: data lost", op.name, prefix, p)
				}
			}
		}
	}
}

// TestReadExactlyInterrupted: ReadExactly past the buffer, interrupted part
// way by a timeout, keeps the bytes it read, and a retry returns the full,
// correct data.
func TestReadExactlyInterrupted(t *testing.T) {
	const n = 20000
	text := rtPattern(n + 500)
	variants := []struct {
		name string
		read func(r *bufio2.Reader) ([]byte, error)
	}{
		{"ReadExactly", func(r *bufio2.Reader) ([]byte, error) { return r.ReadExactly(n) }},
		{"ReadExactlySlice", func(r *bufio2.Reader) ([]byte, error) { return r.ReadExactlySlice(n) }},
		{"ReadExactlyInto", func(r *bufio2.Reader) ([]byte, error) {
			p := make([]byte, n)
			m, err := r.ReadExactlyInto(p)
			return p[:m], err
		}},
	}
	for _, v := range variants {
		for _, limit := range []int{16, bufio2.DefaultLimit} {
			for _, cut := range []int{1, 15, 16, 17, 1000, 4095, 4096, 4097, 9999, n - 1} {
				for _, withData := range []bool{false, true} {
					what := fmt.Sprintf("%s, limit %d, timeout after %d bytes (with data: %v)", v.name, limit, cut, withData)
					var src *rtScript
					if withData {
						src = rtScripted(rtRead{text[:cut], iotest.ErrTimeout}, rtRead{text[cut:], nil})
					} else {
						src = rtScripted(rtRead{text[:cut], nil}, rtRead{"", iotest.ErrTimeout}, rtRead{text[cut:], nil})
					}
					r := bufio2.NewReaderLimit(src, limit)
					r.Peek(1) // something buffered first
					p, err := v.read(r)
					if !errors.Is(err, iotest.ErrTimeout) {
						t.Errorf("%s: err = %v, want the timeout", what, err)
						continue
					}
					if len(p) != 0 || r.Buffered() != cut {
						t.Errorf("%s: returned %d bytes with %d buffered, want 0 bytes with all %d read kept", what, len(p), r.Buffered(), cut)
					}
					p, err = v.read(r)
					if err != nil || string(p) != text[:n] {
						t.Errorf("%s: retry = %d bytes, %v; want the first %d bytes of the text, nil", what, len(p), err, n)
					}
					if rest := rtRest(t, r); rest != text[n:] {
						t.Errorf("%s: then the rest is %d bytes, want the last %d", what, len(rest), len(text)-n)
					}
				}
			}
		}
	}
}

// TestReadExactly: the results of ReadExactly and its variants.
func TestReadExactly(t *testing.T) {
	long := rtPattern(5000)
	tests := []struct {
		name    string
		text    string
		limit   int
		n       int
		want    string
		wantErr error
	}{
		{"some", "abcdef", 64, 4, "abcd", nil},
		{"zero", "abc", 64, 0, "", nil},
		{"zero at the end", "", 64, 0, "", nil},
		{"all", "abc", 64, 3, "abc", nil},
		{"past the limit", long, 3, 4500, long[:4500], nil},
		{"at the end", "", 64, 5, "", io.EOF},
		{"part way", "abc", 64, 5, "", &errs.IncompleteReadError{Partial: []byte("abc"), Expected: 5}},
		{"part way past the limit", long, 3, 6000, "", &errs.IncompleteReadError{Partial: []byte(long), Expected: 6000}},
	}
	variants := []struct {
		name string
		read func(r *bufio2.Reader, n int) ([]byte, error)
	}{
		{"ReadExactly", (*bufio2.Reader).ReadExactly},
		{"ReadExactlySlice", (*bufio2.Reader).ReadExactlySlice},
		{"ReadExactlyInto", func(r *bufio2.Reader, n int) ([]byte, error) {
			p := make([]byte, n)
			m, err := r.ReadExactlyInto(p)
			var inc *errs.IncompleteReadError
			if errors.As(err, &inc) && (len(inc.Partial) != m || m > 0 && &inc.Partial[0] != &p[0]) {
				return nil, errors.New("ReadExactlyInto: the IncompleteReadError's Partial is not p[:n]")
			}
			if err != nil {
				return nil, err
			}
			return p[:m], nil
		}},
	}
	for _, tt := range tests {
		for _, v := range variants {
			for _, s := range rtSources {
				what := fmt.Sprintf("%s, %s, %s(%d)", tt.name, s.name, v.name, tt.n)
				r := bufio2.NewReaderLimit(s.wrap(strings.NewReader(tt.text)), tt.limit)
				got, err := v.read(r, tt.n)
				if string(got) != tt.want {
					t.Errorf("%s = %d bytes %.20q, want %d bytes %.20q", what, len(got), got, len(tt.want), tt.want)
				}
				if want, ok := tt.wantErr.(*errs.IncompleteReadError); ok {
					var inc *errs.IncompleteReadError
					if !errors.As(err, &inc) || !errors.Is(err, io.ErrUnexpectedEOF) {
						t.Errorf("%s: err = %v, want an IncompleteReadError", what, err)
					} else if diff := cmp.Diff(want, inc, ignoreOp); diff != "" {
						t.Errorf("%s: IncompleteReadError (-want +got):\n%s", what, diff)
					}
					if r.Buffered() != 0 {
						t.Errorf("%s: %d bytes still buffered after an incomplete read", what, r.Buffered())
					}
				} else {
					rtCheckErr(t, what, err, tt.wantErr)
				}
				wantRest := tt.text[len(tt.want):]
				if tt.wantErr != nil {
					wantRest = ""
				}
				if rest := rtRest(t, r); rest != wantRest {
					t.Errorf("%s: then the rest is %.20q, want %.20q", what, rest, wantRest)
				}
			}
		}
	}
}

// TestReadUntilAnyAPIExample is the example of API.md and of the doc of
// ReadUntilAny: with limit 3, ReadUntilAny("\n", "\r\n") on "abc\r\n"
// overruns (the winner is "\n", after 4 bytes), while ReadUntil("\r\n")
// succeeds. CPython 3.13 gives consumed = 4.
func TestReadUntilAnyAPIExample(t *testing.T) {
	for _, s := range rtSources {
		r := bufio2.NewReaderLimit(s.wrap(strings.NewReader("abc\r\n")), 3)
		_, err := r.ReadUntilAny([]byte("\n"), []byte("\r\n"))
		want := &errs.LimitOverrunError{Consumed: 4, Limit: 3, Found: true}
		if diff := cmp.Diff(want, rtOverrun(err), ignoreOp); diff != "" {
			t.Errorf("%s: ReadUntilAny(\"\\n\", \"\\r\\n\"): err %v (-want +got):\n%s", s.name, err, diff)
		}
		// The data stays buffered, and ReadUntil("\r\n") takes it.
		if got, err := r.ReadUntil([]byte("\r\n")); string(got) != "abc\r\n" || err != nil {
			t.Errorf("%s: then ReadUntil(\"\\r\\n\") = %q, %v, want \"abc\\r\\n\", nil", s.name, got, err)
		}
		if _, err := r.ReadUntil([]byte("\r\n")); !rtIsEOF(err) {
			t.Errorf("%s: then ReadUntil = %v, want io.EOF", s.name, err)
		}
	}
}

// TestReadUntilAny: the match that ends first wins; on a tie the shorter
// one, and the limit applies to the data before the winner. The results were
// checked against CPython 3.13.
func TestReadUntilAny(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		limit int
		seps  []string
		want  string
		over  *errs.LimitOverrunError // if it overruns
	}{
		{"first end wins", "abcd", 10, []string{"abcd", "c"}, "abc", nil},
		{"first end wins, in any order", "abcd", 10, []string{"c", "abcd"}, "abc", nil},
		{"tie: shorter wins", "xabc", 1, []string{"abc", "bc"}, "", &errs.LimitOverrunError{Consumed: 2, Limit: 1, Found: true}},
		{"tie: shorter wins, in any order", "xabc", 1, []string{"bc", "abc"}, "", &errs.LimitOverrunError{Consumed: 2, Limit: 1, Found: true}},
		{"tie within the limit", "xabc", 2, []string{"abc", "bc"}, "xabc", nil},
		{"suffix separator", "a\r\n", 1, []string{"\r\n", "\n"}, "", &errs.LimitOverrunError{Consumed: 2, Limit: 1, Found: true}},
		{"many separators", "the end; or, not.", 64, []string{".", ";", ",", "!", "?", ":", "-", "+", "=", "or"}, "the end;", nil},
		{"many separators, long match", "abc==d", 64, []string{".", ";", ",", "!", "?", ":", "-", "+", "==", "x"}, "abc==", nil},
	}
	for _, tt := range tests {
		seps := make([][]byte, len(tt.seps))
		for i, s := range tt.seps {
			seps[i] = []byte(s)
		}
		for _, s := range rtSources {
			for _, slice := range []bool{false, true} {
				what := fmt.Sprintf("%s, %s, slice %v", tt.name, s.name, slice)
				r := bufio2.NewReaderLimit(s.wrap(strings.NewReader(tt.text)), tt.limit)
				read := r.ReadUntilAny
				if slice {
					read = r.ReadUntilAnySlice
				}
				got, err := read(seps...)
				if tt.over != nil {
					if diff := cmp.Diff(tt.over, rtOverrun(err), ignoreOp); diff != "" {
						t.Errorf("%s: err %v (-want +got):\n%s", what, err, diff)
					}
					continue
				}
				if string(got) != tt.want || err != nil {
					t.Errorf("%s: = %q, %v, want %q, nil", what, got, err, tt.want)
				}
			}
		}
	}
}

// TestReadUntilOverrun: on an overrun the data stays buffered, so that
// ReadExactly(Consumed) then reads it, and Consumed keeps asyncio's
// invariant: Limit < Consumed <= the start of the separator, which starts
// exactly at Consumed when Found.
func TestReadUntilOverrun(t *testing.T) {
	tests := []struct {
		text  string
		limit int
		sep   string
		start int // where the separator starts, or len(text)
	}{
		{"abcdefgh\nrest\n", 4, "\n", 8},
		{"abcdefgh\r\nrest\r\n", 4, "\r\n", 8},
		{"abcde\nrest\n", 4, "\n", 5},
		{rtPattern(5000) + "\nrest\n", 64, "\n", 5000},
		{rtPattern(5000) + "\nrest\n", 4096, "\n", 5000},
		{rtPattern(5000), 64, "\n", 5000},
	}
	for _, tt := range tests {
		for _, s := range rtSources {
			for _, any := range []bool{false, true} {
				what := fmt.Sprintf("%.12q, limit %d, %s, ReadUntilAny %v", tt.text, tt.limit, s.name, any)
				r := bufio2.NewReaderLimit(s.wrap(strings.NewReader(tt.text)), tt.limit)
				var err error
				if any {
					_, err = r.ReadUntilAny([]byte(tt.sep), []byte("\x00"))
				} else {
					_, err = r.ReadUntil([]byte(tt.sep))
				}
				over := rtOverrun(err)
				if over == nil {
					t.Errorf("%s: err = %v, want an overrun", what, err)
					continue
				}
				if over.Limit != tt.limit || over.Consumed <= tt.limit || over.Consumed > tt.start || over.Consumed > r.Buffered() {
					t.Errorf("%s: %+v with %d buffered; want Limit %d < Consumed <= min(%d, Buffered)", what, *over, r.Buffered(), tt.limit, tt.start)
					continue
				}
				if over.Found && over.Consumed != tt.start {
					t.Errorf("%s: %+v, but the separator starts at %d", what, *over, tt.start)
				}
				if s.name == "plain" && len(tt.text) < 4096 && tt.start < len(tt.text) && (!over.Found || over.Consumed != tt.start) {
					t.Errorf("%s: %+v, want Found and Consumed %d when the whole stream is buffered (as asyncio)", what, *over, tt.start)
				}
				// The same read overruns again: nothing was consumed.
				if _, err := r.ReadUntil([]byte(tt.sep)); rtOverrun(err) == nil {
					t.Errorf("%s: the second ReadUntil = %v, want an overrun again", what, err)
				}
				p, err := r.ReadExactly(over.Consumed)
				if err != nil || string(p) != tt.text[:over.Consumed] {
					t.Errorf("%s: ReadExactly(Consumed) = %.12q, %v, want the first %d bytes", what, p, err, over.Consumed)
				}
				if rest := rtRest(t, r); rest != tt.text[over.Consumed:] {
					t.Errorf("%s: then the rest is %.12q, want %.12q", what, rest, tt.text[over.Consumed:])
				}
			}
		}
	}
}

// TestReadUntilAtEOF: ReadUntil at the end with a partial buffer returns an
// IncompleteReadError with all of it and empties the buffer; with nothing
// buffered, io.EOF itself.
func TestReadUntilAtEOF(t *testing.T) {
	for _, s := range rtSources {
		for _, slice := range []bool{false, true} {
			r := bufio2.NewReaderLimit(s.wrap(strings.NewReader("ab\ncd\r")), 64)
			read := r.ReadUntil
			if slice {
				read = r.ReadUntilSlice
			}
			if got, err := read([]byte("\n")); string(got) != "ab\n" || err != nil {
				t.Errorf("%s: ReadUntil = %q, %v, want \"ab\\n\", nil", s.name, got, err)
			}
			_, err := read([]byte("\r\n"))
			var inc *errs.IncompleteReadError
			if !errors.As(err, &inc) || !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("%s: ReadUntil at the end = %v, want an IncompleteReadError", s.name, err)
			} else if diff := cmp.Diff(&errs.IncompleteReadError{Partial: []byte("cd\r"), Expected: -1, Offset: 3}, inc, ignoreOp); diff != "" {
				t.Errorf("%s: (-want +got):\n%s", s.name, diff)
			}
			if r.Buffered() != 0 || !r.AtEOF() {
				t.Errorf("%s: after the incomplete read Buffered() = %d, AtEOF() = %v, want 0, true", s.name, r.Buffered(), r.AtEOF())
			}
			for i := 0; i < 2; i++ {
				if got, err := read([]byte("\n")); got != nil || !rtIsEOF(err) {
					t.Errorf("%s: ReadUntil after the end = %q, %v, want nil, io.EOF", s.name, got, err)
				}
			}
		}
	}
}

// TestReadLine: lines, the last one without '\n', then io.EOF; an overlong
// line is skipped through its '\n' whatever the chunking, the last one to
// the end.
func TestReadLine(t *testing.T) {
	text := "ab\n" + rtPattern(5000) + "\n\ncd\r\n" + "xyz" + strings.Repeat("y", 4200) + "\nlast"
	want := []string{`"ab\n" <nil>`, `"" overrun`, `"\n" <nil>`, `"cd\r\n" <nil>`, `"" overrun`, `"last" <nil>`, `"" EOF`}
	for _, s := range rtSources {
		for _, slice := range []bool{false, true} {
			r := bufio2.NewReaderLimit(s.wrap(strings.NewReader(text)), 4)
			read := r.ReadLine
			if slice {
				read = r.ReadLineSlice
			}
			var got []string
			for i := 0; i < len(want); i++ {
				line, err := read()
				kind := fmt.Sprint(err)
				switch over := rtOverrun(err); {
				case over != nil && over.Limit == 4 && over.Consumed > 4:
					kind = "overrun"
				case err == io.EOF:
					kind = "EOF"
				}
				got = append(got, fmt.Sprintf("%q %s", line, kind))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s, slice %v (-want +got):\n%s", s.name, slice, diff)
			}
		}
	}
}

// TestReadLineSkipInterrupted: a source error while an overlong line is
// being discarded is returned with the overrun (errors.As and errors.Is
// match both), and the next ReadLine goes on discarding.
func TestReadLineSkipInterrupted(t *testing.T) {
	timeout := rtRead{"", iotest.ErrTimeout}
	tests := []struct {
		name  string
		reads []rtRead
		want  []string // per ReadLine: the line, or the errors matched
	}{
		{"one interruption",
			[]rtRead{{"ab\nlong", nil}, timeout, {"er line\nnxt\n", nil}},
			[]string{`"ab\n"`, "overrun+timeout", `"nxt\n"`, "EOF"}},
		{"interrupted with data",
			[]rtRead{{"ab\nlong", nil}, {"er", iotest.ErrTimeout}, {" line\nnxt\n", nil}},
			[]string{`"ab\n"`, "overrun+timeout", `"nxt\n"`, "EOF"}},
		{"two interruptions",
			[]rtRead{{"ab\nlong", nil}, timeout, {"er", nil}, timeout, {" line\nnxt\n", nil}},
			[]string{`"ab\n"`, "overrun+timeout", "timeout", `"nxt\n"`, "EOF"}},
		{"interrupted before the overrun",
			[]rtRead{{"ab\nlo", nil}, timeout, {"nger line\nnxt\n", nil}},
			[]string{`"ab\n"`, "timeout", "overrun", `"nxt\n"`, "EOF"}},
		{"interrupted, then the end",
			[]rtRead{{"ab\nlong", nil}, timeout, {"er line", nil}},
			[]string{`"ab\n"`, "overrun+timeout", "EOF"}},
	}
	for _, tt := range tests {
		r := bufio2.NewReaderLimit(rtScripted(tt.reads...), 3)
		var got []string
		for range tt.want {
			line, err := r.ReadLine()
			var kind []string
			if rtOverrun(err) != nil {
				kind = append(kind, "overrun")
			}
			if errors.Is(err, iotest.ErrTimeout) {
				kind = append(kind, "timeout")
			}
			if err == io.EOF {
				kind = append(kind, "EOF")
			}
			switch {
			case err == nil:
				got = append(got, fmt.Sprintf("%q", line))
			case len(kind) == 0:
				got = append(got, "unexpected: "+err.Error())
			default:
				got = append(got, strings.Join(kind, "+"))
			}
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

// TestInterruptedSkipThenAnyRead: when the source fails while ReadLine
// discards an overlong line, the next read of any kind finishes the discard
// before it reads (API.md: "so the next call starts at the next line
// whatever the chunking"), and if the source fails again, it returns that
// error and the read after it goes on. (Before the fix, only the next
// ReadLine resumed the discard: other reads returned the tail of the long
// line, and a later ReadLine then discarded the next, good, line.)
func TestInterruptedSkipThenAnyRead(t *testing.T) {
	p := make([]byte, 2)
	ops := []struct {
		name     string
		read     func(r *bufio2.Reader) (string, error)
		want     string
		wantRest string
	}{
		{"ReadLine", func(r *bufio2.Reader) (string, error) { l, err := r.ReadLine(); return string(l), err }, "ok\n", "yes\n"},
		{"ReadLineSlice", func(r *bufio2.Reader) (string, error) { l, err := r.ReadLineSlice(); return string(l), err }, "ok\n", "yes\n"},
		{"ReadUntil", func(r *bufio2.Reader) (string, error) { l, err := r.ReadUntil([]byte("\n")); return string(l), err }, "ok\n", "yes\n"},
		{"ReadUntilSlice", func(r *bufio2.Reader) (string, error) {
			l, err := r.ReadUntilSlice([]byte("\n"))
			return string(l), err
		}, "ok\n", "yes\n"},
		{"ReadUntilAny", func(r *bufio2.Reader) (string, error) {
			l, err := r.ReadUntilAny([]byte("\n"), []byte("y"))
			return string(l), err
		}, "ok\n", "yes\n"},
		{"ReadUntilAnySlice", func(r *bufio2.Reader) (string, error) {
			l, err := r.ReadUntilAnySlice([]byte("\n"), []byte("y"))
			return string(l), err
		}, "ok\n", "yes\n"},
		{"ReadExactly", func(r *bufio2.Reader) (string, error) { l, err := r.ReadExactly(2); return string(l), err }, "ok", "\nyes\n"},
		{"ReadExactlySlice", func(r *bufio2.Reader) (string, error) { l, err := r.ReadExactlySlice(2); return string(l), err }, "ok", "\nyes\n"},
		{"ReadExactlyInto", func(r *bufio2.Reader) (string, error) { n, err := r.ReadExactlyInto(p); return string(p[:n]), err }, "ok", "\nyes\n"},
		{"ReadByte", func(r *bufio2.Reader) (string, error) {
			c, err := r.ReadByte()
			if err != nil {
				return "", err
			}
			return string(c), nil
		}, "o", "k\nyes\n"},
		{"Read", func(r *bufio2.Reader) (string, error) { n, err := r.Read(p); return string(p[:n]), err }, "ok", "\nyes\n"},
		{"Peek", func(r *bufio2.Reader) (string, error) { l, err := r.Peek(2); return string(l), err }, "ok", "ok\nyes\n"},
		{"Discard", func(r *bufio2.Reader) (string, error) { n, err := r.Discard(3); return fmt.Sprint(n), err }, "3", "yes\n"},
		{"WriteTo", func(r *bufio2.Reader) (string, error) {
			var w bytes.Buffer
			_, err := r.WriteTo(&w)
			return w.String(), err
		}, "ok\nyes\n", ""},
		{"Lines", func(r *bufio2.Reader) (string, error) {
			for l, err := range r.Lines() {
				return string(l), err
			}
			return "", io.EOF
		}, "ok\n", "yes\n"},
	}
	timeout := rtRead{"", iotest.ErrTimeout}
	for _, op := range ops {
		for _, again := range []bool{false, true} {
			what := fmt.Sprintf("%s (the source fails again: %v)", op.name, again)
			reads := []rtRead{{"ab\nlong", nil}, timeout, {"er line\nok\nyes\n", nil}}
			if again {
				reads = []rtRead{{"ab\nlong", nil}, timeout, {"er", nil}, timeout, {" line\nok\nyes\n", nil}}
			}
			r := bufio2.NewReaderLimit(rtScripted(reads...), 3)
			if line, err := r.ReadLine(); string(line) != "ab\n" || err != nil {
				t.Fatalf("%s: ReadLine = %q, %v", what, line, err)
			}
			if _, err := r.ReadLine(); rtOverrun(err) == nil || !errors.Is(err, iotest.ErrTimeout) {
				t.Fatalf("%s: ReadLine = %v, want the overrun and the timeout", what, err)
			}
			if again {
				if got, err := op.read(r); !errors.Is(err, iotest.ErrTimeout) {
					t.Errorf("%s: = %q, %v, want the second timeout", what, got, err)
				}
			}
			got, err := op.read(r)
			if got != op.want || err != nil {
				t.Errorf("%s: = %q, %v; want %q, nil", what, got, err, op.want)
			}
			if rest := rtRest(t, r); rest != op.wantRest {
				t.Errorf("%s: then the rest is %q, want %q", what, rest, op.wantRest)
			}
		}
	}

	// At the end of the stream.
	r := bufio2.NewReaderLimit(rtScripted(rtRead{"ab\nlong", nil}, timeout, rtRead{"er", nil}), 3)
	r.ReadLine()
	r.ReadLine()
	if r.AtEOF() || r.Buffered() != 0 {
		t.Errorf("after the interrupted discard: AtEOF() = %v, Buffered() = %d, want false, 0", r.AtEOF(), r.Buffered())
	}
	if c, err := r.ReadByte(); !rtIsEOF(err) {
		t.Errorf("ReadByte = %q, %v, want io.EOF: the rest of the line is discarded", c, err)
	}
	if !r.AtEOF() {
		t.Errorf("AtEOF() = false at the end")
	}
}

// TestLines: Lines yields every line, goes on after an overlong line,
// stops after any other error and when the loop breaks, and ends at the
// end of the stream without yielding io.EOF.
func TestLines(t *testing.T) {
	type yield struct {
		Line string
		Err  string
	}
	kind := func(err error) string {
		switch {
		case err == nil:
			return ""
		case rtOverrun(err) != nil && errors.Is(err, iotest.ErrTimeout):
			return "overrun+timeout"
		case rtOverrun(err) != nil:
			return "overrun"
		case errors.Is(err, errRtSource):
			return "source"
		}
		return "unexpected: " + err.Error()
	}
	tests := []struct {
		name     string
		src      func() io.Reader
		breakAt  int // break after this many yields, if > 0
		want     []yield
		wantNext string // what ReadLine returns after the loop
	}{
		{"empty", func() io.Reader { return strings.NewReader("") }, 0, nil, ""},
		{"lines", func() io.Reader { return strings.NewReader("a\n\nbc\r\nd") }, 0,
			[]yield{{"a\n", ""}, {"\n", ""}, {"bc\r\n", ""}, {"d", ""}}, ""},
		{"overlong line", func() io.Reader { return iotest.OneByteReader(strings.NewReader("ab\nabcdef\nxy")) }, 0,
			[]yield{{"ab\n", ""}, {"", "overrun"}, {"xy", ""}}, ""},
		{"source error", func() io.Reader {
			return rtScripted(rtRead{"ab\ncd", nil}, rtRead{"", errRtSource}, rtRead{"\nef\n", nil})
		}, 0,
			[]yield{{"ab\n", ""}, {"", "source"}}, "cd\n"},
		{"source error while skipping", func() io.Reader {
			return rtScripted(rtRead{"ab\nlong", nil}, rtRead{"", iotest.ErrTimeout}, rtRead{"er\nnxt\n", nil})
		}, 0, []yield{{"ab\n", ""}, {"", "overrun+timeout"}, {"nxt\n", ""}}, ""},
		{"break", func() io.Reader { return strings.NewReader("a\nb\nc\n") }, 1, []yield{{"a\n", ""}}, "b\n"},
		{"break after an overrun", func() io.Reader { return strings.NewReader("a\nbcdefg\nc\n") }, 2,
			[]yield{{"a\n", ""}, {"", "overrun"}}, "c\n"},
	}
	for _, tt := range tests {
		r := bufio2.NewReaderLimit(tt.src(), 3)
		var got []yield
		for line, err := range r.Lines() {
			got = append(got, yield{string(line), kind(err)})
			if len(got) == tt.breakAt || len(got) > 20 {
				break
			}
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
		next, err := r.ReadLine()
		if tt.wantNext == "" && !rtIsEOF(err) || tt.wantNext != "" && (string(next) != tt.wantNext || err != nil) {
			t.Errorf("%s: ReadLine after the loop = %q, %v, want %q", tt.name, next, err, tt.wantNext)
		}
	}
}

// TestCopiesStayIntact: the results of the copying reads are the caller's
// to keep: they do not change as the Reader reads on.
func TestCopiesStayIntact(t *testing.T) {
	var b strings.Builder
	for i := 0; b.Len() < 6000; i++ {
		b.WriteString(rtPattern(i % 14))
		b.WriteString([]string{"\n", "\r\n"}[i%2])
	}
	text := b.String()
	lines := strings.SplitAfter(text, "\n")
	lines = lines[:len(lines)-1] // the text ends in '\n'

	reads := []struct {
		name string
		read func(r *bufio2.Reader) ([]byte, error)
		want []string
	}{
		{"ReadLine", (*bufio2.Reader).ReadLine, lines},
		{"ReadUntil", func(r *bufio2.Reader) ([]byte, error) { return r.ReadUntil([]byte("\n")) }, lines},
		{"ReadUntilAny", func(r *bufio2.Reader) ([]byte, error) { return r.ReadUntilAny([]byte("\n"), []byte("\r\n")) }, lines},
		{"ReadExactly", func(r *bufio2.Reader) ([]byte, error) { return r.ReadExactly(1000) }, nil},
		{"ReadExactlySlice past the limit", func(r *bufio2.Reader) ([]byte, error) { return r.ReadExactlySlice(1000) }, nil},
	}
	for _, rd := range reads {
		for _, s := range rtSources {
			r := bufio2.NewReaderLimit(s.wrap(strings.NewReader(text)), 16)
			var got [][]byte
			for {
				p, err := rd.read(r)
				var inc *errs.IncompleteReadError
				if errors.As(err, &inc) {
					p, err = inc.Partial, nil // the caller's too
				}
				if err != nil {
					break
				}
				got = append(got, p)
			}
			want := rd.want
			if want == nil {
				for i := 0; i < len(text); i += 1000 {
					want = append(want, text[i:min(i+1000, len(text))])
				}
			}
			gotStrings := make([]string, len(got))
			for i, p := range got {
				gotStrings[i] = string(p)
			}
			if diff := cmp.Diff(want, gotStrings); diff != "" {
				t.Errorf("%s, %s: results kept until the end (-want +got):\n%s", rd.name, s.name, diff)
			}
		}
	}

	// Lines too.
	r := bufio2.NewReaderLimit(iotest.HalfReader(strings.NewReader(text)), 16)
	var got []string
	var kept [][]byte
	for line, err := range r.Lines() {
		if err != nil {
			t.Fatalf("Lines: %v", err)
		}
		kept = append(kept, line)
	}
	for _, p := range kept {
		got = append(got, string(p))
	}
	if diff := cmp.Diff(lines, got); diff != "" {
		t.Errorf("Lines: results kept until the end (-want +got):\n%s", diff)
	}
}

// TestSliceVariantsAlias: the Slice variants return a slice of the
// Reader's buffer (the byte put back by UnreadByte is the one Peek then
// shows, in the same memory); the copying ones, and ReadExactlySlice past
// the limit, do not.
func TestSliceVariantsAlias(t *testing.T) {
	text := "first line\r\nsecond line\n" + rtPattern(100)
	reads := []struct {
		name  string
		read  func(r *bufio2.Reader) ([]byte, error)
		alias bool
	}{
		{"ReadLineSlice", (*bufio2.Reader).ReadLineSlice, true},
		{"ReadUntilSlice", func(r *bufio2.Reader) ([]byte, error) { return r.ReadUntilSlice([]byte("\r\n")) }, true},
		{"ReadUntilAnySlice", func(r *bufio2.Reader) ([]byte, error) {
			return r.ReadUntilAnySlice([]byte("\n"), []byte("\r\n"), []byte("x"))
		}, true},
		{"ReadExactlySlice", func(r *bufio2.Reader) ([]byte, error) { return r.ReadExactlySlice(30) }, true},
		{"ReadExactlySlice past the limit", func(r *bufio2.Reader) ([]byte, error) { return r.ReadExactlySlice(70) }, false},
		{"ReadLine", (*bufio2.Reader).ReadLine, false},
		{"ReadUntil", func(r *bufio2.Reader) ([]byte, error) { return r.ReadUntil([]byte("\r\n")) }, false},
		{"ReadUntilAny", func(r *bufio2.Reader) ([]byte, error) { return r.ReadUntilAny([]byte("\n"), []byte("x")) }, false},
		{"ReadExactly", func(r *bufio2.Reader) ([]byte, error) { return r.ReadExactly(30) }, false},
	}
	for _, rd := range reads {
		r := bufio2.NewReaderLimit(strings.NewReader(text), 64)
		p, err := rd.read(r)
		if err != nil || len(p) == 0 {
			t.Errorf("%s = %q, %v", rd.name, p, err)
			continue
		}
		if err := r.UnreadByte(); err != nil {
			t.Errorf("%s: UnreadByte = %v", rd.name, err)
			continue
		}
		q, err := r.Peek(1)
		if err != nil || q[0] != p[len(p)-1] {
			t.Errorf("%s: Peek(1) after UnreadByte = %q, %v, want %q", rd.name, q, err, p[len(p)-1:])
			continue
		}
		if alias := &q[0] == &p[len(p)-1]; alias != rd.alias {
			t.Errorf("%s: the result aliases the buffer: %v, want %v", rd.name, alias, rd.alias)
		}
	}
}

// TestSliceVariantsDoNotAllocate: the zero-copy reads of buffered data
// allocate nothing.
func TestSliceVariantsDoNotAllocate(t *testing.T) {
	text := strings.Repeat("a line of text\r\n", 3000)
	lf, crlf, x := []byte("\n"), []byte("\r\n"), []byte("x")
	reads := []struct {
		name string
		read func(r *bufio2.Reader) ([]byte, error)
	}{
		{"ReadLineSlice", (*bufio2.Reader).ReadLineSlice},
		{"ReadUntilSlice", func(r *bufio2.Reader) ([]byte, error) { return r.ReadUntilSlice(crlf) }},
		{"ReadUntilAnySlice", func(r *bufio2.Reader) ([]byte, error) { return r.ReadUntilAnySlice(lf, crlf, x) }},
		{"ReadExactlySlice", func(r *bufio2.Reader) ([]byte, error) { return r.ReadExactlySlice(16) }},
	}
	for _, rd := range reads {
		r := bufio2.NewReader(strings.NewReader(text))
		var err error
		allocs := testing.AllocsPerRun(1000, func() {
			if _, e := rd.read(r); e != nil {
				err = e
			}
		})
		if err != nil {
			t.Errorf("%s: %v", rd.name, err)
		}
		if allocs != 0 {
			t.Errorf("%s: %.1f allocations per call, want 0", rd.name, allocs)
		}
	}
}

// TestErrorTypes: the errors' messages give the counts, and an
// IncompleteReadError is io.ErrUnexpectedEOF for errors.Is.
func TestErrorTypes(t *testing.T) {
	messages := []struct {
		err  error
		want []string
	}{
		{&errs.IncompleteReadError{Partial: make([]byte, 17), Expected: 9001}, []string{"17", "9001"}},
		{&errs.IncompleteReadError{Partial: make([]byte, 23), Expected: -1}, []string{"23"}},
		{&errs.LimitOverrunError{Consumed: 70001, Limit: 65536, Found: true}, []string{"70001", "65536"}},
		{&errs.LimitOverrunError{Consumed: 70002, Limit: 65536, Found: false}, []string{"70002", "65536"}},
	}
	for _, m := range messages {
		for _, want := range m.want {
			if !strings.Contains(m.err.Error(), want) {
				t.Errorf("%#v.Error() = %q, does not give %s", m.err, m.err.Error(), want)
			}
		}
	}

	inc := &errs.IncompleteReadError{Partial: []byte("ab"), Expected: 5}
	if inc.Unwrap() != io.ErrUnexpectedEOF {
		t.Errorf("Unwrap() = %v, want io.ErrUnexpectedEOF", inc.Unwrap())
	}
	wrapped := fmt.Errorf("reading: %w", inc)
	var got *errs.IncompleteReadError
	if !errors.Is(wrapped, io.ErrUnexpectedEOF) || !errors.As(wrapped, &got) || got != inc {
		t.Errorf("errors.Is/As on a wrapped IncompleteReadError fail")
	}
	if errors.Is(inc, io.EOF) {
		t.Errorf("an IncompleteReadError is io.EOF")
	}
	over := &errs.LimitOverrunError{Consumed: 5, Limit: 4}
	if errors.Is(over, io.ErrUnexpectedEOF) || errors.Is(over, io.EOF) {
		t.Errorf("a LimitOverrunError is an end of stream")
	}

	// From a read.
	_, err := bufio2.NewReader(strings.NewReader("abc")).ReadExactly(4321)
	if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "4321") {
		t.Errorf("ReadExactly(4321) of 3 bytes: %v, want io.ErrUnexpectedEOF that gives 4321", err)
	}
}
