package bufio2_test

// Benchmarks, each beside its standard-library baseline. Sub-benchmarks
// share a parent per comparison; the one named "std=..." is the baseline,
// and `go run ./internal/benchratio` turns a run into ratios against it:
//
//	go test ./bufio2 -run '^$' -bench . -count 5 | go run ./internal/benchratio

import (
	"bufio"
	"bytes"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/streamkit/streamkit/bufio2"
)

const linesSize = 64 << 20

var (
	linesOnce       sync.Once
	linesLF, lineCR []byte // 64 MiB of lines, mean 63 bytes with the terminator
)

// benchLines returns 64 MiB of lines of random length (1 to 125 bytes,
// terminator included) ending in "\n", and the same lines ending in "\r\n".
func benchLines() (lf, crlf []byte) {
	linesOnce.Do(func() {
		rng := rand.New(rand.NewPCG(1, 2))
		lf = make([]byte, 0, linesSize+128)
		crlf = make([]byte, 0, linesSize+256)
		for len(lf) < linesSize {
			n := 1 + rng.IntN(125)
			for i := 0; i < n-1; i++ {
				c := byte(' ' + rng.IntN(95))
				lf = append(lf, c)
				crlf = append(crlf, c)
			}
			lf = append(lf, '\n')
			crlf = append(crlf, '\r', '\n')
		}
		linesLF, lineCR = lf, crlf
	})
	return linesLF, lineCR
}

// countLines runs next until io.EOF and fails the benchmark on any other
// error or a wrong line count.
func countLines(b *testing.B, data []byte, want int, next func() ([]byte, error)) {
	n := 0
	for {
		line, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		n += len(line)
	}
	if n != want {
		b.Fatalf("read %d bytes, want %d", n, want)
	}
}

