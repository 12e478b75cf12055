package frame_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/frame"
)

// The benchmarks pair each frame measurement with its standard-library
// baseline, run on the same data in the same binary; the baseline is the
// sibling named std=..., and `go run ./internal/benchratio` gives the ratios:
//
//	go test ./frame -run '^$' -bench . -count 10 | go run ./internal/benchratio

// cycleReader returns data over and over, without end.
type cycleReader struct {
	data []byte
	off  int
}

func (c *cycleReader) Read(p []byte) (int, error) {
	n := copy(p, c.data[c.off:])
	c.off += n
	if c.off == len(c.data) {
		c.off = 0
	}
	return n, nil
}

// lengthPrefixedStream is about 1 MiB (and at least 16 frames) of frames
// with a 4-byte big-endian length and a payload of size bytes.
func lengthPrefixedStream(size int) []byte {
	n := max(16, (1<<20)/(size+4))
	var b []byte
	payload := bytes.Repeat([]byte{'p'}, size)
	for range n {
		b = binary.BigEndian.AppendUint32(b, uint32(size))
		b = append(b, payload...)
	}
	return b
}

func sizeName(size int) string {
	if size >= 1<<10 {
		return fmt.Sprintf("%dKiB", size>>10)
	}
	return fmt.Sprintf("%dB", size)
}

// BenchmarkLengthPrefixedNext: zero-copy Next with the default
// LengthPrefixed (4-byte big-endian length), against a hand-written
// bufio.Reader + io.ReadFull loop into a reused buffer.
func BenchmarkLengthPrefixedNext(b *testing.B) {
	for _, size := range []int{16, 1 << 10, 64 << 10} {
		data := lengthPrefixedStream(size)
		b.Run(sizeName(size)+"/Next", func(b *testing.B) {
			r := frame.NewReader(&cycleReader{data: data}, frame.LengthPrefixed{})
			b.SetBytes(int64(size + 4))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				p, err := r.Next()
				if err != nil || len(p) != size {
					b.Fatalf("Next = %d bytes, %v", len(p), err)
				}
			}
		})
		// The limit: frames copied out of the one slice that holds them,
		// with no reader.
		b.Run(sizeName(size)+"/limit=copy", func(b *testing.B) {
			buf := make([]byte, frame.DefaultMaxFrame)
			b.SetBytes(int64(size + 4))
			b.ReportAllocs()
			off := 0
			for i := 0; i < b.N; i++ {
				if off == len(data) {
					off = 0
				}
				n := int(binary.BigEndian.Uint32(data[off:]))
				if n > len(buf) {
					b.Fatalf("frame of %d bytes", n)
				}
				off += 4
				if copy(buf[:n], data[off:]) != size {
					b.Fatal("short frame")
				}
				off += n
			}
		})
		// bufio.Reader + io.ReadFull into a new buffer for each frame.
		b.Run(sizeName(size)+"/ReadFullAlloc", func(b *testing.B) {
			br := bufio.NewReader(&cycleReader{data: data})
			var hdr [4]byte
			b.SetBytes(int64(size + 4))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := io.ReadFull(br, hdr[:]); err != nil {
					b.Fatal(err)
				}
				n := binary.BigEndian.Uint32(hdr[:])
				if n > frame.DefaultMaxFrame {
					b.Fatalf("frame of %d bytes", n)
				}
				p := make([]byte, n)
				if _, err := io.ReadFull(br, p); err != nil || len(p) != size {
					b.Fatal(err)
				}
			}
		})
		b.Run(sizeName(size)+"/std=ReadFull", func(b *testing.B) {
			br := bufio.NewReader(&cycleReader{data: data})
			var hdr [4]byte
			buf := make([]byte, frame.DefaultMaxFrame)
			b.SetBytes(int64(size + 4))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := io.ReadFull(br, hdr[:]); err != nil {
					b.Fatal(err)
				}
				n := binary.BigEndian.Uint32(hdr[:])
				if n > uint32(len(buf)) {
					b.Fatalf("frame of %d bytes", n)
				}
				p := buf[:n]
				if _, err := io.ReadFull(br, p); err != nil || len(p) != size {
					b.Fatal(err)
				}
			}
		})
	}
}

