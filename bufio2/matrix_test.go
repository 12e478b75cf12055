package bufio2_test

// The bufio matrix, after the standard library's bufio_test.go: every read
// operation of the Reader, over every reader of testing/iotest, with several
// limits and texts. A driver reads a whole text with one operation and
// records a transcript of what each call returned. The transcript over the
// plain source (a strings.Reader, which hands over as much as fits in one
// Read) is the reference, and every other source must give the same one:
// chunking must not change any result. A few transcripts are written out by
// hand, so that the matrix cannot pass by being consistently wrong.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/errs"
)

// mxStep is one result in a transcript. Op is empty for the operation under
// test, "skip" for the ReadExactly(limit+1) that steps over an overrun, and
// the name of the sub-operation in the mixed sequence.
type mxStep struct {
	Op   string
	Data string
	Err  string // the kind of error, from mxKind
}

// errMxSource is the error of the source in the ErrReader column.
var errMxSource = errors.New("matrix: source failed")

// mxKind names the kind of err, with the data of the typed errors that does
// not depend on chunking. A LimitOverrunError's Consumed and Found do depend
// on it, so only its Limit is given; the driver checks Consumed by its
// invariants instead.
func mxKind(err error) string {
	var over *errs.LimitOverrunError
	var inc *errs.IncompleteReadError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &over):
		return fmt.Sprintf("overrun(limit=%d)", over.Limit)
	case errors.As(err, &inc):
		return fmt.Sprintf("incomplete(%q, expected=%d)", inc.Partial, inc.Expected)
	case err == io.EOF:
		return "EOF"
	case errors.Is(err, io.EOF):
		return "wrapped EOF: " + err.Error() // io.EOF must never be wrapped
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "UnexpectedEOF"
	case errors.Is(err, bufio2.ErrBufferFull):
		return "BufferFull"
	case errors.Is(err, errMxSource):
		return "source"
	case errors.Is(err, iotest.ErrTimeout):
		return "timeout"
	case errors.Is(err, io.ErrNoProgress):
		return "NoProgress"
	}
	return "unexpected: " + err.Error()
}

func mxIsOverrun(err error) bool {
	var over *errs.LimitOverrunError
	return errors.As(err, &over)
}

// mxDriver reads with one operation and records the transcript.
type mxDriver struct {
	t     testing.TB
	name  string // for failures of the invariants
	r     *bufio2.Reader
	retry bool // call again after iotest.ErrTimeout, recording nothing
	steps []mxStep
	calls int // calls left before the driver gives up on a loop that does not end

	timeouts int // errors seen that match iotest.ErrTimeout
}

func mxRun(t testing.TB, name string, r *bufio2.Reader, op mxOp, retry bool, maxCalls int) []mxStep {
	steps, _ := mxRunCounting(t, name, r, op, retry, maxCalls)
	return steps
}

// mxRunCounting is mxRun that also counts the errors that matched
// iotest.ErrTimeout.
func mxRunCounting(t testing.TB, name string, r *bufio2.Reader, op mxOp, retry bool, maxCalls int) ([]mxStep, int) {
	d := &mxDriver{t: t, name: name, r: r, retry: retry, calls: maxCalls}
	op.run(d)
	return d.steps, d.timeouts
}

func (d *mxDriver) errorf(format string, args ...any) {
	d.t.Helper()
	d.t.Errorf("%s: %s", d.name, fmt.Sprintf(format, args...))
}

// more reports whether the driver may call again.
func (d *mxDriver) more() bool {
	if d.calls--; d.calls < 0 {
		d.steps = append(d.steps, mxStep{Err: "driver: too many calls, the operation does not end"})
		return false
	}
	return true
}

func (d *mxDriver) record(op string, data []byte, err error) {
	d.steps = append(d.steps, mxStep{Op: op, Data: string(data), Err: mxKind(err)})
}

