package fuzz

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"reflect"
	"runtime/debug"
	"strings"
)

// TB is what the checks need of a test: *testing.T (in a fuzz target too),
// *testing.B, and rapid's *rapid.T all have these methods.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
}

// DefaultRandom is how many pseudo-random chunkings a [Checker] tries when
// its Random field is zero.
const DefaultRandom = 8

// MaxCuts is how many two-read cuts of the input a [Checker] tries: the
// input cut in two at every offset if it has at most MaxCuts+1 bytes, else
// at MaxCuts offsets spread evenly over it.
const MaxCuts = 32

// CheckChunking checks that parse gives the same result and the same error
// however its input is chunked, with a [Checker]'s defaults: see
// [Checker.Check]. It reports a difference with t.Errorf and returns
// whether there was none.
func CheckChunking[T any](t TB, data []byte, parse func(io.Reader) (T, error)) bool {
	t.Helper()
	return Checker[T]{}.Check(t, data, parse)
}

// Checker checks that a parser is chunk-invariant: that it returns the
// same result and the same error for the same input whatever the reads it
// arrives in. Its zero value works; each field refines the check. A
// Checker is safe for concurrent use if its functions are.
type Checker[T any] struct {
	// Random is how many pseudo-random chunkings (see [Random]) are tried.
	// If zero, DefaultRandom is used; if negative, none.
	Random int

	// Seed seeds the random chunkings: the i-th is Random(len(data),
	// Seed+i). If zero, a seed is derived from the input (and the Plan),
	// so that an input that fails fails again, the same way.
	Seed uint64

	// Plan, if not nil, is a chunking chosen by a fuzzer, in the format of
	// [NewReader], tried as well: pass the fuzzer's bytes to let it steer
	// the chunking. Its timeouts are kept only if Timeouts is set.
	Plan []byte

	// Timeouts adds retryable timeouts ([ErrTimeout], each returned once)
	// to the random chunkings, at some of their boundaries, and tries one
	// byte a read with a timeout before every byte. parse must then retry
	// a read that fails with a timeout (see [IsTimeout]), as a caller of a
	// net.Conn with a read deadline does, and return what it returns
	// without them.
	Timeouts bool

	// Equal reports whether two results are the same. If nil,
	// reflect.DeepEqual is used (so a nil slice and an empty one differ).
	Equal func(x, y T) bool

	// SameError reports whether two errors are the same. If nil, they must
	// be deeply equal (reflect.DeepEqual): both nil, or of the same type
	// with the same contents, through the whole chain of errors they wrap
	// — as two errors built the same way from the same input are, but
	// not two that merely print the same. Set it if parse's errors hold
	// something that depends on the reads, such as how many bytes were
	// buffered.
	SameError func(x, y error) bool
}