// linesStream is about 1 MiB of lines whose lengths are spread evenly
// from 1 to 127 bytes with the '\n': 64 bytes on average, about the 63 of
// BASELINES.md's lines (bufio2's BenchmarkLines), which are not these.
func linesStream() (data []byte, lines int) {
	rng := rand.New(rand.NewPCG(1, 2))
	for len(data) < 1<<20 {
		n := rng.IntN(127)
		for range n {
			data = append(data, byte('a'+rng.IntN(26)))
		}
		data = append(data, '\n')
		lines++
	}
	return data, lines
}

// BenchmarkLines: frame.Reader with Lines against bufio.Scanner with
// ScanLines.
func BenchmarkLines(b *testing.B) {
	data, lines := linesStream()
	perLine := int64(len(data) / lines)
	b.Run("Next", func(b *testing.B) {
		r := frame.NewReader(&cycleReader{data: data}, frame.Lines{})
		b.SetBytes(perLine)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := r.Next(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("std=Scanner", func(b *testing.B) {
		sc := bufio.NewScanner(&cycleReader{data: data})
		b.SetBytes(perLine)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if !sc.Scan() {
				b.Fatal(sc.Err())
			}
		}
	})
}

// BenchmarkWriterLengthPrefixed: 16-byte frames through a Writer with the
// default LengthPrefixed, against binary.BigEndian.PutUint32 and two
// writes to a bufio.Writer.
func BenchmarkWriterLengthPrefixed(b *testing.B) {
	payload := bytes.Repeat([]byte{'p'}, 16)
	b.Run("WriteFrame", func(b *testing.B) {
		w := frame.NewWriter(io.Discard, frame.LengthPrefixed{})
		b.SetBytes(int64(len(payload) + 4))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if err := w.WriteFrame(payload); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("std=bufio.Writer", func(b *testing.B) {
		w := bufio.NewWriter(io.Discard)
		var hdr [4]byte
		b.SetBytes(int64(len(payload) + 4))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			binary.BigEndian.PutUint32(hdr[:], uint32(len(payload)))
			if _, err := w.Write(hdr[:]); err != nil {
				b.Fatal(err)
			}
			if _, err := w.Write(payload); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkLineOneBytePerRead: a 128 KiB line that arrives one byte per
// read, through frame.Lines and frame.Delimited, against bufio2's
// ReadLineSlice on the same source (the baseline here, std=...: the target
// is within 1.5x of it). A codec's Split rescans its window from the
// start; the Reader must wait for the separator with a search that resumes
// where it stopped, or the line costs a rescan per byte.
func BenchmarkLineOneBytePerRead(b *testing.B) {
	line := append(bytes.Repeat([]byte{'l'}, 128<<10), '\n')
	run := func(name string, read func(br *bufio2.Reader) ([]byte, error)) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(line)))
			src := bytes.NewReader(line)
			one := iotest.OneByteReader(src)
			br := bufio2.NewReaderLimit(one, 256<<10)
			for range b.N {
				src.Reset(line)
				br.Reset(one)
				if p, err := read(br); err != nil || len(p) < len(line)-1 {
					b.Fatal(len(p), err)
				}
			}
		})
	}
	run("std=bufio2.ReadLineSlice", func(br *bufio2.Reader) ([]byte, error) { return br.ReadLineSlice() })
	run("Lines", func(br *bufio2.Reader) ([]byte, error) {
		return frame.NewReader(br, frame.Lines{Max: 256 << 10}).Next()
	})
	run("Delimited", func(br *bufio2.Reader) ([]byte, error) {
		return frame.NewReader(br, frame.Delimited{Max: 256 << 10}).Next()
	})
	run("Delimited2", func(br *bufio2.Reader) ([]byte, error) {
		return frame.NewReader(br, frame.Delimited{Seps: [][]byte{[]byte("\r\n"), []byte("\n")}, Max: 256 << 10}).Next()
	})
}