func BenchmarkLines(b *testing.B) {
	lf, crlf := benchLines()
	nl, crnl := []byte("\n"), []byte("\r\n")
	runWant := func(name string, data []byte, want int, read func(src *bytes.Reader) func() ([]byte, error)) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			src := bytes.NewReader(data)
			for i := 0; i < b.N; i++ {
				src.Reset(data)
				countLines(b, data, want, read(src))
			}
		})
	}
	run := func(name string, data []byte, read func(src *bytes.Reader) func() ([]byte, error)) {
		runWant(name, data, len(data), read)
	}
	// A 64 KiB buffer for bufio, as in BASELINES.md's ReadSlice row; bufio2
	// uses its limit.
	stdReader := func(src *bytes.Reader) *bufio.Reader { return bufio.NewReaderSize(src, 64<<10) }

	// The limit for any "\n" reader: bytes.IndexByte over the whole slice,
	// with no reader and no copy.
	b.Run("LF/limit=IndexByte", func(b *testing.B) {
		b.SetBytes(int64(len(lf)))
		b.ReportAllocs()
		for range b.N {
			n := 0
			for p := lf; len(p) > 0; {
				i := bytes.IndexByte(p, '\n')
				n += i + 1
				p = p[i+1:]
			}
			if n != len(lf) {
				b.Fatalf("read %d bytes, want %d", n, len(lf))
			}
		}
	})

	// Zero-copy "\n": bufio.Reader.ReadSlice is the baseline.
	run("LF/std=ReadSlice", lf, func(src *bytes.Reader) func() ([]byte, error) {
		r := stdReader(src)
		return func() ([]byte, error) { return r.ReadSlice('\n') }
	})
	run("LF/ReadUntilSlice", lf, func(src *bytes.Reader) func() ([]byte, error) {
		r := bufio2.NewReader(src)
		return func() ([]byte, error) { return r.ReadUntilSlice(nl) }
	})
	run("LF/ReadLineSlice", lf, func(src *bytes.Reader) func() ([]byte, error) {
		r := bufio2.NewReader(src)
		return r.ReadLineSlice
	})
	// Scanner drops the newlines.
	runWant("LF/Scanner", lf, len(lf)-bytes.Count(lf, nl), func(src *bytes.Reader) func() ([]byte, error) {
		s := bufio.NewScanner(src)
		s.Buffer(make([]byte, 64<<10), 64<<10)
		return func() ([]byte, error) {
			if !s.Scan() {
				if s.Err() != nil {
					return nil, s.Err()
				}
				return nil, io.EOF
			}
			return s.Bytes(), nil
		}
	})

	// "\r\n": BASELINES.md's readuntil model (Peek(Buffered()) + bytes.Index) is the
	// baseline; a multi-byte separator should not cost a second pass.
	// The limit for "\r\n": bytes.Index over the whole slice.
	b.Run("CRLF/limit=Index", func(b *testing.B) {
		b.SetBytes(int64(len(crlf)))
		b.ReportAllocs()
		for range b.N {
			n := 0
			for p := crlf; len(p) > 0; {
				i := bytes.Index(p, crnl)
				n += i + 2
				p = p[i+2:]
			}
			if n != len(crlf) {
				b.Fatalf("read %d bytes, want %d", n, len(crlf))
			}
		}
	})
	run("CRLF/std=PeekIndex", crlf, func(src *bytes.Reader) func() ([]byte, error) {
		return peekIndex(stdReader(src), crnl)
	})
	run("CRLF/ReadUntilSlice", crlf, func(src *bytes.Reader) func() ([]byte, error) {
		r := bufio2.NewReader(src)
		return func() ([]byte, error) { return r.ReadUntilSlice(crnl) }
	})
	run("LF/PeekIndex", lf, func(src *bytes.Reader) func() ([]byte, error) {
		return peekIndex(stdReader(src), nl)
	})

	// Three separators against bufio2's own single-separator speed: the lines
	// end in "\n"; NUL and RS never occur, so each read must know, without
	// scanning again, that they are not ahead.
	any3 := [][]byte{[]byte("\x00"), []byte("\n"), []byte("\x1e")}
	run("Any3/std=ReadUntilSlice", lf, func(src *bytes.Reader) func() ([]byte, error) {
		r := bufio2.NewReader(src)
		return func() ([]byte, error) { return r.ReadUntilSlice(nl) }
	})
	run("Any3/ReadUntilAnySlice", lf, func(src *bytes.Reader) func() ([]byte, error) {
		r := bufio2.NewReader(src)
		return func() ([]byte, error) { return r.ReadUntilAnySlice(any3...) }
	})
	// The same with separators that share the last byte: "\n" and "\r\n".
	run("Any2LF/ReadUntilAnySlice", crlf, func(src *bytes.Reader) func() ([]byte, error) {
		r := bufio2.NewReader(src)
		return func() ([]byte, error) { return r.ReadUntilAnySlice(nl, crnl) }
	})

	// Copying reads: bufio.Reader.ReadBytes is the baseline.
	run("Copy/std=ReadBytes", lf, func(src *bytes.Reader) func() ([]byte, error) {
		r := stdReader(src)
		return func() ([]byte, error) { return r.ReadBytes('\n') }
	})
	run("Copy/ReadUntil", lf, func(src *bytes.Reader) func() ([]byte, error) {
		r := bufio2.NewReader(src)
		return func() ([]byte, error) { return r.ReadUntil(nl) }
	})
	run("Copy/ReadLine", lf, func(src *bytes.Reader) func() ([]byte, error) {
		r := bufio2.NewReader(src)
		return r.ReadLine
	})
}

// peekIndex is BASELINES.md's readuntil model over a bufio.Reader:
// look at everything buffered, search it, and refill when the separator is
// not there.
func peekIndex(r *bufio.Reader, sep []byte) func() ([]byte, error) {
	var last int
	return func() ([]byte, error) {
		r.Discard(last)
		for {
			buf, err := r.Peek(r.Buffered())
			if i := bytes.Index(buf, sep); i >= 0 {
				last = i + len(sep)
				return buf[:last], nil
			}
			if len(buf) > 0 && err != nil {
				return nil, err
			}
			if _, err := r.Peek(len(buf) + 1); err != nil {
				if err == io.EOF && len(buf) == 0 {
					return nil, io.EOF
				}
				if err != io.EOF {
					return nil, err
				}
			}
		}
	}
}