// do calls f, and calls it again after each bare iotest.ErrTimeout if the
// driver retries. An overrun that also wraps the timeout (ReadLine failing
// while it discards a line) is a result, not a retry.
func (d *mxDriver) do(f func() error) error {
	for i := 0; ; i++ {
		err := f()
		if errors.Is(err, iotest.ErrTimeout) {
			d.timeouts++
		}
		if !d.retry || !errors.Is(err, iotest.ErrTimeout) || mxIsOverrun(err) || i == 100 {
			return err
		}
	}
}

// overrun checks the invariants of a LimitOverrunError from a separator
// read and steps over it with ReadExactly(limit+1), which does not depend
// on chunking, and which the data left buffered must satisfy.
func (d *mxDriver) overrun(err error) {
	d.t.Helper()
	var over *errs.LimitOverrunError
	errors.As(err, &over)
	limit := d.r.Limit()
	if over.Limit != limit || over.Consumed <= limit || over.Consumed > d.r.Buffered() {
		d.errorf("overrun %+v with limit %d and %d buffered: want Limit == limit < Consumed <= Buffered", *over, limit, d.r.Buffered())
	}
	skip, err := d.r.ReadExactly(limit + 1)
	d.record("skip", skip, err)
}

// checkSep checks a successful separator read: it ends with its winning
// separator (the one that ends first, the shortest on a tie), no match ends
// earlier, and the data before the winner is within the limit.
func (d *mxDriver) checkSep(data []byte, seps [][]byte) {
	d.t.Helper()
	win := -1
	for _, s := range seps {
		if bytes.HasSuffix(data, s) && (win < 0 || len(s) < win) {
			win = len(s)
		}
	}
	if win < 0 {
		d.errorf("result %q ends with none of %q", data, seps)
		return
	}
	if len(data)-win > d.r.Limit() {
		d.errorf("result %q has %d bytes before its separator, limit %d", data, len(data)-win, d.r.Limit())
	}
	for k := 1; k < len(data); k++ {
		for _, s := range seps {
			if bytes.HasSuffix(data[:k], s) {
				d.errorf("result %q holds an earlier match of %q", data, s)
				return
			}
		}
	}
}

// mxOp is a read operation: run reads everything with it.
type mxOp struct {
	name string
	run  func(d *mxDriver)
}

func mxRead(size int) mxOp {
	return mxOp{fmt.Sprintf("Read(%d)", size), func(d *mxDriver) {
		p := make([]byte, size)
		var all []byte
		var err error
		for err == nil && d.more() {
			err = d.do(func() error {
				n, err := d.r.Read(p)
				if n < 0 || n > len(p) || n == 0 && err == nil {
					d.errorf("Read = %d, %v", n, err)
				}
				all = append(all, p[:max(n, 0)]...)
				return err
			})
		}
		// How the data is split between calls depends on chunking: the
		// transcript has it all in one step.
		d.record("", all, err)
	}}
}

var mxReadByte = mxOp{"ReadByte", func(d *mxDriver) {
	var all []byte
	var err error
	for err == nil && d.more() {
		err = d.do(func() error {
			c, err := d.r.ReadByte()
			if err == nil {
				all = append(all, c)
			}
			return err
		})
	}
	d.record("", all, err)
}}

func mxReadLine(slice bool) mxOp {
	name, read := "ReadLine", (*bufio2.Reader).ReadLine
	if slice {
		name, read = "ReadLineSlice", (*bufio2.Reader).ReadLineSlice
	}
	return mxOp{name, func(d *mxDriver) {
		for d.more() {
			var line []byte
			err := d.do(func() (err error) { line, err = read(d.r); return err })
			if err == nil && (len(line) == 0 || len(bytes.TrimSuffix(line, []byte("\n"))) > d.r.Limit()) {
				d.errorf("%s = %q, nil with limit %d", name, line, d.r.Limit())
			}
			d.record("", line, err)
			if err != nil && !mxIsOverrun(err) {
				return
			}
		}
	}}
}

