package bufio2_test

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// The fuzz targets decode their input into a limit, a chunking of the
// stream (a plan for refSource), separators and the arguments of a
// sequence of calls, and the stream itself (see fzStream); they run the
// calls on a Reader and check every result against the model (refReader).
// The work of an input is bounded (fzMaxStream, fzMaxSteps), so that the
// fuzzer runs thousands of inputs a second and minimises new ones quickly. A Reader that
// would loop forever fails instead, on the source's read bound. The seeds
// (f.Add and testdata/fuzz/<Target>) run as part of go test.
//
//	go test ./bufio2 -run '^$' -fuzz '^FuzzReadUntil$' -fuzztime 30s

// fzWatchdog turns a hang into a crash that the fuzzer reports and saves the
// input of: the calls run on an in-memory source, so none takes long.
func fzWatchdog() (stop func() bool) {
	return time.AfterFunc(fzHangAfter, func() { panic("bufio2 fuzz: the input hangs the Reader") }).Stop
}

const fzHangAfter = 20 * time.Second

// fzLimit maps the fuzzer's number to a limit from 1 to 8192.
func fzLimit(l uint16) int { return 1 + int(l%8192) }

// fzPlan decodes a chunking: each byte is one chunk, with a timeout after
// it if the high bit is set. The low 7 bits are the chunk's size, 0 to 111
// bytes, or from 112 up (1 to 16) KiB. At most 64 chunks; after them, the
// rest of the stream comes as fast as the Reader takes it.
func fzPlan(b []byte) []refChunk {
	var plan []refChunk
	for _, c := range b[:min(len(b), 64)] {
		n := int(c & 0x7f)
		if n >= 0x70 {
			n = (n - 0x6f) << 10
		}
		plan = append(plan, refChunk{N: n, Timeout: c&0x80 != 0})
	}
	return plan
}

// fzSeps decodes up to max separators: each is a byte L followed by the
// separator's 1+L%4 bytes (fewer if the input ends). With none, "\n".
func fzSeps(b []byte, maxN int) [][]byte {
	var seps [][]byte
	for len(b) > 1 && len(seps) < maxN {
		n := min(1+int(b[0]%4), len(b)-1)
		seps = append(seps, b[1:1+n])
		b = b[1+n:]
	}
	if len(seps) == 0 {
		seps = [][]byte{[]byte("\n")}
	}
	return seps
}

// fzMaxStream bounds the stream a target decodes: with fzMaxSteps, it
// bounds the work of one input, and it is past the Reader's first buffer
// (4 KiB) and the largest limit, where the paths that grow the buffer are.
const fzMaxStream = 32 << 10

// fzMaxSteps bounds the calls a target makes before it reads the rest of the
// stream in one go: the model copies and searches the rest on every call, so
// an input that asked for a call per byte would cost O(n²).
const fzMaxSteps = 256

// fzStream decodes a stream: bytes stand for themselves, except that 0xff
// followed by k repeats the byte before it 64*k more times (0xff 0x00 is a
// 0xff byte). A short input thus makes a stream past the Reader's 4 KiB
// buffer and the limit, and the fuzzer mutates and minimises the short
// input rather than kilobytes of repeated bytes. At most fzMaxStream bytes.
func fzStream(b []byte) []byte {
	var s []byte
	for i := 0; i < len(b) && len(s) < fzMaxStream; i++ {
		if b[i] != 0xff || i+1 == len(b) {
			s = append(s, b[i])
			continue
		}
		i++
		if b[i] == 0 || len(s) == 0 {
			s = append(s, 0xff)
			continue
		}
		s = append(s, bytes.Repeat(s[len(s)-1:], 64*int(b[i]))...)
	}
	return s[:min(len(s), fzMaxStream)]
}

