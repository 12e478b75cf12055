package fuzz_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/streamkit/streamkit/fuzz"
)

// recorder is a fuzz.TB that records failures instead of failing, so that
// the tests can check that a check fails.
type recorder struct {
	failures []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

// scanLines is a correct line parser: bufio.Scanner reads as much as it
// needs, however the reads come.
func scanLines(r io.Reader) ([]string, error) {
	sc := bufio.NewScanner(r)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines, sc.Err()
}

// oneReadLines is the classic chunk-sensitive parser: it calls Read once
// and parses what that read returned, as if a read returned a message.
func oneReadLines(r io.Reader) ([]string, error) {
	p := make([]byte, 4096)
	n, err := r.Read(p)
	if err != nil && err != io.EOF {
		return nil, err
	}
	return scanLines(bytes.NewReader(p[:n]))
}

// emptyReadIsEOF stops at the first read that returns no bytes, taking
// (0, nil) for the end of the stream.
func emptyReadIsEOF(r io.Reader) ([]string, error) {
	var all []byte
	p := make([]byte, 512)
	for {
		n, err := r.Read(p)
		all = append(all, p[:n]...)
		if n == 0 || err != nil {
			break
		}
	}
	return scanLines(bytes.NewReader(all))
}

// dropsDataWithEOF ignores the bytes of a read that returns io.EOF with
// them.
func dropsDataWithEOF(r io.Reader) ([]string, error) {
	var all []byte
	p := make([]byte, 512)
	for {
		n, err := r.Read(p)
		if err == io.EOF {
			break
		}
		all = append(all, p[:n]...)
		if err != nil {
			return nil, err
		}
	}
	return scanLines(bytes.NewReader(all))
}

// perReadCRLF splits lines itself, and trims the '\r' of a "\r\n" only
// when both are in the same read.
func perReadCRLF(r io.Reader) ([]string, error) {
	var lines []string
	var cur []byte
	p := make([]byte, 512)
	for {
		n, err := r.Read(p)
		for _, part := range bytes.SplitAfter(p[:n], []byte("\n")) {
			if bytes.HasSuffix(part, []byte("\n")) {
				lines = append(lines, string(append(cur, bytes.TrimSuffix(part[:len(part)-1], []byte("\r"))...)))
				cur = nil
			} else {
				cur = append(cur, part...)
			}
		}
		if err == io.EOF {
			if len(cur) > 0 {
				lines = append(lines, string(cur))
			}
			return lines, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// readAllRetrying reads r to its end, retrying reads that time out.
func readAllRetrying(r io.Reader) ([]byte, error) {
	var all []byte
	p := make([]byte, 64)
	for {
		n, err := r.Read(p)
		all = append(all, p[:n]...)
		switch {
		case err == io.EOF:
			return all, nil
		case fuzz.IsTimeout(err):
		case err != nil:
			return all, err
		}
	}
}

// retryingLines is scanLines on all of r, read with retries.
func retryingLines(r io.Reader) ([]string, error) {
	all, err := readAllRetrying(r)
	if err != nil {
		return nil, err
	}
	return scanLines(bytes.NewReader(all))
}

var lineInputs = []string{
	"",
	"a",
	"a\n",
	"one\ntwo\r\nthree",
	"\r\n\r\n\n",
	"a long line that spans many reads of the random chunkings\r\nand another one\r\n",
	strings.Repeat("0123456789\r\n", 40),
}

// TestCheckPassesCorrectParsers: a bufio.Scanner line parser passes on
// every input, and so does one that retries timeouts, with Timeouts set.
func TestCheckPassesCorrectParsers(t *testing.T) {
	for _, in := range lineInputs {
		if !fuzz.CheckChunking(t, []byte(in), scanLines) {
			t.Errorf("scanLines failed on %q", in)
		}
		c := fuzz.Checker[[]string]{Random: 20, Timeouts: true, Plan: []byte{1, 0x80, 0, 0x82, 0x7f}}
		if !c.Check(t, []byte(in), retryingLines) {
			t.Errorf("retryingLines with timeouts failed on %q", in)
		}
	}
}

// TestCheckCatchesChunkSensitiveParsers: the check fails for parsers that
// mishandle one of the ways a reader may cut its stream, and it says
// under which chunking.
func TestCheckCatchesChunkSensitiveParsers(t *testing.T) {
	for _, tt := range []struct {
		name  string
		parse func(io.Reader) ([]string, error)
		input string
		under string // the chunking the failure names first
		c     fuzz.Checker[[]string]
	}{
		{"one Read", oneReadLines, "ab\ncd\n", "one byte a read", fuzz.Checker[[]string]{}},
		{"(0, nil) taken for EOF", emptyReadIsEOF, "ab\ncd\n", "one byte a read after an empty read", fuzz.Checker[[]string]{}},
		{"data with io.EOF dropped", dropsDataWithEOF, "ab\ncd\n", "one read, io.EOF with the data", fuzz.Checker[[]string]{}},
		{"\\r\\n split between reads", perReadCRLF, "ab\r\ncd\r\n", "one byte a read", fuzz.Checker[[]string]{}},
		{"timeouts not retried", scanLines, "ab\ncd\n", "fuzz.Random", fuzz.Checker[[]string]{Timeouts: true}},
	} {
		var rec recorder
		if tt.c.Check(&rec, []byte(tt.input), tt.parse) {
			t.Errorf("%s: Check returned true", tt.name)
		}
		if len(rec.failures) != 1 {
			t.Fatalf("%s: %d failures reported, want 1: %q", tt.name, len(rec.failures), rec.failures)
		}
		if msg := rec.failures[0]; !strings.Contains(msg, "under "+tt.under) {
			t.Errorf("%s: the failure does not name %q first:\n%s", tt.name, tt.under, msg)
		}
	}
}

// TestCheckWithoutTimeouts: a parser that does not retry is fine when no
// timeouts are asked for, even with a plan that has some.
func TestCheckWithoutTimeouts(t *testing.T) {
	var rec recorder
	fuzz.Checker[[]string]{Plan: []byte{0x81, 0x80, 0x82}}.Check(&rec, []byte("ab\ncd\n"), scanLines)
	if len(rec.failures) > 0 {
		t.Errorf("failures without Timeouts: %q", rec.failures)
	}
}

// TestCheckUsesThePlan: the fuzzer's plan is tried: a parser that breaks
// only on a first read of 5 bytes followed by an empty read fails with
// that plan, and passes without it.
func TestCheckUsesThePlan(t *testing.T) {
	parse := func(r io.Reader) (string, error) {
		var ns []int
		var all []byte
		p := make([]byte, 100)
		for {
			n, err := r.Read(p)
			all = append(all, p[:n]...)
			if ns = append(ns, n); len(ns) == 2 && ns[0] == 5 && ns[1] == 0 {
				return "", errors.New("broken")
			}
			if err == io.EOF {
				return string(all), nil
			}
		}
	}
	data := []byte(strings.Repeat("x", 200))
	c := fuzz.Checker[string]{Random: -1}
	var rec recorder
	if !c.Check(&rec, data, parse) {
		t.Fatalf("fails without the plan: %q", rec.failures)
	}
	c.Plan = []byte{5, 0}
	if c.Check(&rec, data, parse) {
		t.Fatalf("passes with the plan %v", c.Plan)
	}
	if !strings.Contains(rec.failures[0], "under the plan") {
		t.Errorf("the failure does not name the plan:\n%s", rec.failures[0])
	}
}

// TestCheckReportsPanics: a panic under a chunking is a failure that says
// so, not a crash; a panic on the whole input too.
func TestCheckReportsPanics(t *testing.T) {
	parse := func(r io.Reader) (int, error) {
		p := make([]byte, 10)
		n, _ := r.Read(p)
		if n == 1 {
			panic("one byte")
		}
		return 0, nil
	}
	var rec recorder
	if fuzz.CheckChunking(&rec, []byte("abc"), parse) {
		t.Fatal("Check returned true")
	}
	if len(rec.failures) != 1 || !strings.Contains(rec.failures[0], "panic: one byte") {
		t.Fatalf("failures: %q", rec.failures)
	}

	rec = recorder{}
	fuzz.CheckChunking(&rec, []byte("abc"), func(io.Reader) (int, error) { panic("always") })
	if len(rec.failures) != 1 || !strings.Contains(rec.failures[0], "parse panics on the input read in one read: always") {
		t.Fatalf("failures: %q", rec.failures)
	}
}

type parseError struct {
	Line int
	Err  error
}

func (e *parseError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *parseError) Unwrap() error { return e.Err }

// TestCheckComparesErrors: by default, errors are the same if they are
// deeply equal: built the same way, they are, through the chain they wrap;
// errors that differ in a field are not, even when they match with
// errors.Is. SameError replaces the rule.
func TestCheckComparesErrors(t *testing.T) {
	// A fresh *parseError wrapping a fresh error each time: deeply equal.
	fresh := func(r io.Reader) (int, error) {
		all, _ := io.ReadAll(r)
		return 0, &parseError{Line: bytes.Count(all, []byte("\n")), Err: fmt.Errorf("bad %q: %w", all, io.ErrUnexpectedEOF)}
	}
	var rec recorder
	if !fuzz.CheckChunking(&rec, []byte("a\nb"), fresh) {
		t.Errorf("fresh but equal errors fail: %q", rec.failures)
	}

	// The error says how many reads there were.
	reads := func(r io.Reader) (int, error) {
		n := 0
		for {
			n++
			if _, err := r.Read(make([]byte, 64)); err != nil {
				return 0, &parseError{Line: n, Err: io.ErrUnexpectedEOF}
			}
		}
	}
	rec = recorder{}
	if fuzz.CheckChunking(&rec, []byte("a\nb"), reads) {
		t.Errorf("errors that differ in a field pass")
	}
	c := fuzz.Checker[int]{SameError: func(x, y error) bool {
		return errors.Is(x, io.ErrUnexpectedEOF) == errors.Is(y, io.ErrUnexpectedEOF)
	}}
	rec = recorder{}
	if !c.Check(&rec, []byte("a\nb"), reads) {
		t.Errorf("with SameError: %q", rec.failures)
	}

	// An error against none.
	rec = recorder{}
	if fuzz.CheckChunking(&rec, []byte("abc"), func(r io.Reader) (int, error) {
		if _, err := r.Read(make([]byte, 64)); err == io.EOF {
			return 0, io.ErrUnexpectedEOF
		}
		return 0, nil
	}) {
		t.Errorf("an error against none passes")
	}
}

// TestCheckEqual: Equal replaces reflect.DeepEqual for the results.
func TestCheckEqual(t *testing.T) {
	// The number of reads, in a result that Equal ignores.
	parse := func(r io.Reader) ([2]int, error) {
		all, reads := 0, 0
		for {
			n, err := r.Read(make([]byte, 64))
			all += n
			reads++
			if err != nil {
				return [2]int{all, reads}, nil
			}
		}
	}
	var rec recorder
	if fuzz.CheckChunking(&rec, []byte("abcdef"), parse) {
		t.Fatal("results that differ pass")
	}
	if !strings.Contains(rec.failures[0], "first difference at [1]") {
		t.Errorf("the failure does not say where the results differ:\n%s", rec.failures[0])
	}
	c := fuzz.Checker[[2]int]{Equal: func(x, y [2]int) bool { return x[0] == y[0] }}
	rec = recorder{}
	if !c.Check(&rec, []byte("abcdef"), parse) {
		t.Errorf("with Equal: %q", rec.failures)
	}
}

// TestCheckIsReproducible: the same input fails the same way twice, and a
// Seed changes the random chunkings.
func TestCheckIsReproducible(t *testing.T) {
	// Fails only under chunkings that return 7 bytes in some read.
	parse := func(r io.Reader) (bool, error) {
		p := make([]byte, 64)
		for {
			n, err := r.Read(p)
			if n == 7 {
				return true, nil
			}
			if err != nil {
				return false, nil
			}
		}
	}
	data := []byte(strings.Repeat("z", 300))
	var failures []string
	for range 2 {
		var rec recorder
		fuzz.Checker[bool]{Random: 50}.Check(&rec, data, parse)
		if len(rec.failures) != 1 {
			t.Fatalf("failures: %q", rec.failures)
		}
		failures = append(failures, rec.failures[0])
	}
	if failures[0] != failures[1] {
		t.Errorf("two runs fail differently:\n%s\n%s", failures[0], failures[1])
	}
	var rec recorder
	fuzz.Checker[bool]{Random: 50, Seed: 1}.Check(&rec, data, parse)
	if len(rec.failures) != 1 || rec.failures[0] == failures[0] {
		t.Errorf("with Seed 1: %q", rec.failures)
	}
}

// TestCheckCallsParse: Check's doc says it calls parse up to MaxCuts +
// Random + 7 times, the first call included; an input long enough for
// every cut, with a Plan and Timeouts, takes them all.
func TestCheckCallsParse(t *testing.T) {
	data := bytes.Repeat([]byte("ab\n"), 40)
	for _, c := range []struct {
		checker fuzz.Checker[int]
		want    int
	}{
		{fuzz.Checker[int]{Plan: []byte{1, 0x82}, Timeouts: true}, fuzz.MaxCuts + fuzz.DefaultRandom + 7},
		{fuzz.Checker[int]{Plan: []byte{1, 0x82}, Timeouts: true, Random: 3}, fuzz.MaxCuts + 3 + 7},
		{fuzz.Checker[int]{}, fuzz.MaxCuts + fuzz.DefaultRandom + 5}, // no Plan, no Timeouts
	} {
		calls := 0
		ok := c.checker.Check(t, data, func(r io.Reader) (int, error) {
			calls++
			for {
				_, err := r.Read(make([]byte, 7))
				if err == io.EOF {
					return 0, nil
				}
				if err != nil && !fuzz.IsTimeout(err) {
					return 0, err
				}
			}
		})
		if !ok || calls != c.want {
			t.Errorf("%+v: Check passed %v after %d calls of parse, want %d", c.checker, ok, calls, c.want)
		}
	}
	if fuzz.MaxCuts+fuzz.DefaultRandom+7 != 47 {
		t.Errorf("with the defaults, Check calls parse up to %d times; its doc says 47", fuzz.MaxCuts+fuzz.DefaultRandom+7)
	}
}
