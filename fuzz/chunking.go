package fuzz

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// MaxEmptyReads is the most empty reads, (0, nil), in a row that
// [DecodeChunking], [NewReader] and [Random] plan. io.Reader allows empty
// reads and a parser must read on after one, but bufio.Reader and
// bufio.Scanner give up with io.ErrNoProgress after 100 in a row, so the
// plans stay well below that.
const MaxEmptyReads = 3

// Chunking says how a [Reader] cuts a stream into reads: where each read
// ends, and whether io.EOF comes with the last bytes. Its zero value
// delivers the whole stream in one read, then (0, io.EOF).
//
// The boundaries are places in the stream, not counts per call: a read
// returns at most the rest of its planned piece, and fewer bytes if the
// caller's buffer is shorter, in which case the rest of the piece comes
// with the next read. So every read returns bytes of one piece only, and a
// caller with a large enough buffer gets the pieces of [Chunking.Split]
// one per read.
type Chunking struct {
	// Sizes are the sizes of the first reads, in order. A size of 0 is an
	// empty read, which returns (0, nil); empty reads planned right after
	// the last byte still come, before io.EOF (unless EOFWithData). A
	// size that reaches past the end of the stream is cut short there.
	// Sizes must not be negative.
	Sizes []int

	// Rest is the size of every read after Sizes. If zero, the rest of the
	// stream comes in one read (as far as the caller's buffer takes it).
	// It must not be negative.
	Rest int

	// EOFWithData makes the read that returns the last byte of the stream
	// return io.EOF with it, (n > 0, io.EOF), as io.Reader allows. If
	// false, the read after it returns (0, io.EOF). On an empty stream,
	// the first read that is not a planned empty read returns (0, io.EOF)
	// either way.
	EOFWithData bool
}

// OneByte returns the chunking that delivers one byte per read, as
// iotest.OneByteReader does: every place in the stream is a boundary.
func OneByte() Chunking { return Chunking{Rest: 1} }

// Halves returns a chunking for a stream of n bytes in which each read
// returns half of what is left, rounded up: 5, 3, 1, 1 for 10 bytes. Its
// boundaries crowd towards the end of the stream, where the end-of-stream
// cases are.
func Halves(n int) Chunking {
	var c Chunking
	for n > 0 {
		k := (n + 1) / 2
		c.Sizes = append(c.Sizes, k)
		n -= k
	}
	return c
}

// Cut returns the chunking whose reads end at the given offsets, and then
// the rest of the stream in one read: Cut(3, 5) reads 3 bytes, then 2,
// then the rest. The offsets are taken in increasing order; one given
// twice makes an empty read there. Cut panics if an offset is negative.
func Cut(offsets ...int) Chunking {
	offsets = slices.Clone(offsets)
	slices.Sort(offsets)
	var c Chunking
	at := 0
	for _, o := range offsets {
		if o < 0 {
			panic(fmt.Sprintf("fuzz: Cut at negative offset %d", o))
		}
		c.Sizes = append(c.Sizes, o-at)
		at = o
	}
	return c
}

// maxRandomReads is how many reads Random plans before it hands the rest
// of the stream to Rest.
const maxRandomReads = 1024

// Random returns a pseudo-random chunking for a stream of n bytes, the
// same for the same n and seed. It picks one of a few styles — reads of
// one to three bytes, small reads with empty reads among them, reads of up
// to half the stream, a mix of all — so that both fine and coarse cuts
// come up, and sets EOFWithData half of the time.
func Random(n int, seed uint64) Chunking {
	return randomChunking(rand.New(rand.NewPCG(seed, 0x6368756e6b)), n)
}

func randomChunking(rng *rand.Rand, n int) Chunking {
	var c Chunking
	style := rng.IntN(4)
	tiny := func() int { return 1 + rng.IntN(3) }
	small := func() int {
		if rng.IntN(6) == 0 {
			return 0
		}
		return 1 + rng.IntN(16)
	}
	coarse := func() int { return 1 + rng.IntN(max(1, n/2)) }
	empties := 0
	for total := 0; total < n; {
		if len(c.Sizes) == maxRandomReads {
			c.Rest = rng.IntN(9) // 0: the rest at once
			break
		}
		s := style
		if s == 3 {
			s = rng.IntN(3)
		}
		var k int
		switch s {
		case 0:
			k = tiny()
		case 1:
			k = small()
		default:
			k = coarse()
		}
		if k == 0 {
			if empties == MaxEmptyReads {
				continue
			}
			empties++
		} else {
			empties = 0
		}
		c.Sizes = append(c.Sizes, k)
		total += k
	}
	c.EOFWithData = rng.IntN(2) == 0
	return c
}