// fzEncStream is fzStream's inverse, for seeds: runs of a byte longer than
// 64 become 0xff k.
func fzEncStream(s string) []byte {
	var b []byte
	for i := 0; i < len(s); {
		c := s[i]
		j := i + 1
		for j < len(s) && s[j] == c {
			j++
		}
		b = append(b, c)
		if c == 0xff {
			b = append(b, 0)
		}
		rest := j - i - 1
		for rest >= 64 {
			k := min(rest/64, 255)
			b = append(b, 0xff, byte(k))
			rest -= 64 * k
		}
		for range rest {
			b = append(b, c)
			if c == 0xff {
				b = append(b, 0)
			}
		}
		i = j
	}
	return b
}

// fzEncSeps is fzSeps' inverse, for seeds.
func fzEncSeps(seps ...string) []byte {
	var b []byte
	for _, s := range seps {
		b = append(b, byte(len(s)-1))
		b = append(b, s...)
	}
	return b
}

// fzAround calls something before or after the main call of a step, as bits 2
// and 3 of the step's op byte say: nothing, ReadByte before, UnreadByte
// after (when the contract says what it does), or Peek before.
func fzAround(c *refReader, o byte, main func()) {
	switch o >> 2 & 3 {
	case 1:
		c.readByte()
	case 3:
		c.peek(int(o >> 4))
	}
	main()
	if o>>2&3 == 2 {
		c.unreadByte()
	}
	c.check()
}

// fzUntil reads the stream with ReadUntil (one separator) or ReadUntilAny
// to its end. Each op byte is one step: bit 0 picks the zero-copy variant,
// bit 1 how to get past an overrun (ReadExactly(Consumed) or
// Discard(Consumed)), bits 2 and 3 as in fzAround. Without ops left, steps are
// ReadUntil with ReadExactly(Consumed).
func fzUntil(t *testing.T, limit uint16, eofWithData bool, chunks, seps, ops, streamIn []byte, anyOf bool) {
	defer fzWatchdog()()
	stream := fzStream(streamIn)
	var ss [][]byte
	variant := []int{refUntilCopy, refUntilSlice}
	if anyOf {
		ss = fzSeps(seps, 12)
		variant = []int{refUntilAny, refUntilAnySlice}
	} else {
		if len(seps) == 0 {
			seps = []byte("\n")
		}
		ss = [][]byte{seps[:min(len(seps), 8)]}
	}
	c := newRefReader(t, stream, fzLimit(limit), fzPlan(chunks), eofWithData, false)
	for i := 0; len(c.m.rest) > 0 && i <= len(stream) && i < fzMaxSteps; i++ {
		var o byte
		if i < len(ops) {
			o = ops[i]
		}
		fzAround(c, o, func() {
			c.readUntil(ss, variant[o&1])
			if over := c.lastOverrun; over != nil {
				if o&2 == 0 {
					c.readExactly(over.Consumed, refExactlyCopy)
				} else {
					c.discard(over.Consumed)
				}
			}
		})
	}
	c.readUntil(ss, variant[0]) // at the end: io.EOF, or after fzMaxSteps, the next result
	c.writeTo()
	c.check()
}

// FuzzReadUntil reads a stream with ReadUntil and ReadUntilSlice.
func FuzzReadUntil(f *testing.F) {
	for _, s := range []struct {
		limit       int
		eofWithData bool
		chunks      []byte
		sep         string
		ops         []byte
		stream      string
	}{
		{3, false, nil, "\r\n", nil, "abc\r\nabcd\r\nab"},
		{3, true, []byte{1, 0x80, 2, 0x81}, "\r\n", []byte{1, 2, 4, 8, 12}, "abc\r\nabcd\r\nab\r"},
		{2, false, []byte{1, 1, 1, 0x81}, "aa", []byte{0, 1, 2, 3}, "aaaaabaaab"},
		{4, true, []byte{3, 0x82}, "aba", []byte{9, 8}, "ababababa-abxaba"},
		{5, false, []byte{0x7f, 0x80, 0x00, 0x70}, "\r\n\r\n", []byte{2}, "head: 1\r\nx: 2\r\n\r\nbody\r\n\r"},
		{4096, false, []byte{0x70, 0x01, 0x70}, "\n", nil, strings.Repeat("a", 4097) + "\n" + strings.Repeat("b", 4096) + "\nc"},
		{1, false, []byte{0x80, 0x80, 0x80}, "x", []byte{14, 14, 14}, "xxyxyyx"},
	} {
		f.Add(uint16(s.limit-1), s.eofWithData, s.chunks, []byte(s.sep), s.ops, fzEncStream(s.stream))
	}
	f.Fuzz(func(t *testing.T, limit uint16, eofWithData bool, chunks, sep, ops, stream []byte) {
		fzUntil(t, limit, eofWithData, chunks, sep, ops, stream, false)
	})
}

