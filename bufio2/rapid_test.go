package bufio2_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/errs"
)

// rpLimits run from tiny to past the Reader's first buffer (4096 bytes).
var rpLimits = []int{1, 2, 3, 4, 5, 7, 8, 16, 31, 100, 4095, 4096, 4097, 5000, 9000}

// rpSeps holds the separators the properties use, self-overlapping ones
// among them.
var rpSeps = [][]byte{
	[]byte("\n"), []byte("\r\n"), []byte("\r\n\r\n"), []byte("aa"), []byte("aba"),
	[]byte("a"), []byte("ab"), []byte("ba"), []byte("x\r"),
}

// rpPieces are what streams are made of: separators, parts of them, filler.
var rpPieces = [][]byte{
	[]byte("a"), []byte("b"), []byte("x"), []byte("aa"), []byte("ab"), []byte("aba"), []byte("ba"),
	[]byte("\r"), []byte("\n"), []byte("\r\n"), []byte("\r\n\r\n"), []byte("\n\n"), []byte("a\n"),
}

func rpLimit() *rapid.Generator[int] { return rapid.SampledFrom(rpLimits) }

// rpStream makes streams of pieces, each repeated a few times, about limit
// times (to land next to the limit), or up to three times the limit.
func rpStream(limit int) *rapid.Generator[[]byte] {
	return rapid.Custom(func(t *rapid.T) []byte {
		var s []byte
		n := rapid.IntRange(0, 10).Draw(t, "pieces")
		for range n {
			p := rapid.OneOf(rapid.SampledFrom(rpPieces), rapid.SliceOfN(rapid.Byte(), 1, 4)).Draw(t, "piece")
			reps := rapid.OneOf(
				rapid.IntRange(1, 3),
				rapid.IntRange(max(1, (limit-2)/len(p)), (limit+2)/len(p)+1),
				rapid.IntRange(1, 3*limit/len(p)+1),
			).Draw(t, "reps")
			s = append(s, bytes.Repeat(p, reps)...)
		}
		return s
	})
}

// rpPlan makes a refSource's plan: chunks of a few bytes, up to twice the
// limit, or right at the limit and the Reader's first buffer size; with
// timeouts if timeouts is set.
func rpPlan(limit int, timeouts bool) *rapid.Generator[[]refChunk] {
	return rapid.SliceOfN(rapid.Custom(func(t *rapid.T) refChunk {
		n := rapid.OneOf(
			rapid.IntRange(0, 8),
			rapid.IntRange(1, 2*limit+8),
			rapid.SampledFrom([]int{limit - 1, limit, limit + 1, 4095, 4096, 4097}),
		).Draw(t, "n")
		timeout := timeouts && rapid.IntRange(0, 3).Draw(t, "timeout") == 0
		return refChunk{N: max(n, 0), Timeout: timeout}
	}), 0, 24)
}

func rpSepList(minN, maxN int) *rapid.Generator[[][]byte] {
	return rapid.SliceOfN(rapid.SampledFrom(rpSeps), minN, maxN)
}

// TestReaderMachine runs random calls on a Reader over a source that
// delivers the stream in random chunks, with timeouts, and checks every
// result against the model of the whole stream.
func TestReaderMachine(t *testing.T) {
	rapid.Check(t, rpReaderMachine)
}