// mxUntil is ReadUntil (one separator) or ReadUntilAny, copying or not.
func mxUntil(any, slice bool, seps ...string) mxOp {
	bs := make([][]byte, len(seps))
	for i, s := range seps {
		bs[i] = []byte(s)
	}
	var name string
	var read func(r *bufio2.Reader) ([]byte, error)
	switch {
	case !any && !slice:
		name, read = "ReadUntil", func(r *bufio2.Reader) ([]byte, error) { return r.ReadUntil(bs[0]) }
	case !any && slice:
		name, read = "ReadUntilSlice", func(r *bufio2.Reader) ([]byte, error) { return r.ReadUntilSlice(bs[0]) }
	case any && !slice:
		name, read = "ReadUntilAny", func(r *bufio2.Reader) ([]byte, error) { return r.ReadUntilAny(bs...) }
	default:
		name, read = "ReadUntilAnySlice", func(r *bufio2.Reader) ([]byte, error) { return r.ReadUntilAnySlice(bs...) }
	}
	return mxOp{fmt.Sprintf("%s%q", name, seps), func(d *mxDriver) {
		for d.more() {
			var data []byte
			err := d.do(func() (err error) { data, err = read(d.r); return err })
			d.record("", data, err)
			switch {
			case err == nil:
				d.checkSep(data, bs)
			case mxIsOverrun(err):
				d.overrun(err)
			default:
				return
			}
		}
	}}
}

// mxExactly is ReadExactly(n) ("copy"), ReadExactlySlice(n) ("slice") or
// ReadExactlyInto of an n-byte buffer ("into").
func mxExactly(variant string, n int) mxOp {
	return mxOp{fmt.Sprintf("ReadExactly-%s(%d)", variant, n), func(d *mxDriver) {
		for d.more() {
			var data []byte
			err := d.do(func() (err error) {
				switch variant {
				case "copy":
					data, err = d.r.ReadExactly(n)
				case "slice":
					data, err = d.r.ReadExactlySlice(n)
				default:
					p := make([]byte, n)
					var m int
					m, err = d.r.ReadExactlyInto(p)
					data = p[:m]
					var inc *errs.IncompleteReadError
					if errors.As(err, &inc) && !bytes.Equal(inc.Partial, data) {
						d.errorf("ReadExactlyInto: Partial %q, want p[:n] = %q", inc.Partial, data)
					}
				}
				return err
			})
			if err == nil && len(data) != n {
				d.errorf("ReadExactly(%d) returned %d bytes and nil", n, len(data))
			}
			d.record("", data, err)
			if err != nil {
				return
			}
		}
	}}
}

// mxPeekDiscard peeks at min(n, limit) bytes and discards what it saw.
func mxPeekDiscard(n int) mxOp {
	return mxOp{fmt.Sprintf("Peek(%d)+Discard", n), func(d *mxDriver) {
		k := min(n, d.r.Limit())
		for d.more() {
			var p []byte
			err := d.do(func() (err error) { p, err = d.r.Peek(k); return err })
			if err == nil && len(p) != k {
				d.errorf("Peek(%d) returned %d bytes and nil", k, len(p))
			}
			d.record("", p, err)
			if err != nil && err != io.ErrUnexpectedEOF {
				return
			}
			if m, err := d.r.Discard(len(p)); m != len(p) || err != nil {
				d.errorf("Discard(%d) after Peek = %d, %v", len(p), m, err)
				return
			}
		}
	}}
}

var mxWriteTo = mxOp{"WriteTo", func(d *mxDriver) {
	var buf bytes.Buffer
	var total int64
	var err error
	if d.more() {
		err = d.do(func() error {
			n, err := d.r.WriteTo(&buf)
			total += n
			return err
		})
	}
	if total != int64(buf.Len()) {
		d.errorf("WriteTo counted %d bytes, wrote %d", total, buf.Len())
	}
	if err == nil && !d.r.AtEOF() {
		d.errorf("WriteTo = nil, but not AtEOF")
	}
	d.record("", buf.Bytes(), err)
}}

