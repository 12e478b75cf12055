package bufio2_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/errs"
)

// refModel is the reference the property and fuzz tests check the Reader
// against: asyncio's StreamReader (CPython 3.13 streams.py) that has been
// fed the whole stream and EOF before the first read, with the Go mappings
// of API.md:
//
//   - a clean end of stream is io.EOF (asyncio returns empty bytes or raises
//     IncompleteReadError with an empty partial);
//   - ReadLine on an overlong line discards the whole line through its '\n'
//     or to EOF (with the whole stream buffered, that is exactly what
//     asyncio's readline discards);
//   - a last line without '\n' is returned with a nil error.
//
// rest holds the part of the stream not read yet. The model is written to be
// obviously right, not fast: it copies and searches the whole rest on every
// call.
type refModel struct {
	rest  []byte
	limit int
}

func newRefModel(stream []byte, limit int) *refModel {
	return &refModel{rest: bytes.Clone(stream), limit: limit}
}

// take removes the first n bytes of the rest and returns a copy of them.
func (m *refModel) take(n int) []byte {
	p := bytes.Clone(m.rest[:n])
	if p == nil {
		p = []byte{}
	}
	m.rest = m.rest[n:]
	return p
}

// refMatch is where asyncio's readuntil(seps) stops when data is all there is:
// the match of any separator that ends first, and of two that end at the
// same byte, the shorter one. ok is false if no separator occurs in data.
func refMatch(data []byte, seps [][]byte) (start, end int, ok bool) {
	for _, sep := range seps {
		i := bytes.Index(data, sep)
		if i < 0 {
			continue
		}
		e := i + len(sep)
		if !ok || e < end || e == end && len(sep) < end-start {
			start, end, ok = i, e, true
		}
	}
	return start, end, ok
}

func refLongest(seps [][]byte) int {
	n := 0
	for _, s := range seps {
		n = max(n, len(s))
	}
	return n
}

// readUntil is asyncio's readuntil(seps) (a tuple when len(seps) > 1).
func (m *refModel) readUntil(seps ...[]byte) ([]byte, error) {
	if start, end, ok := refMatch(m.rest, seps); ok {
		if start > m.limit {
			// "Separator is found, but chunk is longer than limit"
			return nil, &errs.LimitOverrunError{Consumed: start, Limit: m.limit, Found: true}
		}
		return m.take(end), nil
	}
	// "Separator is not found, and chunk exceed the limit": asyncio's
	// offset = max(0, buflen + 1 - max_seplen), with buflen the whole rest.
	if offset := len(m.rest) + 1 - refLongest(seps); offset > m.limit {
		return nil, &errs.LimitOverrunError{Consumed: offset, Limit: m.limit}
	}
	if len(m.rest) == 0 {
		return nil, io.EOF
	}
	return nil, &errs.IncompleteReadError{Partial: m.take(len(m.rest)), Expected: -1}
}

// readLine is asyncio's readline.
func (m *refModel) readLine() ([]byte, error) {
	line, err := m.readUntil([]byte("\n"))
	var inc *errs.IncompleteReadError
	var over *errs.LimitOverrunError
	switch {
	case errors.As(err, &inc):
		return inc.Partial, nil
	case errors.As(err, &over):
		// asyncio: if self._buffer.startswith(sep, e.consumed): del
		// through the separator, else clear the buffer. The buffer being
		// the whole rest, that is the whole line through its '\n' or to
		// EOF: API.md's deliberate difference.
		if bytes.HasPrefix(m.rest[over.Consumed:], []byte("\n")) {
			m.take(over.Consumed + 1)
		} else {
			m.take(len(m.rest))
		}
	}
	return line, err
}

// readExactly is asyncio's readexactly(n).
func (m *refModel) readExactly(n int) ([]byte, error) {
	switch {
	case n == 0:
		return []byte{}, nil
	case len(m.rest) >= n:
		return m.take(n), nil
	case len(m.rest) == 0:
		return nil, io.EOF
	}
	return nil, &errs.IncompleteReadError{Partial: m.take(len(m.rest)), Expected: n}
}