func rpReaderMachine(t *rapid.T) {
	limit := rpLimit().Draw(t, "limit")
	stream := rpStream(limit).Draw(t, "stream")
	plan := rpPlan(limit, true).Draw(t, "plan")
	eofWithData := rapid.Bool().Draw(t, "eofWithData")
	writerTo := rapid.Bool().Draw(t, "writerTo")
	c := newRefReader(t, stream, limit, plan, eofWithData, writerTo)

	count := func(name string) int {
		return rapid.OneOf(
			rapid.IntRange(0, 8),
			rapid.IntRange(0, limit+8),
			rapid.IntRange(limit, 3*limit+8),
		).Draw(t, name)
	}
	t.Repeat(map[string]func(*rapid.T){
		"ReadLine": func(t *rapid.T) {
			c.readLine(rapid.Bool().Draw(t, "slice"))
		},
		"ReadUntil": func(t *rapid.T) {
			sep := rapid.SampledFrom(rpSeps).Draw(t, "sep")
			variant := rapid.SampledFrom([]int{refUntilCopy, refUntilSlice, refUntilAny, refUntilAnySlice}).Draw(t, "variant")
			c.readUntil([][]byte{sep}, variant)
		},
		"ReadUntilAny": func(t *rapid.T) {
			seps := rpSepList(2, 4).Draw(t, "seps")
			variant := rapid.SampledFrom([]int{refUntilAny, refUntilAnySlice}).Draw(t, "variant")
			c.readUntil(seps, variant)
		},
		"ReadExactly": func(t *rapid.T) {
			n := count("n")
			c.readExactly(n, rapid.IntRange(refExactlyCopy, refExactlyInto).Draw(t, "variant"))
		},
		"ReadExactlyConsumed": func(t *rapid.T) {
			// Right after an overrun, the data is still there to be read
			// again (API.md: "e.g. with ReadExactly(Consumed)").
			if c.lastOverrun == nil {
				t.Skip("no overrun just before")
			}
			c.readExactly(c.lastOverrun.Consumed, rapid.IntRange(refExactlyCopy, refExactlyInto).Draw(t, "variant"))
		},
		"Read": func(t *rapid.T) {
			c.read(rapid.OneOf(rapid.IntRange(0, 16), rapid.IntRange(1, 2*limit+8), rapid.IntRange(4096, 9000)).Draw(t, "n"))
		},
		"ReadByte": func(t *rapid.T) { c.readByte() },
		"UnreadByte": func(t *rapid.T) {
			if !c.unreadByte() {
				t.Skip("the contract does not say what UnreadByte does now")
			}
		},
		"Peek": func(t *rapid.T) {
			c.peek(rapid.OneOf(rapid.IntRange(0, 8), rapid.IntRange(0, limit), rapid.IntRange(limit+1, limit+16)).Draw(t, "n"))
		},
		"Discard":  func(t *rapid.T) { c.discard(count("n")) },
		"Buffered": func(t *rapid.T) { c.buffered() },
		"AtEOF":    func(t *rapid.T) { c.atEOF() },
		"":         func(t *rapid.T) { c.check() },
	})
	c.writeTo()
	c.check()
}

// TestPeekOverLimitReturnsAtMostN: Peek "returns the next n bytes"; asked
// for more than the limit, it returns ErrBufferFull and what it has, but
// never more than n bytes (as bufio.Reader.Peek). With limit 4 the Reader
// still reads 4096 bytes at a time; before d63f4c7, Peek(6) returned all 16.
func TestPeekOverLimitReturnsAtMostN(t *testing.T) {
	r := bufio2.NewReaderLimit(strings.NewReader("abcdefghijklmnop"), 4)
	got, err := r.Peek(6)
	if !errors.Is(err, bufio2.ErrBufferFull) {
		t.Errorf("Peek(6) with limit 4: error %v, want ErrBufferFull", err)
	}
	if len(got) > 6 || !bytes.HasPrefix([]byte("abcdefghijklmnop"), got) {
		t.Errorf("Peek(6) with limit 4 = %q, want at most the next 6 bytes", got)
	}
}

// rpOp is one call in the chunk-invariance property.
type rpOp struct {
	Kind string // "ReadLine", "ReadLineSlice", "ReadUntil", "ReadUntilAny", "ReadExactly", "ReadExactlyInto", "ReadByte", "Discard", "Read", "Peek"
	Seps [][]byte
	N    int
}

func (o rpOp) String() string {
	if o.Seps != nil {
		return fmt.Sprintf("%s(%q)", o.Kind, o.Seps)
	}
	return fmt.Sprintf("%s(%d)", o.Kind, o.N)
}

func rpGenOp(limit int) *rapid.Generator[rpOp] {
	return rapid.Custom(func(t *rapid.T) rpOp {
		o := rpOp{Kind: rapid.SampledFrom([]string{
			"ReadLine", "ReadLineSlice", "ReadUntil", "ReadUntilAny", "ReadExactly", "ReadExactlyInto",
			"ReadByte", "Discard", "Read", "Peek",
		}).Draw(t, "kind")}
		switch o.Kind {
		case "ReadUntil":
			o.Seps = rpSepList(1, 1).Draw(t, "seps")
		case "ReadUntilAny":
			o.Seps = rpSepList(2, 4).Draw(t, "seps")
		case "Peek":
			o.N = rapid.IntRange(0, limit).Draw(t, "n")
		case "ReadExactly", "ReadExactlyInto", "Discard", "Read":
			o.N = rapid.OneOf(rapid.IntRange(0, 8), rapid.IntRange(0, 3*limit+8)).Draw(t, "n")
		}
		return o
	})
}

