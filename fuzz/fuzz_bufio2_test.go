package fuzz_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/fuzz"
)

// The fuzz targets of this file and fuzz_frame_test.go dogfood package
// fuzz on this module's own parsers: a Checker runs each over the fuzzer's
// input under its own chunkings, the fuzzer's plan and timeouts, and
// checks that the results do not depend on them. (bufio2 and frame have
// their own fuzz targets, which check the results themselves against
// models; these check what the contract says about chunking.) The seeds
// are the f.Add calls and testdata/fuzz/<Target>.
//
//	go test ./fuzz -run '^$' -fuzz '^FuzzBufio2Lines$' -fuzztime 30s

// errNoEnd fails a parse that does not end: a Reader that loops.
var errNoEnd = errors.New("fuzz test: the reader does not reach the end of the stream")

// maxCalls bounds the calls a parse makes on a Reader over n bytes with
// ops reads: timeouts add one call each, at most one per byte and one more,
// and one for each byte of the fuzzer's plan, which is cut at maxPlan.
func maxCalls(n, ops int) int { return 4*n + 100*ops + maxPlan + 1000 }

// maxPlan is the longest chunking plan the targets pass on: every byte of
// a plan may be a timeout, which costs the parse a call (a plan of 1,104
// bytes over a 1-byte input ran past the bound, a failure of the target,
// not of the Reader), and a longer plan cuts the input no finer.
const maxPlan = 512

// cutPlan cuts a fuzzer's plan at maxPlan bytes.
func cutPlan(plan []byte) []byte { return plan[:min(len(plan), maxPlan)] }

// maxInput is the most input the targets read: a Checker parses it some
// fifty times, and a longer one finds nothing a shorter one does not (the
// limits and maximums are at most 1 KiB) while it slows the fuzzer down.
// It is past the 4 KiB buffers the Readers start with.
const maxInput = 8 << 10

// fzLimit maps the fuzzer's number to a small limit, 1 to 64, so that
// lines and separator reads overrun it.
func fzLimit(l uint16) int { return 1 + int(l%64) }

// kindOf describes the error of a bufio2 read in a form that does not
// depend on the chunking: an overrun by its kind only (Consumed and Found
// may depend on it), the others with their data.
func kindOf(err error) string {
	var over *errs.LimitOverrunError
	var inc *errs.IncompleteReadError
	switch {
	case err == nil:
		return "ok"
	case err == io.EOF:
		return "EOF"
	case errors.As(err, &over):
		return fmt.Sprintf("overrun (limit %d)", over.Limit)
	case errors.As(err, &inc):
		return fmt.Sprintf("incomplete %q of %d", inc.Partial, inc.Expected)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected EOF"
	case errors.Is(err, bufio2.ErrBufferFull):
		return "buffer full"
	}
	return fmt.Sprintf("error %v", err)
}

// isRetry reports whether err is an injected timeout alone: the read is
// to be tried again. ReadLine's overrun may wrap a timeout too: then the
// overrun is the result, and the next call goes on discarding the line.
func isRetry(err error) bool {
	var over *errs.LimitOverrunError
	return fuzz.IsTimeout(err) && !errors.As(err, &over)
}

// readLines reads a stream of size bytes with ReadLine, or by ranging over
// Lines, and retries after timeouts.
func readLines(size, limit int, iterate bool) func(io.Reader) ([]string, error) {
	return func(src io.Reader) ([]string, error) {
		r := bufio2.NewReaderLimit(src, limit)
		var out []string
		bound := maxCalls(size, 0)
		add := func(line []byte, err error) {
			if err != nil {
				out = append(out, kindOf(err))
			} else {
				out = append(out, fmt.Sprintf("line %q", line))
			}
		}
		if iterate {
			for calls := 0; calls < bound; calls++ {
				var retry bool
				for line, err := range r.Lines() {
					if retry = isRetry(err); retry {
						break // Lines stops after such an error anyway
					}
					add(line, err)
				}
				if !retry {
					return out, nil
				}
			}
			return out, errNoEnd
		}
		for calls := 0; calls < bound; calls++ {
			line, err := r.ReadLine()
			switch {
			case isRetry(err):
				continue
			case err == io.EOF:
				return out, nil
			}
			add(line, err)
		}
		return out, errNoEnd
	}
}

// FuzzBufio2Lines: ReadLine, and Lines, give the same lines and overruns
// whatever the chunking, and with timeouts retried (API.md: an overlong
// line is skipped "so the next call starts at the next line whatever the
// chunking").
func FuzzBufio2Lines(f *testing.F) {
	f.Add([]byte("a\nbb\r\nccc\n\nlast"), []byte{1, 0x80, 2, 0x83, 0x7f}, uint16(2), false)
	f.Add([]byte("short\na line far over the limit\nok\n"), []byte{3, 3, 0x81, 0x80, 5}, uint16(4), true)
	f.Add([]byte("xxxxxxxxxxxxxxxxxxxxxxxx"), []byte{0x80, 0x88, 0}, uint16(7), false)
	f.Add([]byte("\n\n\n"), []byte(nil), uint16(0), true)
	f.Fuzz(func(t *testing.T, data, plan []byte, limit uint16, iterate bool) {
		data = data[:min(len(data), maxInput)]
		fuzz.Checker[[]string]{Plan: cutPlan(plan), Timeouts: true}.Check(t, data, readLines(len(data), fzLimit(limit), iterate))
	})
}