// read is asyncio's read(n): everything there is, up to n bytes. A Go Read
// may return fewer.
func (m *refModel) read(n int) ([]byte, error) {
	if n == 0 {
		return []byte{}, nil
	}
	if len(m.rest) == 0 {
		return nil, io.EOF
	}
	return m.take(min(n, len(m.rest))), nil
}

// readByte is read(1) with io.ByteReader's result.
func (m *refModel) readByte() (byte, error) {
	if len(m.rest) == 0 {
		return 0, io.EOF
	}
	return m.take(1)[0], nil
}

// unreadByte puts c back in front of the rest.
func (m *refModel) unreadByte(c byte) {
	m.rest = append([]byte{c}, m.rest...)
}

// peek is Peek(n) for n <= limit: the next n bytes, or what is left with
// io.EOF or io.ErrUnexpectedEOF.
func (m *refModel) peek(n int) ([]byte, error) {
	switch {
	case len(m.rest) >= n:
		return bytes.Clone(m.rest[:n]), nil
	case len(m.rest) == 0:
		return []byte{}, io.EOF
	}
	return bytes.Clone(m.rest), io.ErrUnexpectedEOF
}

// discard is Discard(n).
func (m *refModel) discard(n int) (int, error) {
	k := min(n, len(m.rest))
	m.take(k)
	switch {
	case k == n:
		return k, nil
	case k == 0:
		return 0, io.EOF
	}
	return k, io.ErrUnexpectedEOF
}

// refOutcome is a read's result in a form cmp can compare. Errors are told
// apart by kind, with errors.Is and errors.As, never by their text. An
// overrun keeps only its kind here: Consumed and Found may depend on the
// chunking and are checked by refCheckOverrun instead.
type refOutcome struct {
	Data     []byte
	Kind     string
	Partial  []byte // of an IncompleteReadError
	Expected int    // of an IncompleteReadError
}

func refOutcomeOf(data []byte, err error) refOutcome {
	o := refOutcome{Data: data, Kind: refErrKind(err)}
	var inc *errs.IncompleteReadError
	if errors.As(err, &inc) {
		o.Partial, o.Expected = inc.Partial, inc.Expected
	}
	return o
}

// refErrKind names err's kind. A LimitOverrunError comes first, because
// ReadLine's may also wrap the source's error.
func refErrKind(err error) string {
	var inc *errs.IncompleteReadError
	var over *errs.LimitOverrunError
	switch {
	case err == nil:
		return "ok"
	case err == io.EOF: // never wrapped, API.md
		return "EOF"
	case errors.As(err, &over):
		return "overrun"
	case errors.As(err, &inc):
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			return "incomplete without io.ErrUnexpectedEOF"
		}
		return "incomplete"
	case errors.Is(err, iotest.ErrTimeout):
		return "timeout"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpectedEOF"
	case errors.Is(err, bufio2.ErrBufferFull):
		return "bufferFull"
	case errors.Is(err, bufio2.ErrInvalidUnreadByte):
		return "invalidUnread"
	}
	return fmt.Sprintf("unexpected error %T", err)
}

// refIsTimeout reports whether err is the source's timeout alone: the read did
// nothing else and is to be retried.
func refIsTimeout(err error) bool {
	var over *errs.LimitOverrunError
	return errors.Is(err, iotest.ErrTimeout) && !errors.As(err, &over)
}

// refEquateBytes compares byte slices with bytes.Equal: fast on long streams,
// and nil equals empty, since the contract does not say which an empty
// result is.
var refEquateBytes = cmp.Comparer(bytes.Equal)

// refTB is what the checks need from *testing.T and *rapid.T.
type refTB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// refCheckOutcome compares a Reader's result with the model's.
func refCheckOutcome(t refTB, what string, want, got refOutcome) {
	t.Helper()
	if diff := cmp.Diff(want, got, refEquateBytes); diff != "" {
		t.Fatalf("%s: result differs from the model (-want +got):\n%s", what, diff)
	}
}