var mxLines = mxOp{"Lines", func(d *mxDriver) {
	for {
		again := false
		for line, err := range d.r.Lines() {
			if !d.more() {
				return
			}
			if errors.Is(err, iotest.ErrTimeout) {
				d.timeouts++
			}
			if d.retry && errors.Is(err, iotest.ErrTimeout) && !mxIsOverrun(err) {
				again = true // Lines stops after such an error; start again
				continue
			}
			d.record("", line, err)
		}
		if !again || !d.more() {
			d.record("end", nil, nil)
			return
		}
	}
}}

// mxMixed cycles through several operations, so that each one starts from
// the state the others leave.
var mxMixed = mxOp{"Mixed", func(d *mxDriver) {
	anySeps := [][]byte{[]byte("\n"), []byte("x"), []byte("yz")}
	ops := []func() bool{
		func() bool {
			var line []byte
			err := d.do(func() (err error) { line, err = d.r.ReadLine(); return err })
			d.record("ReadLine", line, err)
			return err == nil || mxIsOverrun(err)
		},
		func() bool {
			var c byte
			err := d.do(func() (err error) { c, err = d.r.ReadByte(); return err })
			if err != nil {
				d.record("ReadByte", nil, err)
				return false
			}
			if err := d.r.UnreadByte(); err != nil {
				d.errorf("UnreadByte after ReadByte: %v", err)
			}
			c2, err := d.r.ReadByte()
			if c2 != c || err != nil {
				d.errorf("ReadByte after UnreadByte = %q, %v, want %q, nil", c2, err, c)
			}
			d.record("ReadByte", []byte{c}, nil)
			return true
		},
		func() bool {
			var p []byte
			err := d.do(func() (err error) { p, err = d.r.ReadExactly(3); return err })
			d.record("ReadExactly", p, err)
			return err == nil
		},
		func() bool {
			var p []byte
			err := d.do(func() (err error) { p, err = d.r.ReadUntil([]byte("\r\n")); return err })
			d.record("ReadUntil", p, err)
			if mxIsOverrun(err) {
				d.overrun(err)
			}
			return err == nil || mxIsOverrun(err)
		},
		func() bool {
			var p []byte
			k := min(2, d.r.Limit())
			err := d.do(func() (err error) { p, err = d.r.Peek(k); return err })
			d.record("Peek", p, err)
			if err != nil && err != io.ErrUnexpectedEOF {
				return false
			}
			if n, err := d.r.Discard(1); n != 1 || err != nil {
				d.errorf("Discard(1) after Peek = %d, %v", n, err)
				return false
			}
			return true
		},
		func() bool {
			var p []byte
			err := d.do(func() (err error) { p, err = d.r.ReadUntilAnySlice(anySeps...); return err })
			d.record("ReadUntilAnySlice", p, err)
			if mxIsOverrun(err) {
				d.overrun(err)
			}
			return err == nil || mxIsOverrun(err)
		},
		func() bool {
			var p []byte
			err := d.do(func() (err error) { p, err = d.r.ReadExactlySlice(2); return err })
			d.record("ReadExactlySlice", p, err)
			return err == nil
		},
		func() bool {
			var line []byte
			err := d.do(func() (err error) { line, err = d.r.ReadLineSlice(); return err })
			d.record("ReadLineSlice", line, err)
			return err == nil || mxIsOverrun(err)
		},
	}
	for i := 0; d.more() && ops[i%len(ops)](); i++ {
	}
}}

// mxOps is every read operation of the matrix.
var mxOps = []mxOp{
	mxRead(1),
	mxRead(7),
	mxRead(5000), // large enough to read straight into p
	mxReadByte,
	mxReadLine(false),
	mxReadLine(true),
	mxUntil(false, false, "\n"),
	mxUntil(false, false, "\r\n"),
	mxUntil(false, true, "\r\n"),
	mxUntil(true, false, "\n", "\r\n"),
	mxUntil(true, false, "\r\n", "x", "yz"),
	mxUntil(true, true, "\r\n", "x", "yz"),
	mxExactly("copy", 5),
	mxExactly("copy", 5000),
	mxExactly("slice", 5),
	mxExactly("slice", 5000),
	mxExactly("into", 5),
	mxExactly("into", 5000),
	mxPeekDiscard(3),
	mxPeekDiscard(64),
	mxWriteTo,
	mxLines,
	mxMixed,
}