// DecodeChunking decodes a chunking from bytes chosen by a fuzzer: the
// chunking of [NewReader]'s plan, without its timeouts. Every byte is one
// read, whose size its low 7 bits give:
//
//	0x00 to 0x6f   a read of 0 to 111 bytes (0: an empty read)
//	0x70 to 0x7e   a read of 1 to 15 KiB
//	0x7f           no read: io.EOF comes with the last byte (EOFWithData)
//
// and 0x80, a timeout for NewReader, is no read here.
// After the last byte, the rest of the stream comes in one read. Empty
// reads beyond [MaxEmptyReads] in a row are dropped. Any bytes decode, so
// the fuzzer can mutate them freely, and short plans mean few reads.
func DecodeChunking(plan []byte) Chunking {
	c, _ := decodePlan(plan, -1)
	return c
}

// decodePlan decodes a plan: the chunking, and the timeouts of the bytes
// whose high bit is set, at offsets up to n (n < 0: none).
func decodePlan(plan []byte, n int) (Chunking, []Fault) {
	var c Chunking
	var faults []Fault
	at, empties := 0, 0
	for _, b := range plan {
		size := -1 // no read
		switch v := int(b & 0x7f); {
		case v < 0x70:
			size = v
		case v < 0x7f:
			size = (v - 0x6f) << 10
		default:
			c.EOFWithData = true
		}
		switch {
		case size == 0 && b&0x80 != 0:
			size = -1 // a timeout in place of the empty read
		case size == 0 && empties == MaxEmptyReads:
			size = -1 // dropped
		case size == 0:
			empties++
		case size > 0:
			empties = 0
		}
		if size >= 0 {
			c.Sizes = append(c.Sizes, size)
			at += size
		}
		if b&0x80 != 0 && n >= 0 {
			faults = append(faults, Fault{Offset: int64(min(at, n)), WithData: size > 0})
		}
	}
	return c, faults
}

func (c Chunking) check() {
	for _, s := range c.Sizes {
		if s < 0 {
			panic(fmt.Sprintf("fuzz: Chunking with a negative size %d", s))
		}
	}
	if c.Rest < 0 {
		panic(fmt.Sprintf("fuzz: Chunking with a negative Rest %d", c.Rest))
	}
}

// Reader returns a [Reader] that delivers data in the reads c plans, with
// the errors of faults at their offsets (see [NewFaultReader]). The Reader
// reads from data without copying it first; data must not change while it
// is in use. Reader panics if c has a negative size.
func (c Chunking) Reader(data []byte, faults ...Fault) *Reader {
	c.check()
	r := &Reader{src: chunkSource{data: data, sizes: c.Sizes, rest: c.Rest, eofWithData: c.EOFWithData}, chunking: c}
	r.fr = FaultReader{r: &r.src, faults: sortFaults(faults)}
	return r
}

// Split returns the pieces that c cuts data into: what each read returns
// to a caller whose buffer is large enough, empty reads included, up to
// io.EOF. The pieces are subslices of data, and together they are data, in
// order, with no byte lost or repeated.
func (c Chunking) Split(data []byte) [][]byte {
	c.check()
	s := chunkSource{data: data, sizes: c.Sizes, rest: c.Rest, eofWithData: c.EOFWithData}
	var pieces [][]byte
	for {
		piece, eof := s.next(len(data) + 1)
		if len(piece) > 0 || !eof {
			pieces = append(pieces, piece)
		}
		if eof {
			return pieces
		}
	}
}

// String describes c, as "reads 3 0 5, then one read, EOF with the last
// byte".
func (c Chunking) String() string {
	var b strings.Builder
	if len(c.Sizes) > 0 {
		b.WriteString("reads")
		for i, s := range c.Sizes {
			if i == 16 && len(c.Sizes) > 20 {
				fmt.Fprintf(&b, " ... (%d reads)", len(c.Sizes))
				break
			}
			fmt.Fprintf(&b, " %d", s)
		}
		b.WriteString(", then ")
	}
	switch c.Rest {
	case 0:
		b.WriteString("one read")
	case 1:
		b.WriteString("1 byte a read")
	default:
		fmt.Fprintf(&b, "%d bytes a read", c.Rest)
	}
	if c.EOFWithData {
		b.WriteString(", EOF with the last byte")
	}
	return b.String()
}