// rpRunOps runs ops on a Reader over rd and returns their results, with each
// overrun's LimitOverrunError aside (nil for the other calls). Reads that a
// Go Reader may answer in pieces (Read) are repeated until they have what
// asyncio's would return for the whole stream.
func rpRunOps(rd io.Reader, limit int, ops []rpOp) ([]refOutcome, []*errs.LimitOverrunError) {
	r := bufio2.NewReaderLimit(rd, limit)
	var outs []refOutcome
	var overs []*errs.LimitOverrunError
	for _, o := range ops {
		var data []byte
		var err error
		switch o.Kind {
		case "ReadLine":
			data, err = r.ReadLine()
		case "ReadLineSlice":
			data, err = r.ReadLineSlice()
		case "ReadUntil":
			data, err = r.ReadUntil(o.Seps[0])
		case "ReadUntilAny":
			data, err = r.ReadUntilAny(o.Seps...)
		case "ReadExactly":
			data, err = r.ReadExactly(o.N)
		case "ReadExactlyInto":
			data = make([]byte, o.N)
			var n int
			n, err = r.ReadExactlyInto(data)
			data = data[:n]
		case "ReadByte":
			var c byte
			if c, err = r.ReadByte(); err == nil {
				data = []byte{c}
			}
		case "Discard":
			var n int
			n, err = r.Discard(o.N)
			data = []byte(fmt.Sprint(n))
		case "Read":
			p := make([]byte, o.N)
			n := 0
			for n < len(p) {
				var k int
				k, err = r.Read(p[n:])
				n += k
				if err != nil {
					break
				}
			}
			if n > 0 && err == io.EOF {
				err = nil
			}
			data = p[:n]
		case "Peek":
			data, err = r.Peek(o.N)
		}
		outs = append(outs, refOutcomeOf(bytes.Clone(data), err))
		overs = append(overs, refOverrunOf(err))
	}
	return outs, overs
}

// rpReplay runs ops on the model and returns, for each, the rest of the stream
// before it and the model's overrun (nil if none).
func rpReplay(stream []byte, limit int, ops []rpOp) (rests [][]byte, overs []*errs.LimitOverrunError) {
	m := newRefModel(stream, limit)
	for _, o := range ops {
		rests = append(rests, m.rest)
		var err error
		switch o.Kind {
		case "ReadLine", "ReadLineSlice":
			_, err = m.readLine()
		case "ReadUntil", "ReadUntilAny":
			_, err = m.readUntil(o.Seps...)
		case "ReadExactly", "ReadExactlyInto":
			_, err = m.readExactly(o.N)
		case "ReadByte":
			_, err = m.readByte()
		case "Discard":
			_, err = m.discard(o.N)
		case "Read":
			_, err = m.read(o.N)
		}
		overs = append(overs, refOverrunOf(err))
	}
	return rests, overs
}

// TestChunkInvariance: for a random stream and calls, the results under two
// random chunkings are the same (data, error kinds, Partial and Expected);
// overruns, whose Consumed and Found may differ, are checked by the
// invariants against the model.
func TestChunkInvariance(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		limit := rpLimit().Draw(t, "limit")
		stream := rpStream(limit).Draw(t, "stream")
		ops := rapid.SliceOfN(rpGenOp(limit), 1, 20).Draw(t, "ops")
		planA := rpPlan(limit, false).Draw(t, "planA")
		planB := rpPlan(limit, false).Draw(t, "planB")
		eofA := rapid.Bool().Draw(t, "eofWithDataA")
		eofB := rapid.Bool().Draw(t, "eofWithDataB")

		outsA, oversA := rpRunOps(newRefSource(stream, planA, eofA), limit, ops)
		outsB, oversB := rpRunOps(newRefSource(stream, planB, eofB), limit, ops)
		if diff := cmp.Diff(outsA, outsB, refEquateBytes); diff != "" {
			t.Fatalf("ops %v: results differ between two chunkings (-A +B):\n%s", ops, diff)
		}
		rests, want := rpReplay(stream, limit, ops)
		for i, o := range ops {
			seps := o.Seps
			if strings.HasPrefix(o.Kind, "ReadLine") {
				seps = [][]byte{[]byte("\n")}
			}
			what := fmt.Sprintf("call %d, %v", i, o)
			refCheckOverrun(t, what+" (chunking A)", limit, rests[i], seps, want[i], oversA[i])
			refCheckOverrun(t, what+" (chunking B)", limit, rests[i], seps, want[i], oversB[i])
		}
	})
}