// mxSources are the sources of the matrix: the readers of testing/iotest
// (the first mxIotestSources) and some combinations. The reference is the
// plain strings.Reader.
var mxSources = []struct {
	name  string
	wrap  func(io.Reader) io.Reader
	retry bool
}{
	{"OneByteReader", iotest.OneByteReader, false},
	{"HalfReader", iotest.HalfReader, false},
	{"DataErrReader", iotest.DataErrReader, false},
	{"TimeoutReader", iotest.TimeoutReader, true},
	{"DataErrReader(OneByteReader)", func(r io.Reader) io.Reader { return iotest.DataErrReader(iotest.OneByteReader(r)) }, false},
	{"TimeoutReader(HalfReader)", func(r io.Reader) io.Reader { return iotest.TimeoutReader(iotest.HalfReader(r)) }, true},
	{"plain without WriterTo", func(r io.Reader) io.Reader { return struct{ io.Reader }{r} }, false},
}

const mxIotestSources = 4

var mxLimits = []int{1, 3, 7, 64, 4096, bufio2.DefaultLimit}

// mxLarge is a text of more than 4096 bytes: lines of many lengths, some
// ending in \r\n, one longer than 4096 bytes (longer than the Reader's
// first buffer), and a last line without \n.
var mxLarge = func() string {
	var b strings.Builder
	for i := 0; i < 30; i++ {
		n := (i * 37) % 90
		for j := 0; j < n; j++ {
			b.WriteByte("abcdefghijklmnopqrstuvwxyz0123456789 "[(i+j)%37])
		}
		switch {
		case i == 20:
			b.WriteString(strings.Repeat("long-", 840))
			b.WriteString("\n")
		case i%5 == 0:
			b.WriteString("\r\n")
		default:
			b.WriteString("\n")
		}
	}
	b.WriteString("last line without newline")
	return b.String()
}()

var mxTexts = []struct{ name, text string }{
	{"empty", ""},
	{"one line", "hello, world\n"},
	{"short lines", "a\nbb\n\nccc\nxyz\nyz\nd\n"},
	{"crlf", "GET / HTTP/1.1\r\nHost: xyz\r\n\r\nbody\r\n"},
	{"long line", "ab\n" + strings.Repeat("0123456789", 10) + "\nc\r\nxy\n"},
	{"no final newline", "first\nsecond\r\nlast line"},
	{"large", mxLarge},
}

func mxMaxCalls(text string) int { return 4*len(text) + 100 }

func TestMatrix(t *testing.T) {
	for _, text := range mxTexts {
		for _, op := range mxOps {
			for _, limit := range mxLimits {
				if len(text.text) > 4096 && limit < 7 {
					// Most of the large text overruns such limits: the
					// long line covers them, at a fraction of the cost.
					continue
				}
				t.Run(fmt.Sprintf("%s/%s/limit=%d", text.name, op.name, limit), func(t *testing.T) {
					calls := mxMaxCalls(text.text)
					r := bufio2.NewReaderLimit(strings.NewReader(text.text), limit)
					want := mxRun(t, "plain", r, op, false, calls)
					if len(want) == 0 {
						t.Fatal("empty transcript over the plain source")
					}
					for i, src := range mxSources {
						if len(text.text) > 4096 && i >= mxIotestSources {
							break // the combinations cost more than they add here
						}
						r := bufio2.NewReaderLimit(src.wrap(strings.NewReader(text.text)), limit)
						got := mxRun(t, src.name, r, op, src.retry, calls)
						if !slices.Equal(want, got) {
							t.Errorf("%s: transcript differs from the plain source's (-want +got):\n%s", src.name, cmp.Diff(want, got))
						}
					}
				})
			}
		}
	}
}