// FuzzReadUntilAny reads a stream with ReadUntilAny and ReadUntilAnySlice,
// with up to 12 separators (see fzSeps).
func FuzzReadUntilAny(f *testing.F) {
	for _, s := range []struct {
		limit       int
		eofWithData bool
		chunks      []byte
		seps        []byte
		ops         []byte
		stream      string
	}{
		{3, false, nil, fzEncSeps("\n", "\r\n"), nil, "abc\r\nab\r\nabcd\n"},
		{2, true, []byte{1, 0x81}, fzEncSeps("\r\n\r\n", "\n"), []byte{1, 3}, "ab\r\n\r\nc\r\n\r\n"},
		{4, false, []byte{2, 2, 0x80}, fzEncSeps("aba", "b-", "aa"), []byte{4, 8, 12}, "xxababa-aab-aa"},
		{1, false, []byte{0x80, 1}, fzEncSeps("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"), []byte{0, 1}, "zzzjzzzazzzzzb"},
		{5, true, nil, fzEncSeps("ab", "aab", "aaab"), []byte{2, 3}, "aaaaaaabaaab"},
	} {
		f.Add(uint16(s.limit-1), s.eofWithData, s.chunks, s.seps, s.ops, fzEncStream(s.stream))
	}
	f.Fuzz(func(t *testing.T, limit uint16, eofWithData bool, chunks, seps, ops, stream []byte) {
		fzUntil(t, limit, eofWithData, chunks, seps, ops, stream, true)
	})
}

// FuzzReadLine reads a stream with ReadLine and ReadLineSlice to its end.
// Each op byte is one step: bit 0 picks the zero-copy variant, bits 2 and 3
// as in fzAround.
func FuzzReadLine(f *testing.F) {
	for _, s := range []struct {
		limit       int
		eofWithData bool
		chunks      []byte
		ops         []byte
		stream      string
	}{
		{3, false, nil, nil, "abc\nabcd\nab"},
		{3, true, []byte{2, 0x82, 1, 0x80, 5}, []byte{1, 0, 8, 4}, "abc\nabcdefgh\nab\n\nabcd"},
		{1, false, []byte{0x81, 0x81, 0x81, 0x81}, []byte{8, 9, 12}, "\n\na\nab\nabc\na"},
		{4097, false, []byte{0x70, 0xf0, 0x01}, nil, strings.Repeat("a", 4098) + "\nb\n" + strings.Repeat("c", 4097) + "\n"},
		{2, true, []byte{0x80, 0x80, 3}, []byte{2}, "abcdefghijkl"},
		// A timeout while ReadLine discards an overlong line: the next
		// ReadLine goes on discarding it.
		{2, false, []byte{4, 0x81}, nil, "abcdef\nxy\n"},
	} {
		f.Add(uint16(s.limit-1), s.eofWithData, s.chunks, s.ops, fzEncStream(s.stream))
	}
	f.Fuzz(func(t *testing.T, limit uint16, eofWithData bool, chunks, ops, stream []byte) {
		defer fzWatchdog()()
		stream = fzStream(stream)
		c := newRefReader(t, stream, fzLimit(limit), fzPlan(chunks), eofWithData, false)
		for i := 0; len(c.m.rest) > 0 && i <= len(stream) && i < fzMaxSteps; i++ {
			var o byte
			if i < len(ops) {
				o = ops[i]
			}
			fzAround(c, o, func() { c.readLine(o&1 != 0) })
		}
		c.readLine(false) // at the end: io.EOF, or after fzMaxSteps, the next line
		c.writeTo()
		c.check()
	})
}

