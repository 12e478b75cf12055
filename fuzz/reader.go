package fuzz

import (
	"io"
	"strings"
)

// Reader is an io.Reader over a byte slice that delivers it in the reads a
// [Chunking] plans, with the errors of its faults (see [Fault]). Make
// one with [Chunking.Reader], or from a fuzzer's bytes with [NewReader]. It
// is not safe for concurrent use.
type Reader struct {
	fr       FaultReader // over src
	src      chunkSource
	chunking Chunking
}

var _ io.Reader = (*Reader)(nil)

// NewReader returns a Reader that delivers data as plan says, plan being
// bytes chosen by a fuzzer: the chunking that [DecodeChunking] decodes
// from it, with retryable timeouts ([ErrTimeout], once each) where the
// high bits of its bytes are set. Each byte plans a read:
//
//	bits 0 to 6    the read's size (see DecodeChunking): 0 to 111 bytes,
//	               1 to 15 KiB, or 0x7f for io.EOF with the last byte
//	bit 7          a timeout after the read: with its bytes, (n, ErrTimeout);
//	               0x80 is a timeout alone, (0, ErrTimeout), in place of an
//	               empty read
//
// So []byte{3, 0x80, 0x85} reads 3 bytes, times out, reads 5 bytes and
// times out with them, and then delivers the rest in one read. A timeout
// planned past the end of data comes at the end, before io.EOF. Every plan
// is valid, and an empty one delivers data in one read. A parser read
// through a NewReader must retry a read that fails with a timeout (see
// [IsTimeout]) to see the whole stream.
func NewReader(data, plan []byte) *Reader {
	c, faults := decodePlan(plan, len(data))
	return c.Reader(data, faults...)
}

// Read reads the next piece of the stream, or as much of it as fits in p.
func (r *Reader) Read(p []byte) (int, error) { return r.fr.Read(p) }

// Offset returns how many bytes the Reader has delivered.
func (r *Reader) Offset() int64 { return r.fr.n }

// String describes the Reader's plan: its chunking and the faults still to
// come.
func (r *Reader) String() string {
	var b strings.Builder
	b.WriteString(r.chunking.String())
	for i, f := range r.fr.faults {
		if i == 8 && len(r.fr.faults) > 10 {
			b.WriteString(", ...")
			break
		}
		b.WriteString("; ")
		b.WriteString(f.String())
	}
	return b.String()
}

// chunkSource delivers a stream as a Chunking says; a Reader's FaultReader
// reads from it.
type chunkSource struct {
	data        []byte // not delivered yet
	sizes       []int  // the planned reads to come
	rest        int
	eofWithData bool

	left    int  // bytes left of the current piece
	inPiece bool // a piece was started and not finished
	eof     bool // io.EOF was returned
}

// next delivers the next read into a buffer of m > 0 bytes: the bytes, and
// whether io.EOF comes with them.
func (s *chunkSource) next(m int) (p []byte, eof bool) {
	if s.eof {
		return nil, true
	}
	if !s.inPiece {
		switch {
		case len(s.sizes) > 0 && s.sizes[0] == 0:
			s.sizes = s.sizes[1:]
			return s.data[:0:0], false
		case len(s.data) == 0:
			s.eof = true
			return nil, true
		case len(s.sizes) > 0:
			s.left, s.sizes = s.sizes[0], s.sizes[1:]
		case s.rest > 0:
			s.left = s.rest
		default:
			s.left = len(s.data)
		}
		s.inPiece = true
	}
	n := min(m, s.left, len(s.data))
	p, s.data = s.data[:n:n], s.data[n:]
	s.left -= n
	if s.left == 0 || len(s.data) == 0 {
		s.inPiece = false
	}
	if len(s.data) == 0 && s.eofWithData {
		s.eof = true
	}
	return p, s.eof
}

func (s *chunkSource) Read(p []byte) (int, error) {
	if len(p) == 0 {
		if s.eof {
			return 0, io.EOF
		}
		return 0, nil
	}
	piece, eof := s.next(len(p))
	n := copy(p, piece)
	if eof {
		return n, io.EOF
	}
	return n, nil
}