// TestMatrixErrReader: over iotest.ErrReader every operation returns the
// source's error and nothing else (Lines yields it and stops), every time
// it is called.
func TestMatrixErrReader(t *testing.T) {
	want := []mxStep{{Err: "source"}}
	for _, op := range mxOps {
		for _, limit := range mxLimits {
			r := bufio2.NewReaderLimit(iotest.ErrReader(errMxSource), limit)
			for call := 1; call <= 2; call++ {
				got := mxRun(t, "ErrReader", r, op, false, 10)
				if op.name == "Lines" {
					want := []mxStep{{Err: "source"}, {Op: "end"}}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("%s, limit %d, call %d (-want +got):\n%s", op.name, limit, call, diff)
					}
					continue
				}
				if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(mxStep{}, "Op")); diff != "" {
					t.Errorf("%s, limit %d, call %d (-want +got):\n%s", op.name, limit, call, diff)
				}
			}
		}
	}
}

// mxOpNamed returns the operation of the matrix with the given name.
func mxOpNamed(t *testing.T, name string) mxOp {
	t.Helper()
	for _, op := range mxOps {
		if op.name == name {
			return op
		}
	}
	t.Fatalf("no operation %q in the matrix", name)
	return mxOp{}
}

// TestMatrixTranscripts checks transcripts written by hand (the separator
// reads' results were checked against CPython 3.13's StreamReader), over
// the plain source and every source of the matrix.
func TestMatrixTranscripts(t *testing.T) {
	ov := func(limit int) string { return fmt.Sprintf("overrun(limit=%d)", limit) }
	tests := []struct {
		op    string
		text  string
		limit int
		want  []mxStep
	}{
		{"ReadLine", "", 3, []mxStep{{Err: "EOF"}}},
		{"ReadLine", "ab\ncdefgh\n\nij", 3, []mxStep{
			{Data: "ab\n"}, {Err: ov(3)}, {Data: "\n"}, {Data: "ij"}, {Err: "EOF"},
		}},
		// A tail without separator overruns when its length + 1 - len(sep) > limit.
		{"ReadLine", "abc", 3, []mxStep{{Data: "abc"}, {Err: "EOF"}}},
		{"ReadLine", "abcd", 3, []mxStep{{Err: ov(3)}, {Err: "EOF"}}},
		{"ReadLineSlice", "a\r\nb", 64, []mxStep{{Data: "a\r\n"}, {Data: "b"}, {Err: "EOF"}}},
		{`ReadUntil["\r\n"]`, "abcd", 3, []mxStep{{Err: `incomplete("abcd", expected=-1)`}}},
		{`ReadUntil["\r\n"]`, "abcde", 3, []mxStep{
			{Err: ov(3)}, {Op: "skip", Data: "abcd"}, {Err: `incomplete("e", expected=-1)`},
		}},
		{`ReadUntil["\r\n"]`, "a\r\nbcdef\r\ngh", 3, []mxStep{
			{Data: "a\r\n"}, {Err: ov(3)}, {Op: "skip", Data: "bcde"}, {Data: "f\r\n"}, {Err: `incomplete("gh", expected=-1)`},
		}},
		{`ReadUntil["\r\n"]`, "abc\r\n", 3, []mxStep{{Data: "abc\r\n"}, {Err: "EOF"}}},
		// API.md: with limit 3, ReadUntilAny("\n", "\r\n") on "abc\r\n" overruns.
		{`ReadUntilAny["\n" "\r\n"]`, "abc\r\nxy\n", 3, []mxStep{
			{Err: ov(3)}, {Op: "skip", Data: "abc\r"}, {Data: "\n"}, {Data: "xy\n"}, {Err: "EOF"},
		}},
		// The match that ends first wins.
		{`ReadUntilAny["\r\n" "x" "yz"]`, "ayz\r\nbx\r\n", 64, []mxStep{
			{Data: "ayz"}, {Data: "\r\n"}, {Data: "bx"}, {Data: "\r\n"}, {Err: "EOF"},
		}},
		{`ReadUntilAnySlice["\r\n" "x" "yz"]`, "q\r\nyy", 64, []mxStep{
			{Data: "q\r\n"}, {Err: `incomplete("yy", expected=-1)`},
		}},
		{"ReadExactly-copy(5)", "0123456789ab", 3, []mxStep{
			{Data: "01234"}, {Data: "56789"}, {Err: `incomplete("ab", expected=5)`},
		}},
		{"ReadExactly-slice(5)", "0123456789", 3, []mxStep{{Data: "01234"}, {Data: "56789"}, {Err: "EOF"}}},
		{"ReadExactly-into(5)", "01234567", 64, []mxStep{{Data: "01234"}, {Data: "567", Err: `incomplete("567", expected=5)`}}},
		{"ReadExactly-copy(5000)", "short", 64, []mxStep{{Err: `incomplete("short", expected=5000)`}}},
		{"Peek(3)+Discard", "abcdefg", 64, []mxStep{
			{Data: "abc"}, {Data: "def"}, {Data: "g", Err: "UnexpectedEOF"}, {Err: "EOF"},
		}},
		{"Peek(3)+Discard", "abc", 1, []mxStep{{Data: "a"}, {Data: "b"}, {Data: "c"}, {Err: "EOF"}}},
		{"Read(7)", "some text\n", 1, []mxStep{{Data: "some text\n", Err: "EOF"}}},
		{"ReadByte", "", 1, []mxStep{{Err: "EOF"}}},
		{"WriteTo", "all of\nit", 1, []mxStep{{Data: "all of\nit"}}},
		{"Lines", "ab\nabcdef\nxy", 3, []mxStep{{Data: "ab\n"}, {Err: ov(3)}, {Data: "xy"}, {Op: "end"}}},
		{"Lines", "", 3, []mxStep{{Op: "end"}}},
		{"Mixed", "line one\nx\r\nxyz\nrest", 64, []mxStep{
			{Op: "ReadLine", Data: "line one\n"},
			{Op: "ReadByte", Data: "x"},
			{Op: "ReadExactly", Data: "\r\nx"},
			{Op: "ReadUntil", Err: `incomplete("yz\nrest", expected=-1)`},
		}},
		{"Mixed", "a\nbcdefgh\r\nijklm\nn\r\nyyzz\n12\n", 3, []mxStep{
			{Op: "ReadLine", Data: "a\n"},
			{Op: "ReadByte", Data: "b"},
			{Op: "ReadExactly", Data: "cde"},
			{Op: "ReadUntil", Data: "fgh\r\n"},
			{Op: "Peek", Data: "ij"}, // and Discard(1)
			{Op: "ReadUntilAnySlice", Err: ov(3)},
			{Op: "skip", Data: "jklm"},
			{Op: "ReadExactlySlice", Data: "\nn"},
			{Op: "ReadLineSlice", Data: "\r\n"},
			{Op: "ReadLine", Err: ov(3)}, // "yyzz\n", skipped
			{Op: "ReadByte", Data: "1"},
			{Op: "ReadExactly", Err: `incomplete("2\n", expected=3)`},
		}},
	}
	for _, tt := range tests {
		op := mxOpNamed(t, tt.op)
		r := bufio2.NewReaderLimit(strings.NewReader(tt.text), tt.limit)
		got := mxRun(t, "plain", r, op, false, mxMaxCalls(tt.text))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s on %q, limit %d (-want +got):\n%s", tt.op, tt.text, tt.limit, diff)
		}
		for _, src := range mxSources {
			r := bufio2.NewReaderLimit(src.wrap(strings.NewReader(tt.text)), tt.limit)
			got := mxRun(t, src.name, r, op, src.retry, mxMaxCalls(tt.text))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s on %q, limit %d, %s (-want +got):\n%s", tt.op, tt.text, tt.limit, src.name, diff)
			}
		}
	}
}