// BenchmarkReadExactly reads fixed-size frames into the caller's buffer:
// bufio.Reader + io.ReadFull is the baseline.
func BenchmarkReadExactly(b *testing.B) {
	const total = 64 << 20
	data := make([]byte, total)
	for _, size := range []struct {
		name string
		n    int
	}{{"16B", 16}, {"1KiB", 1 << 10}, {"64KiB", 64 << 10}} {
		run := func(impl string, read func(src *bytes.Reader, p []byte) func() error) {
			b.Run(size.name+"/"+impl, func(b *testing.B) {
				b.SetBytes(total)
				b.ReportAllocs()
				src := bytes.NewReader(data)
				p := make([]byte, size.n)
				for i := 0; i < b.N; i++ {
					src.Reset(data)
					next := read(src, p)
					for j := 0; j < total/size.n; j++ {
						if err := next(); err != nil {
							b.Fatal(err)
						}
					}
				}
			})
		}
		run("std=ReadFull", func(src *bytes.Reader, p []byte) func() error {
			r := bufio.NewReader(src)
			return func() error { _, err := io.ReadFull(r, p); return err }
		})
		run("ReadExactlyInto", func(src *bytes.Reader, p []byte) func() error {
			r := bufio2.NewReader(src)
			return func() error { _, err := r.ReadExactlyInto(p); return err }
		})
		run("ReadExactlySlice", func(src *bytes.Reader, p []byte) func() error {
			r := bufio2.NewReader(src)
			return func() error { _, err := r.ReadExactlySlice(len(p)); return err }
		})
	}
}

// BenchmarkSeparators: the separator search on the inputs that used to
// make it slow, against bytes.Index (std=Index), the limit for one
// separator, in the same run.
//
//   - Long/...: one self-similar separator of 8,194 bytes ('a' x 8,193 then
//     'b') at the end of 16 MiB of 'a': every byte is a near-match. The
//     Reader's limit is 32 MiB, so that the whole stream is one read.
//   - Many64/...: 64 separators of 64 bytes that differ only in their last
//     two bytes, over 16 MiB of near-matches (the common 62-byte prefix and
//     two other bytes), reported in ns/byte: the target is at most 10.
func BenchmarkSeparators(b *testing.B) {
	const size = 16 << 20
	long := append(bytes.Repeat([]byte{'a'}, 8193), 'b')
	longData := append(bytes.Repeat([]byte{'a'}, size), long...)
	b.Run("Long/std=Index", func(b *testing.B) {
		b.SetBytes(int64(len(longData)))
		for range b.N {
			if bytes.Index(longData, long) != size {
				b.Fatal("no match")
			}
		}
	})
	b.Run("Long/ReadUntilSlice", func(b *testing.B) {
		b.SetBytes(int64(len(longData)))
		src := bytes.NewReader(longData)
		r := bufio2.NewReaderLimit(src, 32<<20)
		for range b.N {
			src.Reset(longData)
			r.Reset(src)
			if p, err := r.ReadUntilSlice(long); err != nil || len(p) != len(longData) {
				b.Fatal(len(p), err)
			}
		}
	})

	prefix := bytes.Repeat([]byte("xy"), 31) // 62 bytes
	var seps [][]byte
	for i := range 64 {
		seps = append(seps, append(bytes.Clone(prefix), byte('A'+i/8), byte('A'+i%8)))
	}
	var near []byte
	for len(near) < size {
		near = append(near, prefix...)
		near = append(near, 'Z', 'A') // no separator ends with "ZA"
	}
	manyData := append(near, seps[63]...)
	b.Run("Many64/ReadUntilAnySlice", func(b *testing.B) {
		b.SetBytes(int64(len(manyData)))
		src := bytes.NewReader(manyData)
		r := bufio2.NewReaderLimit(src, 32<<20)
		for range b.N {
			src.Reset(manyData)
			r.Reset(src)
			if p, err := r.ReadUntilAnySlice(seps...); err != nil || len(p) != len(manyData) {
				b.Fatal(len(p), err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(manyData)), "ns/byte")
	})
}