// refCheckOverrun checks an overrun from the Reader, got, against the model's
// for the whole stream, want (either may be nil: then the other must be
// too). rest is the stream left when the read started and seps its
// separators. API.md's rules:
//
//   - the read overruns if and only if asyncio's reader, given the whole
//     stream, does (want != nil);
//   - Consumed > Limit;
//   - if a winning match exists in the whole stream, Consumed is at most its
//     start, else at most asyncio's whole-stream consumed;
//   - Found only if that match exists, and then Consumed is its start.
func refCheckOverrun(t refTB, what string, limit int, rest []byte, seps [][]byte, want, got *errs.LimitOverrunError) {
	t.Helper()
	if (want == nil) != (got == nil) {
		t.Fatalf("%s: overrun = %v, model's overrun = %v (limit %d, seps %q, rest %q)",
			what, got != nil, want != nil, limit, seps, refClip(rest))
	}
	if got == nil {
		return
	}
	start, _, ok := refMatch(rest, seps)
	switch {
	case got.Limit != limit:
		t.Fatalf("%s: overrun Limit = %d, want %d", what, got.Limit, limit)
	case got.Consumed <= limit:
		t.Fatalf("%s: overrun Consumed = %d, not > Limit %d", what, got.Consumed, limit)
	case ok && got.Consumed > start:
		t.Fatalf("%s: overrun Consumed = %d, past the winning match at %d", what, got.Consumed, start)
	case !ok && got.Consumed > want.Consumed:
		t.Fatalf("%s: overrun Consumed = %d without a match, asyncio's whole-stream consumed is %d",
			what, got.Consumed, want.Consumed)
	case got.Found && !ok:
		t.Fatalf("%s: overrun Found with no separator in the stream", what)
	case got.Found && got.Consumed != start:
		t.Fatalf("%s: overrun Found with Consumed = %d, the match starts at %d", what, got.Consumed, start)
	}
}

// refOverrunOf returns err's LimitOverrunError, or nil.
func refOverrunOf(err error) *errs.LimitOverrunError {
	var over *errs.LimitOverrunError
	if errors.As(err, &over) {
		return over
	}
	return nil
}

// refClip shortens p for a failure message.
func refClip(p []byte) []byte {
	if len(p) > 64 {
		return append(p[:60:60], "..."...)
	}
	return p
}