// Check runs parse on data read in one read from a bytes.Reader, which
// gives the expected result, and then under each of these chunkings (see
// [Chunking]), and reports with t.Errorf, once, where parse's result or
// error differs from the expected one, or where parse panics:
//
//   - one read, with io.EOF coming with the data;
//   - one byte a read;
//   - one byte a read, an empty read (0, nil) before each, and io.EOF with
//     the last byte;
//   - halves (see [Halves]), io.EOF with the last byte;
//   - the input cut in two, at every offset or at [MaxCuts] offsets;
//   - Random pseudo-random chunkings, with timeouts if Timeouts is set;
//   - the Plan, if set;
//   - with Timeouts, one byte a read with a timeout before every byte and
//     before io.EOF.
//
// That is up to MaxCuts + Random + 7 calls of parse, the first one
// included (47 with the defaults), and each one-byte
// chunking makes a read call per byte: keep the inputs of a fuzz target
// to a few KiB (cut longer ones short). parse gets
// a fresh reader each time and must read from it alone. Check returns
// whether parse passed.
func (c Checker[T]) Check(t TB, data []byte, parse func(io.Reader) (T, error)) bool {
	t.Helper()
	want := c.run(parse, bytes.NewReader(data))
	if want.panicked {
		t.Errorf("fuzz: parse panics on the input read in one read: %v\n\tinput (%d bytes): %s\n%s",
			want.panicValue, len(data), clip(fmt.Sprintf("%q", data)), want.stack)
		return false
	}
	var first *outcome[T]
	var firstRun run
	var failed []string
	runs := c.runs(data)
	for _, ru := range runs {
		got := c.run(parse, ru.c.Reader(data, ru.faults...))
		if !got.panicked && c.equal(want.result, got.result) && c.sameError(want.err, got.err) {
			continue
		}
		if first == nil {
			first, firstRun = &got, ru
		}
		failed = append(failed, ru.name)
	}
	if first == nil {
		return true
	}
	var b strings.Builder
	fmt.Fprintf(&b, "fuzz: parse depends on how its input is chunked: under %s\n", firstRun.name)
	fmt.Fprintf(&b, "\tinput (%d bytes): %s\n", len(data), clip(fmt.Sprintf("%q", data)))
	fmt.Fprintf(&b, "\tchunking: %s\n", firstRun.c)
	if len(firstRun.faults) > 0 {
		fmt.Fprintf(&b, "\tfaults: %s\n", clip(fmt.Sprint(firstRun.faults)))
	}
	fmt.Fprintf(&b, "\tin one read: result %s, error %s\n", show(want.result), showErr(want.err))
	if first.panicked {
		fmt.Fprintf(&b, "\tchunked:     panic: %v\n%s", first.panicValue, first.stack)
	} else {
		fmt.Fprintf(&b, "\tchunked:     result %s, error %s\n", show(first.result), showErr(first.err))
		if c.Equal == nil && !reflect.DeepEqual(want.result, first.result) {
			if d := firstDifference(want.result, first.result); d != "" {
				fmt.Fprintf(&b, "\t%s\n", d)
			}
		}
		if c.Timeouts && IsTimeout(first.err) && !IsTimeout(want.err) {
			b.WriteString("\t(with Timeouts set, parse must retry a read that fails with a timeout: see fuzz.IsTimeout)\n")
		}
	}
	fmt.Fprintf(&b, "\t%d of %d chunkings differ", len(failed), len(runs))
	if len(failed) > 1 {
		fmt.Fprintf(&b, "; also: %s", clip(strings.Join(failed[1:], "; ")))
	}
	t.Errorf("%s", b.String())
	return false
}

func (c Checker[T]) equal(x, y T) bool {
	if c.Equal != nil {
		return c.Equal(x, y)
	}
	return reflect.DeepEqual(x, y)
}

func (c Checker[T]) sameError(x, y error) bool {
	if c.SameError != nil {
		return c.SameError(x, y)
	}
	return reflect.DeepEqual(x, y)
}

// run is one way of reading the input.
type run struct {
	name   string
	c      Chunking
	faults []Fault
}

func (c Checker[T]) runs(data []byte) []run {
	n := len(data)
	alternate := make([]int, 0, 2*n)
	for range n {
		alternate = append(alternate, 0, 1)
	}
	runs := []run{
		{name: "one read, io.EOF with the data", c: Chunking{EOFWithData: true}},
		{name: "one byte a read", c: OneByte()},
		{name: "one byte a read after an empty read, io.EOF with the last byte", c: Chunking{Sizes: alternate, EOFWithData: true}},
		{name: "halves, io.EOF with the last byte", c: Chunking{Sizes: Halves(n).Sizes, EOFWithData: true}},
	}
	cuts := n - 1
	for i := range min(cuts, MaxCuts) {
		at := 1 + i
		if cuts > MaxCuts {
			at = 1 + i*cuts/MaxCuts
		}
		ch := Cut(at)
		ch.EOFWithData = i%2 == 1
		runs = append(runs, run{name: fmt.Sprintf("a cut at %d", at), c: ch})
	}
	seed := c.Seed
	if seed == 0 {
		h := fnv.New64a()
		h.Write(data)
		h.Write([]byte{0})
		h.Write(c.Plan)
		seed = h.Sum64()
	}
	random := c.Random
	if random == 0 {
		random = DefaultRandom
	}
	for i := range max(random, 0) {
		s := seed + uint64(i)
		ru := run{name: fmt.Sprintf("fuzz.Random(%d, %#x)", n, s), c: Random(n, s)}
		if c.Timeouts {
			ru.name += " with timeouts"
			ru.faults = randomTimeouts(rand.New(rand.NewPCG(s, 0x74696d656f7574)), ru.c.Split(data))
		}
		runs = append(runs, ru)
	}
	if c.Plan != nil {
		ch, faults := decodePlan(c.Plan, n)
		if !c.Timeouts {
			faults = nil
		}
		runs = append(runs, run{name: fmt.Sprintf("the plan %q", clip(string(c.Plan))), c: ch, faults: faults})
	}
	if c.Timeouts {
		faults := make([]Fault, n+1)
		for i := range faults {
			faults[i].Offset = int64(i)
		}
		runs = append(runs, run{name: "one byte a read, a timeout before each byte and before io.EOF", c: OneByte(), faults: faults})
	}
	return runs
}