// TestOverrunInvariants reads a stream with ReadUntil or ReadUntilAny,
// chunked at random with timeouts, and checks each result against the model:
// a read overruns if and only if asyncio's does for the whole stream, with
// Consumed > Limit, never past the winning match (or asyncio's whole-stream
// consumed without one), and Found only with Consumed at the match's start.
// After an overrun, the data is still there: ReadExactly(Consumed) returns
// it, and the read goes on from there.
func TestOverrunInvariants(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		limit := rpLimit().Draw(t, "limit")
		seps := rpSepList(1, 4).Draw(t, "seps")
		stream := rpStream(limit).Draw(t, "stream")
		plan := rpPlan(limit, true).Draw(t, "plan")
		c := newRefReader(t, stream, limit, plan, rapid.Bool().Draw(t, "eofWithData"), false)
		variant := refUntilAny
		if len(seps) == 1 {
			variant = rapid.SampledFrom([]int{refUntilCopy, refUntilSlice, refUntilAny, refUntilAnySlice}).Draw(t, "variant")
		}
		overruns := 0
		for i := 0; len(c.m.rest) > 0 && i < 200; i++ {
			c.readUntil(seps, variant)
			if over := c.lastOverrun; over != nil {
				overruns++
				c.readExactly(over.Consumed, refExactlyCopy)
			}
			c.check()
		}
		c.readUntil(seps, variant) // io.EOF
		c.check()
		t.Logf("%d overruns", overruns)
	})
}

// TestReadLineSkipsOverlongLines: over streams with lines shorter than,
// at and beyond the limit, the sequence of ReadLine results (line, overrun,
// EOF) is the same whatever the chunking, with or without timeouts, and
// equals the model's.
func TestReadLineSkipsOverlongLines(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		limit := rpLimit().Draw(t, "limit")
		lines := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) []byte {
			n := rapid.SampledFrom([]int{0, 1, limit - 1, limit, limit + 1, 2 * limit, 5*limit + 3}).Draw(t, "length")
			fill := rapid.SampledFrom([][]byte{[]byte("a"), []byte("\r"), []byte("ab"), []byte("x\r")}).Draw(t, "fill")
			return append(bytes.Repeat(fill, n+1)[:max(n, 0)], '\n')
		}), 0, 8).Draw(t, "lines")
		stream := bytes.Join(lines, nil)
		if rapid.Bool().Draw(t, "lastLineWithoutNewline") && len(stream) > 0 {
			stream = stream[:len(stream)-1]
		}

		m := newRefModel(stream, limit)
		var want []refOutcome
		for {
			line, err := m.readLine()
			want = append(want, refOutcomeOf(line, err))
			if err == io.EOF {
				break
			}
		}
		for run := range 3 {
			var plan []refChunk // run 0: as fast as the Reader takes it
			if run > 0 {
				plan = rpPlan(limit, true).Draw(t, fmt.Sprintf("plan%d", run))
			}
			src := newRefSource(stream, plan, rapid.Bool().Draw(t, "eofWithData"))
			r := bufio2.NewReaderLimit(src, limit)
			var got []refOutcome
			for retries := 0; len(got) < len(want)+1; {
				line, err := r.ReadLine()
				if refIsTimeout(err) {
					if retries++; retries > src.bound {
						t.Fatalf("ReadLine still timing out after %d retries", retries)
					}
					continue
				}
				got = append(got, refOutcomeOf(line, err))
				if err == io.EOF {
					break
				}
			}
			if diff := cmp.Diff(want, got, refEquateBytes); diff != "" {
				t.Fatalf("run %d (plan %v): ReadLine results differ from the model (-want +got):\n%s", run, plan, diff)
			}
		}
	})
}

// TestUntilAnyAutomaton: with many separators, or long ones, ReadUntilAny
// searches with an automaton instead of the filter on last bytes; the
// model checks it as it checks the filter, on streams made of near-matches
// of separators that look alike.
func TestUntilAnyAutomaton(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		limit := rpLimit().Draw(t, "limit")
		alpha := rapid.SampledFrom([]byte("ab\n"))
		seps := rapid.OneOf(
			rapid.SliceOfN(rapid.SliceOfN(alpha, 1, 6), 9, 20),  // many
			rapid.SliceOfN(rapid.SliceOfN(alpha, 17, 40), 2, 4), // long
		).Draw(t, "seps")
		var stream []byte
		for range rapid.IntRange(0, 30).Draw(t, "pieces") {
			sep := rapid.SampledFrom(seps).Draw(t, "piece")
			cut := rapid.IntRange(0, len(sep)).Draw(t, "cut") // a separator or a part of it
			stream = append(stream, sep[:cut]...)
			stream = append(stream, rapid.SliceOfN(alpha, 0, 3).Draw(t, "filler")...)
		}
		plan := rpPlan(limit, true).Draw(t, "plan")
		c := newRefReader(t, stream, limit, plan, rapid.Bool().Draw(t, "eofWithData"), false)
		variant := rapid.SampledFrom([]int{refUntilAny, refUntilAnySlice}).Draw(t, "variant")
		for i := 0; len(c.m.rest) > 0 && i < 200; i++ {
			c.readUntil(seps, variant)
			if over := c.lastOverrun; over != nil {
				c.readExactly(over.Consumed, refExactlyCopy)
			}
			c.check()
		}
		c.readUntil(seps, variant) // io.EOF
		c.check()
	})
}