// fzSeps are the separators FuzzBufio2Reads picks from: self-overlapping
// ones, and ones that are prefixes or suffixes of others.
var fzSeps = [][]byte{
	[]byte("\n"), []byte("\r\n"), []byte("\r\n\r\n"), []byte("aa"), []byte("aba"), []byte("a"), []byte("b\n"), []byte("x"),
}

// readOps runs, on a stream of size bytes, the reads that ops decode to, retrying after timeouts, and
// then WriteTo for the rest of the stream. Each op byte is one read: bits
// 0 to 2 pick it, bits 3 to 7 are its argument k (0 to 31):
//
//	0  ReadLine
//	1  ReadUntil(fzSeps[k%8])
//	2  ReadUntilAny(the fzSeps of k's bits, and "\n")
//	3  ReadExactly(3*k)
//	4  ReadByte, UnreadByte if k is odd
//	5  Discard(3*k)
//	6  Peek(k % (limit+2)), over the limit when it is limit+1
//	7  Read(k+1), read on until k+1 bytes or the end (asyncio's read(n))
func readOps(size, limit int, ops []byte) func(io.Reader) ([]string, error) {
	return func(src io.Reader) ([]string, error) {
		r := bufio2.NewReaderLimit(src, limit)
		var out []string
		calls := 0
		// retry calls do until it returns something other than a timeout.
		retry := func(do func() error) error {
			for ; calls < maxCalls(size, len(ops)); calls++ {
				if err := do(); !isRetry(err) {
					return err
				}
			}
			return errNoEnd
		}
		for _, op := range ops {
			k := int(op >> 3)
			var data []byte
			var err error
			switch op & 7 {
			case 0:
				err = retry(func() (err error) { data, err = r.ReadLine(); return err })
			case 1:
				err = retry(func() (err error) { data, err = r.ReadUntil(fzSeps[k%len(fzSeps)]); return err })
			case 2:
				seps := [][]byte{[]byte("\n")}
				for i, s := range fzSeps[:5] {
					if k>>i&1 != 0 {
						seps = append(seps, s)
					}
				}
				err = retry(func() (err error) { data, err = r.ReadUntilAny(seps...); return err })
			case 3:
				err = retry(func() (err error) { data, err = r.ReadExactly(3 * k); return err })
			case 4:
				var c byte
				err = retry(func() (err error) { c, err = r.ReadByte(); return err })
				if err == nil {
					data = []byte{c}
					if k&1 != 0 {
						if uerr := r.UnreadByte(); uerr != nil {
							return out, fmt.Errorf("UnreadByte after ReadByte: %w", uerr)
						}
					}
				}
			case 5:
				n := 0
				err = retry(func() error {
					m, err := r.Discard(3*k - n)
					n += m
					return err
				})
				if n > 0 && err == io.EOF {
					err = io.ErrUnexpectedEOF // a retry that met the end after part of it
				}
				data = []byte(fmt.Sprint(n))
			case 6:
				n := k % (limit + 2)
				err = retry(func() (err error) { data, err = r.Peek(n); return err })
				if n > limit {
					data = nil // what is buffered, which depends on the chunking
				}
			case 7:
				p := make([]byte, k+1)
				n := 0
				err = retry(func() error {
					for n < len(p) {
						m, err := r.Read(p[n:])
						n += m
						if err != nil {
							return err
						}
					}
					return nil
				})
				if n > 0 && err == io.EOF {
					err = nil
				}
				data = p[:n]
			}
			if err == errNoEnd {
				return out, err
			}
			out = append(out, fmt.Sprintf("%d: %q %s", op&7, data, kindOf(err)))
		}
		var rest bytes.Buffer
		err := retry(func() error { _, err := r.WriteTo(&rest); return err })
		out = append(out, fmt.Sprintf("rest: %q %s", rest.Bytes(), kindOf(err)))
		return out, nil
	}
}

// FuzzBufio2Reads: any sequence of bufio2 reads gives the same results
// whatever the chunking, with timeouts retried (API.md: whether a read
// overruns "does not depend on how the stream is chunked"; a source
// error "is returned once ... and nothing buffered is lost, so a read that
// failed on a timeout can be retried").
func FuzzBufio2Reads(f *testing.F) {
	f.Add([]byte("abc\r\nabcd\r\nab"), []byte{1, 0x80, 2}, []byte{1 | 1<<3, 1 | 1<<3, 3 | 4<<3, 7 | 2<<3}, uint16(2))
	f.Add([]byte("aaaabaaab\nxyz"), []byte{0x81, 1, 0x81}, []byte{2 | 8<<3, 2 | 31<<3, 4 | 1<<3, 6 | 5<<3, 5 | 1<<3}, uint16(3))
	f.Add([]byte("head: 1\r\nx: 2\r\n\r\nbody"), []byte{5, 0x83, 0x7f}, []byte{1 | 2<<3, 0, 6 | 4<<3, 3 | 2<<3}, uint16(16))
	f.Add([]byte("0123456789abcdef"), []byte{0x80, 0x80, 3, 0}, []byte{7 | 20<<3, 4, 4 | 3<<3, 5 | 2<<3, 6 | 17<<3}, uint16(15))
	f.Fuzz(func(t *testing.T, data, plan, ops []byte, limit uint16) {
		data = data[:min(len(data), maxInput)]
		if len(ops) > 64 {
			ops = ops[:64]
		}
		fuzz.Checker[[]string]{Plan: cutPlan(plan), Timeouts: true}.Check(t, data, readOps(len(data), fzLimit(limit), ops))
	})
}