// randomTimeouts puts timeouts at about a third of the boundaries between
// pieces, at the start and at the end, some with data, some twice.
func randomTimeouts(rng *rand.Rand, pieces [][]byte) []Fault {
	var faults []Fault
	at := int64(0)
	for i := 0; i <= len(pieces); i++ {
		for rng.IntN(3) == 0 {
			faults = append(faults, Fault{Offset: at, WithData: rng.IntN(2) == 0})
		}
		if i < len(pieces) {
			at += int64(len(pieces[i]))
		}
	}
	return faults
}

// outcome is what one call of parse did.
type outcome[T any] struct {
	result     T
	err        error
	panicked   bool
	panicValue any
	stack      []byte
}

func (c Checker[T]) run(parse func(io.Reader) (T, error), r io.Reader) (o outcome[T]) {
	defer func() {
		if o.panicked {
			o.panicValue = recover()
			o.stack = debug.Stack()
		}
	}()
	o.panicked = true // until parse returns: panic(nil) panics too
	o.result, o.err = parse(r)
	o.panicked = false
	return o
}

// maxShow is how much of a value a failure message shows.
const maxShow = 1000

func clip(s string) string {
	if len(s) > maxShow {
		return fmt.Sprintf("%s... (%d bytes more)", s[:maxShow], len(s)-maxShow)
	}
	return s
}

// show formats a result: with %q if it is made of strings or bytes, else
// with %#v.
func show(v any) string {
	if v == nil {
		return "nil"
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Slice, reflect.Map, reflect.Pointer:
		if rv.IsNil() {
			return fmt.Sprintf("%T(nil)", v)
		}
	}
	if quotable(reflect.TypeOf(v)) {
		return clip(fmt.Sprintf("%q", v))
	}
	return clip(fmt.Sprintf("%#v", v))
}

func quotable(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String:
		return true
	case reflect.Slice, reflect.Array:
		return t.Elem().Kind() == reflect.Uint8 || quotable(t.Elem())
	}
	return false
}

func showErr(err error) string {
	if err == nil {
		return "nil"
	}
	return clip(fmt.Sprintf("%q (%T)", err, err))
}

// firstDifference says where two slices or arrays first differ, or returns
// "" for other kinds.
func firstDifference(x, y any) string {
	vx, vy := reflect.ValueOf(x), reflect.ValueOf(y)
	if !vx.IsValid() || !vy.IsValid() || vx.Type() != vy.Type() {
		return ""
	}
	if k := vx.Kind(); k != reflect.Slice && k != reflect.Array {
		return ""
	}
	for i := range min(vx.Len(), vy.Len()) {
		a, b := vx.Index(i).Interface(), vy.Index(i).Interface()
		if !reflect.DeepEqual(a, b) {
			return fmt.Sprintf("first difference at [%d]: %s in one read, %s chunked", i, show(a), show(b))
		}
	}
	if vx.Len() != vy.Len() {
		return fmt.Sprintf("lengths differ: %d in one read, %d chunked, equal up to there", vx.Len(), vy.Len())
	}
	return ""
}