// mxFlaky is a source that hands over the text chunk bytes at a time and
// fails once, with iotest.ErrTimeout, on read number failAt (from 0) — with
// no data, or with that read's data if withData.
type mxFlaky struct {
	data     string
	chunk    int
	calls    int
	failAt   int
	withData bool
	failed   bool // the read that fails happened
}

func (s *mxFlaky) Read(p []byte) (int, error) {
	call := s.calls
	s.calls++
	if call == s.failAt && !s.withData {
		s.failed = true
		return 0, iotest.ErrTimeout
	}
	if len(s.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.data[:min(s.chunk, len(s.data))])
	s.data = s.data[n:]
	if call == s.failAt {
		s.failed = true
		return n, iotest.ErrTimeout
	}
	return n, nil
}

// TestMatrixTimeoutAnywhere: a source error returned once, on any read of
// the stream, with or without data, and then a retry: every operation gives
// the transcript it gives without the error, and reports the error exactly
// once. Nothing is lost and nothing is read twice.
func TestMatrixTimeoutAnywhere(t *testing.T) {
	texts := []string{
		"ab\nabcdefghijkl\r\nxyz\nmnop\r\nyz\nq\n\nrst",
		strings.Repeat("0123456789", 6) + "\r\n" + strings.Repeat("x", 20) + "yz\n",
		mxLarge[:5000], // takes ReadExactly(5000) and Read(5000) past the buffer
	}
	for ti, text := range texts {
		for _, op := range mxOps {
			for _, limit := range []int{1, 3, 64, bufio2.DefaultLimit} {
				chunk := 4
				if len(text) > 1000 {
					if limit < 64 {
						continue // the large text is for the reads past the buffer
					}
					chunk = 1000
				}
				calls := mxMaxCalls(text)
				want := mxRun(t, "plain", bufio2.NewReaderLimit(strings.NewReader(text), limit), op, false, calls)
				clean := &mxFlaky{data: text, chunk: chunk, failAt: -1}
				if got := mxRun(t, "chunked", bufio2.NewReaderLimit(clean, limit), op, false, calls); !slices.Equal(want, got) {
					t.Errorf("text %d, %s, limit %d: chunked without errors (-want +got):\n%s", ti, op.name, limit, cmp.Diff(want, got))
					continue
				}
				failures := 0
				for failAt := 0; failAt <= clean.calls; failAt++ {
					for _, withData := range []bool{false, true} {
						src := &mxFlaky{data: text, chunk: chunk, failAt: failAt, withData: withData}
						got, timeouts := mxRunCounting(t, "flaky", bufio2.NewReaderLimit(src, limit), op, true, calls)
						if src.failed && timeouts != 1 {
							// The error is returned once: not lost, not repeated.
							t.Errorf("text %d, %s, limit %d, timeout on read %d (with data: %v): the timeout was returned %d times, want once",
								ti, op.name, limit, failAt, withData, timeouts)
						}
						if !slices.Equal(want, got) {
							failures++
							if failures > 1 {
								continue // one diff per operation and limit is enough
							}
							t.Errorf("text %d, %s, limit %d, timeout on read %d (with data: %v) (-want +got):\n%s",
								ti, op.name, limit, failAt, withData, cmp.Diff(want, got))
						}
					}
				}
				if failures > 1 {
					t.Errorf("text %d, %s, limit %d: %d runs with a timeout differ in all", ti, op.name, limit, failures)
				}
			}
		}
	}
}

// TestIotestReader runs iotest.TestReader on the Reader over several
// sources and limits.
func TestIotestReader(t *testing.T) {
	contents := []string{"", "x", "hello, world\n", "a\nbb\r\nccc", mxLarge}
	wraps := []struct {
		name string
		wrap func(io.Reader) io.Reader
	}{
		{"plain", func(r io.Reader) io.Reader { return r }},
		{"OneByteReader", iotest.OneByteReader},
		{"HalfReader", iotest.HalfReader},
		{"DataErrReader", iotest.DataErrReader},
	}
	for _, content := range contents {
		for _, w := range wraps {
			for _, limit := range []int{1, 3, 64, 4096, bufio2.DefaultLimit} {
				r := bufio2.NewReaderLimit(w.wrap(strings.NewReader(content)), limit)
				if err := iotest.TestReader(r, []byte(content)); err != nil {
					t.Errorf("%s, limit %d, %d bytes: %v", w.name, limit, len(content), err)
				}
			}
		}
	}
}