// TestModel checks the model itself on cases whose results were taken from
// CPython 3.13's asyncio.StreamReader, fed the whole stream and EOF (and
// mapped to Go as the model's doc says), so that the properties rest on a
// reference that is right.
func TestModel(t *testing.T) {
	type overrun struct {
		Consumed int
		Found    bool
	}
	type step struct {
		Data    string
		Kind    string
		Partial string
		Over    overrun
	}
	run := func(m *refModel, do func(*refModel) ([]byte, error)) step {
		data, err := do(m)
		s := step{Data: string(data), Kind: refErrKind(err)}
		var inc *errs.IncompleteReadError
		if errors.As(err, &inc) {
			s.Partial = string(inc.Partial)
		}
		if over := refOverrunOf(err); over != nil {
			s.Over = overrun{over.Consumed, over.Found}
		}
		return s
	}
	until := func(seps ...string) func(*refModel) ([]byte, error) {
		var bs [][]byte
		for _, s := range seps {
			bs = append(bs, []byte(s))
		}
		return func(m *refModel) ([]byte, error) { return m.readUntil(bs...) }
	}
	line := func(m *refModel) ([]byte, error) { return m.readLine() }
	exactly := func(n int) func(*refModel) ([]byte, error) {
		return func(m *refModel) ([]byte, error) { return m.readExactly(n) }
	}
	tests := []struct {
		name   string
		stream string
		limit  int
		ops    []func(*refModel) ([]byte, error)
		want   []step
	}{
		{
			name: "API.md: \\n wins over \\r\\n and overruns", stream: "abc\r\n", limit: 3,
			ops:  []func(*refModel) ([]byte, error){until("\n", "\r\n"), until("\r\n")},
			want: []step{{Kind: "overrun", Over: overrun{4, true}}, {Data: "abc\r\n", Kind: "ok"}},
		},
		{
			name: "earliest end wins", stream: "xaba-b", limit: 10,
			ops:  []func(*refModel) ([]byte, error){until("-", "aba"), until("-", "aba")},
			want: []step{{Data: "xaba", Kind: "ok"}, {Data: "-", Kind: "ok"}},
		},
		{
			name: "tie goes to the shorter", stream: "ab\r\n\r\nc", limit: 3,
			ops:  []func(*refModel) ([]byte, error){until("\r\n\r\n", "\n"), until("\r\n\r\n", "\n")},
			want: []step{{Data: "ab\r\n", Kind: "ok"}, {Data: "\r\n", Kind: "ok"}},
		},
		{
			name: "self-overlapping separator", stream: "aaa", limit: 5,
			ops:  []func(*refModel) ([]byte, error){until("aa"), until("aa")},
			want: []step{{Data: "aa", Kind: "ok"}, {Kind: "incomplete", Partial: "a"}},
		},
		{
			name: "no separator: consumed is len+1-longest", stream: "abcdef", limit: 3,
			ops:  []func(*refModel) ([]byte, error){until("xyz", "q"), until("q")},
			want: []step{{Kind: "overrun", Over: overrun{4, false}}, {Kind: "overrun", Over: overrun{6, false}}},
		},
		{
			name: "tail within the limit is incomplete", stream: "abcd", limit: 3,
			ops:  []func(*refModel) ([]byte, error){until("xy"), until("xy")},
			want: []step{{Kind: "incomplete", Partial: "abcd"}, {Kind: "EOF"}},
		},
		{
			name: "found exactly at the limit", stream: "abc\ndefg\nhi", limit: 3,
			ops:  []func(*refModel) ([]byte, error){line, line, line, line},
			want: []step{{Data: "abc\n", Kind: "ok"}, {Kind: "overrun", Over: overrun{4, true}}, {Data: "hi", Kind: "ok"}, {Kind: "EOF"}},
		},
		{
			name: "overlong last line without newline", stream: "ab\nabcd", limit: 3,
			ops:  []func(*refModel) ([]byte, error){line, line, line},
			want: []step{{Data: "ab\n", Kind: "ok"}, {Kind: "overrun", Over: overrun{4, false}}, {Kind: "EOF"}},
		},
		{
			name: "readexactly", stream: "abcde", limit: 1,
			ops:  []func(*refModel) ([]byte, error){exactly(0), exactly(3), exactly(3), exactly(0), exactly(1)},
			want: []step{{Kind: "ok"}, {Data: "abc", Kind: "ok"}, {Kind: "incomplete", Partial: "de"}, {Kind: "ok"}, {Kind: "EOF"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newRefModel([]byte(tt.stream), tt.limit)
			var got []step
			for _, do := range tt.ops {
				got = append(got, run(m, do))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("model on %q, limit %d (-want +got):\n%s", tt.stream, tt.limit, diff)
			}
		})
	}
}

// refSource is an io.Reader that delivers a stream as its plan says: in
// chunks of chosen sizes, with iotest.ErrTimeout at chosen points (alone, or
// together with a chunk's last bytes), and io.EOF either alone after the
// data or, with eofWithData, together with the last bytes. Once the plan is
// used up, the rest comes as fast as the caller's buffers take it.
type refSource struct {
	data        []byte // not delivered yet
	plan        []refChunk
	eofWithData bool

	timeouts      int // timeouts delivered
	eofSent       bool
	readsAfterEOF int // the Reader must not read again once it has io.EOF
	reads, bound  int // Read calls, and how many make the Reader's loop a hang
}

// refChunk is one step of a refSource's plan: a Read returns up to N bytes
// (the rest of the chunk comes with the next Read if p is shorter), and then
// iotest.ErrTimeout if Timeout is set. With N == 0, the Read returns
// (0, nil) or (0, iotest.ErrTimeout).
type refChunk struct {
	N       int
	Timeout bool
}

// errRefTooManyReads is what a refSource returns once the Reader has called
// it more often than delivering the stream can take: a loop that would spin
// forever fails the test instead.
var errRefTooManyReads = errors.New("test source: too many reads, the Reader does not make progress")

func newRefSource(stream []byte, plan []refChunk, eofWithData bool) *refSource {
	return &refSource{
		data:        bytes.Clone(stream),
		plan:        append([]refChunk(nil), plan...),
		eofWithData: eofWithData,
		bound:       len(stream) + len(plan) + 16,
	}
}

func (s *refSource) Read(p []byte) (int, error) {
	if s.reads++; s.reads > s.bound {
		return 0, errRefTooManyReads
	}
	if s.eofSent {
		s.readsAfterEOF++
		return 0, io.EOF
	}
	var k int
	var err error
	if len(s.plan) > 0 {
		c := &s.plan[0]
		k = copy(p, s.data[:min(c.N, len(s.data))])
		s.data = s.data[k:]
		c.N -= k
		if c.N == 0 || len(s.data) == 0 {
			if c.Timeout {
				err = iotest.ErrTimeout
				s.timeouts++
			}
			s.plan = s.plan[1:]
		}
	} else {
		k = copy(p, s.data)
		s.data = s.data[k:]
	}
	if err == nil && len(s.data) == 0 && len(s.plan) == 0 && (k == 0 || s.eofWithData) {
		s.eofSent = true
		err = io.EOF
	}
	return k, err
}

// refSourceWriterTo is a refSource that is also an io.WriterTo, which
// Reader.WriteTo hands the rest of the stream to.
type refSourceWriterTo struct{ *refSource }

func (s refSourceWriterTo) WriteTo(w io.Writer) (int64, error) {
	var n int64
	buf := make([]byte, 512)
	for {
		k, err := s.Read(buf)
		m, werr := w.Write(buf[:k])
		n += int64(m)
		switch {
		case werr != nil:
			return n, werr
		case err == io.EOF:
			return n, nil
		case err != nil:
			return n, err
		}
	}
}

// refUnread is what the last call on the Reader lets UnreadByte do.
type refUnread int

const (
	refUnreadUnknown refUnread = iota // the contract does not say
	refUnreadOK                       // the last call read bytes: UnreadByte must put the last one back
	refUnreadInvalid                  // after Peek, Discard or UnreadByte: UnreadByte must fail
)

// refReader runs operations on a Reader over a refSource and checks
// each result against the model of the whole stream. A call that fails with
// the source's timeout is retried: after a timeout the Reader must have lost
// nothing, so the retry must give what the model says the first call should
// have given. A ReadLine overrun whose discard a timeout interrupted (the
// error wraps both) counts as the overrun: the model has the whole line
// gone, and so must the next call of any kind, which finishes the discard.
type refReader struct {
	t     refTB
	r     *bufio2.Reader
	src   *refSource
	m     *refModel
	limit int

	unread       refUnread
	lastByte     byte
	lastOverrun  *errs.LimitOverrunError // of the last call, if it was a ReadUntil that overran
	timeoutsSeen int                     // timeouts the Reader returned
	kept         []refKept
}

// refKept is a result of a copying read, which stays the caller's: no
// later call may change it.
type refKept struct{ got, want []byte }

func newRefReader(t refTB, stream []byte, limit int, plan []refChunk, eofWithData, writerTo bool) *refReader {
	src := newRefSource(stream, plan, eofWithData)
	var rd io.Reader = src
	if writerTo {
		rd = refSourceWriterTo{src}
	}
	return &refReader{t: t, r: bufio2.NewReaderLimit(rd, limit), src: src, m: newRefModel(stream, limit), limit: limit}
}

// call runs f until it returns anything but a timeout alone.
func (c *refReader) call(what string, f func() error) {
	c.t.Helper()
	for i := 0; ; i++ {
		err := f()
		if errors.Is(err, iotest.ErrTimeout) {
			c.timeoutsSeen++
		}
		if !refIsTimeout(err) {
			return
		}
		if i > c.src.bound {
			c.t.Fatalf("%s: still timing out after %d retries", what, i)
		}
	}
}

// done records what a read that returned data and err allows next.
func (c *refReader) done(data []byte, err error, copied bool) {
	c.unread = refUnreadUnknown
	if err == nil && len(data) > 0 {
		c.unread, c.lastByte = refUnreadOK, data[len(data)-1]
	}
	if copied && len(data) > 0 {
		c.keep(data)
	}
	var inc *errs.IncompleteReadError
	if errors.As(err, &inc) {
		c.keep(inc.Partial)
	}
	c.lastOverrun = nil
}

func (c *refReader) keep(p []byte) {
	if len(c.kept) == 16 {
		c.kept = c.kept[1:]
	}
	c.kept = append(c.kept, refKept{got: p, want: bytes.Clone(p)})
}

func (c *refReader) readLine(slice bool) {
	c.t.Helper()
	what := "ReadLine"
	if slice {
		what = "ReadLineSlice"
	}
	rest := c.m.rest
	want, wantErr := c.m.readLine()
	var got []byte
	var err error
	c.call(what, func() error {
		if slice {
			got, err = c.r.ReadLineSlice()
		} else {
			got, err = c.r.ReadLine()
		}
		return err
	})
	refCheckOverrun(c.t, what, c.limit, rest, [][]byte{[]byte("\n")}, refOverrunOf(wantErr), refOverrunOf(err))
	refCheckOutcome(c.t, what, refOutcomeOf(want, wantErr), refOutcomeOf(got, err))
	c.done(got, err, !slice)
}

// Variants of the separator reads.
const (
	refUntilCopy = iota
	refUntilSlice
	refUntilAny
	refUntilAnySlice
)

func (c *refReader) readUntil(seps [][]byte, variant int) {
	c.t.Helper()
	what := fmt.Sprintf("%s(%q)", [...]string{"ReadUntil", "ReadUntilSlice", "ReadUntilAny", "ReadUntilAnySlice"}[variant], seps)
	rest := c.m.rest
	want, wantErr := c.m.readUntil(seps...)
	var got []byte
	var err error
	c.call(what, func() error {
		switch variant {
		case refUntilCopy:
			got, err = c.r.ReadUntil(seps[0])
		case refUntilSlice:
			got, err = c.r.ReadUntilSlice(seps[0])
		case refUntilAny:
			got, err = c.r.ReadUntilAny(seps...)
		default:
			got, err = c.r.ReadUntilAnySlice(seps...)
		}
		return err
	})
	refCheckOverrun(c.t, what, c.limit, rest, seps, refOverrunOf(wantErr), refOverrunOf(err))
	refCheckOutcome(c.t, what, refOutcomeOf(want, wantErr), refOutcomeOf(got, err))
	c.done(got, err, variant == refUntilCopy || variant == refUntilAny)
	c.lastOverrun = refOverrunOf(err)
}

// Variants of ReadExactly.
const (
	refExactlyCopy = iota
	refExactlySlice
	refExactlyInto
)

func (c *refReader) readExactly(n, variant int) {
	c.t.Helper()
	what := fmt.Sprintf("%s(%d)", [...]string{"ReadExactly", "ReadExactlySlice", "ReadExactlyInto"}[variant], n)
	want, wantErr := c.m.readExactly(n)
	var got []byte
	var err error
	c.call(what, func() error {
		switch variant {
		case refExactlyCopy:
			got, err = c.r.ReadExactly(n)
		case refExactlySlice:
			got, err = c.r.ReadExactlySlice(n)
		default:
			p := bytes.Repeat([]byte{0xEE}, n)
			var k int
			k, err = c.r.ReadExactlyInto(p)
			var inc *errs.IncompleteReadError
			switch {
			case err == nil:
				if k != n {
					c.t.Fatalf("%s = %d, nil", what, k)
				}
				got = p
			case errors.As(err, &inc):
				if k != len(inc.Partial) || !bytes.Equal(inc.Partial, p[:k]) {
					c.t.Fatalf("%s = %d with Partial %q, not p[:n] = %q", what, k, inc.Partial, p[:k])
				}
			case err == io.EOF:
				if k != 0 {
					c.t.Fatalf("%s = %d, io.EOF", what, k)
				}
			}
		}
		return err
	})
	refCheckOutcome(c.t, what, refOutcomeOf(want, wantErr), refOutcomeOf(got, err))
	c.done(got, err, variant != refExactlySlice || n > c.limit)
}

// read reads with Read until it has what asyncio's read(n) returns for the
// whole stream: a Go Read may return fewer bytes, but at least one, and
// io.EOF only when the stream has ended with nothing buffered.
func (c *refReader) read(n int) {
	c.t.Helper()
	what := fmt.Sprintf("Read(%d)", n)
	want, wantErr := c.m.read(n)
	p := make([]byte, n)
	var got []byte
	var err error
	clean := false // the last call returned bytes and nil
	for retries := 0; len(got) < len(want); {
		var k int
		k, err = c.r.Read(p[:n-len(got)])
		got = append(got, p[:k]...)
		clean = k > 0 && err == nil
		if errors.Is(err, iotest.ErrTimeout) {
			c.timeoutsSeen++
			err = nil
			if retries++; retries > c.src.bound {
				c.t.Fatalf("%s: still timing out after %d retries", what, retries)
			}
			continue
		}
		if err != nil || k == 0 {
			c.t.Fatalf("%s returned %d, %v after %q, want %q", what, k, err, refClip(got), refClip(want))
		}
	}
	if wantErr != nil || n == 0 {
		var k int
		c.call(what, func() error {
			k, err = c.r.Read(p)
			return err
		})
		if k != 0 {
			c.t.Fatalf("%s = %d, %v, want 0", what, k, err)
		}
		clean = false
	}
	refCheckOutcome(c.t, what, refOutcomeOf(want, wantErr), refOutcomeOf(got, err))
	c.done(nil, nil, false)
	if clean {
		c.unread, c.lastByte = refUnreadOK, got[len(got)-1]
	}
}

func (c *refReader) readByte() {
	c.t.Helper()
	want, wantErr := c.m.readByte()
	var got byte
	var err error
	c.call("ReadByte", func() error {
		got, err = c.r.ReadByte()
		return err
	})
	if got != want || refErrKind(err) != refErrKind(wantErr) {
		c.t.Fatalf("ReadByte = %q, %v, want %q, %v", got, err, want, wantErr)
	}
	c.done(nil, nil, false)
	if err == nil {
		c.unread, c.lastByte = refUnreadOK, got
	}
}

// unreadByte calls UnreadByte, which must succeed right after a read that
// returned bytes and fail right after Peek, Discard or UnreadByte. It
// reports false, without calling, when the contract does not say.
func (c *refReader) unreadByte() bool {
	c.t.Helper()
	switch c.unread {
	case refUnreadOK:
		if err := c.r.UnreadByte(); err != nil {
			c.t.Fatalf("UnreadByte after reading %q: %v", c.lastByte, err)
		}
		c.m.unreadByte(c.lastByte)
	case refUnreadInvalid:
		if err := c.r.UnreadByte(); !errors.Is(err, bufio2.ErrInvalidUnreadByte) {
			c.t.Fatalf("UnreadByte after Peek, Discard or UnreadByte = %v, want ErrInvalidUnreadByte", err)
		}
	default:
		return false
	}
	c.unread = refUnreadInvalid
	c.lastOverrun = nil
	return true
}

func (c *refReader) peek(n int) {
	c.t.Helper()
	what := fmt.Sprintf("Peek(%d)", n)
	var got []byte
	var err error
	if n <= c.limit {
		want, wantErr := c.m.peek(n)
		c.call(what, func() error {
			got, err = c.r.Peek(n)
			return err
		})
		refCheckOutcome(c.t, what, refOutcomeOf(want, nil), refOutcomeOf(got, nil))
		if refErrKind(err) != refErrKind(wantErr) {
			c.t.Fatalf("%s: error %v, want %v", what, err, wantErr)
		}
	} else {
		// More than the limit: ErrBufferFull, with what the Reader could
		// buffer, a prefix of the rest, at most n bytes; all of the limit's
		// worth unless the stream ended first or a timeout is pending.
		c.call(what, func() error {
			got, err = c.r.Peek(n)
			return err
		})
		if !errors.Is(err, bufio2.ErrBufferFull) {
			c.t.Fatalf("%s with limit %d: error %v, want ErrBufferFull", what, c.limit, err)
		}
		if len(got) > n || !bytes.HasPrefix(c.m.rest, got) {
			c.t.Fatalf("%s = %q, not a prefix of the rest %q of at most n bytes", what, refClip(got), refClip(c.m.rest))
		}
		if c.src.timeouts == c.timeoutsSeen && len(got) < min(c.limit, len(c.m.rest)) {
			c.t.Fatalf("%s = %d bytes, want at least min(limit %d, rest %d)", what, len(got), c.limit, len(c.m.rest))
		}
	}
	if b := c.r.Buffered(); b < len(got) {
		c.t.Fatalf("Buffered() = %d after %s returned %d bytes", b, what, len(got))
	}
	c.unread = refUnreadInvalid
	c.lastOverrun = nil
}

func (c *refReader) discard(n int) {
	c.t.Helper()
	what := fmt.Sprintf("Discard(%d)", n)
	total := 0
	var wanted, d int // of the last call
	var err error
	c.call(what, func() error {
		wanted = n - total
		d, err = c.r.Discard(wanted)
		if d < 0 || d > min(wanted, len(c.m.rest)) {
			c.t.Fatalf("%s: a call discarded %d of %d bytes wanted, with %d left", what, d, wanted, len(c.m.rest))
		}
		total += d
		c.m.take(d)
		return err
	})
	var wantErr error
	switch {
	case d == wanted:
	case len(c.m.rest) > 0:
		c.t.Fatalf("%s = %d, %v with %d bytes left", what, d, err, len(c.m.rest))
	case d == 0:
		wantErr = io.EOF
	default:
		wantErr = io.ErrUnexpectedEOF
	}
	if refErrKind(err) != refErrKind(wantErr) {
		c.t.Fatalf("%s = %d, %v, want error %v", what, d, err, wantErr)
	}
	c.unread = refUnreadInvalid
	c.lastOverrun = nil
}

func (c *refReader) buffered() {
	c.t.Helper()
	if b := c.r.Buffered(); b < 0 || b > len(c.m.rest) {
		c.t.Fatalf("Buffered() = %d with %d bytes left", b, len(c.m.rest))
	}
}

func (c *refReader) atEOF() {
	c.t.Helper()
	if c.r.AtEOF() && len(c.m.rest) > 0 {
		c.t.Fatalf("AtEOF() = true with %d bytes left", len(c.m.rest))
	}
}

// writeTo ends the stream with WriteTo, which must write all that is left,
// and checks that nothing was lost on the way.
func (c *refReader) writeTo() {
	c.t.Helper()
	var w bytes.Buffer
	c.call("WriteTo", func() error {
		before := w.Len()
		n, err := c.r.WriteTo(&w)
		if int(n) != w.Len()-before {
			c.t.Fatalf("WriteTo = %d, %v, but wrote %d bytes", n, err, w.Len()-before)
		}
		return err
	})
	if diff := cmp.Diff(c.m.rest, w.Bytes(), refEquateBytes); diff != "" {
		c.t.Fatalf("WriteTo wrote other than the rest of the stream (-want +got):\n%s", diff)
	}
	c.m.take(len(c.m.rest))
	if !c.r.AtEOF() {
		c.t.Fatalf("AtEOF() = false after WriteTo returned nil")
	}
	if _, err := c.r.ReadByte(); err != io.EOF {
		c.t.Fatalf("ReadByte after WriteTo: %v, want io.EOF", err)
	}
	if c.timeoutsSeen != c.src.timeouts {
		c.t.Fatalf("the source timed out %d times, the Reader returned %d of them", c.src.timeouts, c.timeoutsSeen)
	}
	c.unread = refUnreadUnknown
	c.lastOverrun = nil
}

// check holds between any two calls.
func (c *refReader) check() {
	c.t.Helper()
	for _, k := range c.kept {
		if !bytes.Equal(k.got, k.want) {
			c.t.Fatalf("a result the caller keeps changed from %q to %q", refClip(k.want), refClip(k.got))
		}
	}
	if pending := c.src.timeouts - c.timeoutsSeen; pending < 0 || pending > 1 {
		c.t.Fatalf("the source timed out %d times, the Reader returned %d of them", c.src.timeouts, c.timeoutsSeen)
	}
	if c.src.readsAfterEOF > 0 {
		c.t.Fatalf("the Reader read %d times from the source after io.EOF", c.src.readsAfterEOF)
	}
	if c.r.Limit() != c.limit {
		c.t.Fatalf("Limit() = %d, want %d", c.r.Limit(), c.limit)
	}
	c.buffered()
	c.atEOF()
}