// FuzzReadExactly runs ReadExactly, ReadExactlySlice and ReadExactlyInto,
// with Read, ReadByte and UnreadByte between them, then WriteTo. The ops
// come in pairs (a, b): a%3 picks the variant, bits 2 and 3 as in fzAround
// (with Read(b) for Peek), and the top two bits how b gives the count: b,
// limit-128+b, 64*b, or 2*limit-128+b.
func FuzzReadExactly(f *testing.F) {
	for _, s := range []struct {
		limit       int
		eofWithData bool
		chunks      []byte
		ops         []byte
		stream      string
	}{
		{3, false, nil, []byte{0, 0, 0, 3, 1, 3, 2, 3, 0, 0, 0, 1}, "abcdefghij"},
		{4, true, []byte{1, 0x81, 2}, []byte{0x40, 128, 0x41, 129, 0xc2, 130, 8, 2}, "0123456789abcdefghijklmnop"},
		{1, false, []byte{0x80, 0x80}, []byte{4, 1, 8, 1, 12, 5, 0, 0}, "xyz"},
		{4096, false, []byte{0x70, 0x80, 0x01}, []byte{0x80, 100, 0xc2, 129, 0x00, 200}, strings.Repeat("0", 5000) + "123456789" + strings.Repeat("x", 4000)},
	} {
		f.Add(uint16(s.limit-1), s.eofWithData, s.chunks, s.ops, fzEncStream(s.stream))
	}
	f.Fuzz(func(t *testing.T, limit uint16, eofWithData bool, chunks, ops, stream []byte) {
		defer fzWatchdog()()
		stream = fzStream(stream)
		c := newRefReader(t, stream, fzLimit(limit), fzPlan(chunks), eofWithData, false)
		for i := 0; i+1 < len(ops) && i < 2*fzMaxSteps; i += 2 {
			a, b := ops[i], int(ops[i+1])
			n := b
			switch a >> 6 {
			case 1:
				n = c.limit - 128 + b
			case 2:
				n = 64 * b
			case 3:
				n = 2*c.limit - 128 + b
			}
			n = max(n, 0)
			switch a >> 2 & 3 {
			case 1:
				c.readByte()
			case 3:
				c.read(b)
			}
			c.readExactly(n, int(a%3))
			if a>>2&3 == 2 {
				c.unreadByte()
			}
			c.check()
		}
		c.writeTo()
		c.check()
	})
}

// rpMaxInput bounds FuzzReaderMachine's input: 512 draws.
const rpMaxInput = 4 << 10

// FuzzReaderMachine is TestReaderMachine, the rapid state machine, as a fuzz
// target: the fuzzer's input is the bit stream rapid draws from.
func FuzzReaderMachine(f *testing.F) {
	// rapid reads 8 bytes a draw and skips an input that runs out, so the
	// seeds are long enough for a whole run; but no longer, and the input
	// is cut at rpMaxInput: a run costs about as much as its input is long
	// (the stream and the calls are drawn from it), and the fuzzer
	// minimises every new input by running it again and again.
	for seed := range uint64(4) {
		rng := rand.New(rand.NewPCG(seed, 3))
		b := make([]byte, 512<<seed)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		f.Add(b)
	}
	prop := rapid.MakeFuzz(rpReaderMachine)
	f.Fuzz(func(t *testing.T, input []byte) {
		defer fzWatchdog()()
		prop(t, input[:min(len(input), rpMaxInput)])
	})
}
