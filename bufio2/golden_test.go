package bufio2_test

// Golden vectors from the reference implementation: testdata/golden.py runs
// CPython 3.13's asyncio.StreamReader, prefed with a whole stream and EOF,
// over a few thousand generated cases and records every outcome in
// testdata/golden.json (the script's docstring describes the format). The
// tests here replay every case against bufio2.Reader under several
// chunkings, and check that the script still produces the committed file.
//
// The mapping from asyncio's outcomes to the Reader's (API.md):
//   - returned bytes: the same bytes and a nil error; an empty result (EOF)
//     is io.EOF itself, except readexactly(0), which is empty and nil;
//   - IncompleteReadError: io.EOF if its partial is empty, else
//     *errs.IncompleteReadError with the same Partial and Expected (-1 for
//     readuntil); readline's partial last line is returned with nil;
//   - LimitOverrunError, and readline's ValueError: *errs.LimitOverrunError
//     (through errors.As) with the case's Limit. Consumed is checked by its
//     invariant, because how much the Reader has seen when it gives up
//     depends on the chunking: Consumed > Limit, Consumed <= asyncio's
//     consumed, and Found implies that asyncio found the separator too and
//     then Consumed equals asyncio's. When the Reader gets the whole stream in
//     one read (the "whole" chunking of a stream shorter than its first
//     buffer), Consumed and Found must equal asyncio's exactly.
//
// asyncio's readline, on an overlong line, discards only what is buffered;
// the Reader discards the whole line. With the whole stream buffered the two
// are the same (loadGolden checks that of the vectors), so the replay goes on
// after a readline overrun and the later operations must still agree.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/fuzz"
	"github.com/streamkit/streamkit/internal/testenv"
)

const (
	goldenFile    = "testdata/golden.json"
	goldenScript  = "testdata/golden.py"
	goldenFormat  = "streamkit/bufio2-golden"
	goldenVersion = 1

	// goldenFirstRead is the most a Reader takes in its first read from the
	// source (its initial buffer). A stream shorter than this, read whole
	// from a bytes.Reader, reaches the Reader in one read.
	goldenFirstRead = 4096
)

type goldenVectors struct {
	Format  string       `json:"format"`
	Version int          `json:"version"`
	Python  string       `json:"python"`
	Seed    int64        `json:"seed"`
	Cases   []goldenCase `json:"cases"`
}

type goldenCase struct {
	Limit int        `json:"limit"`
	Data  []byte     `json:"data"` // encoding/json decodes base64 into []byte
	Ops   []goldenOp `json:"ops"`
	Rest  []byte     `json:"rest"` // read(-1) after the last op
}

type goldenOp struct {
	Op   string   `json:"op"` // readline, readuntil, readuntil_tuple, readexactly, read
	Seps [][]byte `json:"seps"`
	N    int      `json:"n"`

	Res      string `json:"res"` // bytes, IncompleteReadError, LimitOverrunError, ValueError
	Data     []byte `json:"data"`
	Partial  []byte `json:"partial"`
	Expected *int   `json:"expected"` // null for readuntil
	Consumed int    `json:"consumed"`
	Found    bool   `json:"found"`
	Skipped  int    `json:"skipped"` // ValueError: what asyncio's readline discarded
}

// loadGolden reads the vectors and checks that they hang together: each
// outcome is the next part of the stream, and what is left at the end is
// Rest. This also checks that asyncio's readline, given the whole stream,
// discards an overlong line exactly as the Reader does (through its '\n',
// or to the end of the stream).
func loadGolden(t *testing.T) *goldenVectors {
	t.Helper()
	raw, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatal(err)
	}
	var g goldenVectors
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatalf("%s: %v", goldenFile, err)
	}
	if g.Format != goldenFormat || g.Version != goldenVersion {
		t.Fatalf("%s: format %q version %d, want %q version %d", goldenFile, g.Format, g.Version, goldenFormat, goldenVersion)
	}
	if !strings.HasPrefix(g.Python, "3.13.") {
		t.Fatalf("%s: made by Python %s, want CPython 3.13", goldenFile, g.Python)
	}
	if len(g.Cases) < 1000 {
		t.Fatalf("%s: %d cases, want a few thousand", goldenFile, len(g.Cases))
	}
	for ci, c := range g.Cases {
		if c.Limit <= 0 || len(c.Ops) == 0 {
			t.Fatalf("case %d: limit %d, %d ops", ci, c.Limit, len(c.Ops))
		}
		pos := 0
		next := func(p []byte) bool {
			ok := bytes.HasPrefix(c.Data[pos:], p)
			pos += len(p)
			return ok
		}
		for oi, op := range c.Ops {
			ok := true
			switch op.Op {
			case "readline", "readuntil", "readuntil_tuple", "readexactly", "read":
			default:
				ok = false
			}
			switch op.Res {
			case "bytes":
				ok = ok && next(op.Data)
			case "IncompleteReadError":
				ok = ok && next(op.Partial) && pos == len(c.Data)
			case "LimitOverrunError":
				ok = ok && op.Consumed > c.Limit
			case "ValueError":
				want := len(c.Data) - pos
				if op.Found {
					want = op.Consumed + 1
				}
				ok = ok && op.Op == "readline" && op.Consumed > c.Limit && op.Skipped == want
				pos += op.Skipped
			default:
				ok = false
			}
			if !ok {
				t.Fatalf("case %d op %d: inconsistent vector %+v", ci, oi, op)
			}
		}
		if !bytes.Equal(c.Data[pos:], c.Rest) {
			t.Fatalf("case %d: rest %q, but the ops leave %q", ci, c.Rest, c.Data[pos:])
		}
	}
	return &g
}

// goldenChunking is a way of handing a case's stream to the Reader.
type goldenChunking struct {
	name string
	src  func(data []byte, ci int) io.Reader
}

var goldenChunkings = []goldenChunking{
	{"whole", func(d []byte, _ int) io.Reader { return bytes.NewReader(d) }},
	{"OneByteReader", func(d []byte, _ int) io.Reader { return iotest.OneByteReader(bytes.NewReader(d)) }},
	{"HalfReader", func(d []byte, _ int) io.Reader { return iotest.HalfReader(bytes.NewReader(d)) }},
	{"DataErrReader", func(d []byte, _ int) io.Reader { return iotest.DataErrReader(bytes.NewReader(d)) }},
	{"random/1-3", goldenRandom(1, 3)},
	{"random/1-16", goldenRandom(2, 16)},
	{"random/1-700", goldenRandom(3, 700)},
	{"random/1-5000", goldenRandom(4, 5000)},
	// A LazySource (see lazy_test.go) that now and then releases the
	// Reader's buffer and waits, as a netx connection does.
	{"lazy/random/1-64", func(d []byte, ci int) io.Reader {
		return &lazySource{r: goldenRandom(5, 64)(d, ci), rng: rand.New(rand.NewPCG(6, uint64(ci)))}
	}},
}

// goldenRandom returns a chunking that hands out pieces of 1 to max bytes,
// with now and then an empty read (0, nil) and half of the time the last
// piece together with io.EOF, seeded by the case index.
func goldenRandom(seed uint64, max int) func([]byte, int) io.Reader {
	return func(d []byte, ci int) io.Reader {
		rng := rand.New(rand.NewPCG(seed, uint64(ci)))
		var c fuzz.Chunking
		for n, empties := 0, 0; n < len(d); {
			if empties < fuzz.MaxEmptyReads && rng.IntN(8) == 0 {
				c.Sizes = append(c.Sizes, 0)
				empties++
				continue
			}
			k := 1 + rng.IntN(max)
			c.Sizes = append(c.Sizes, k)
			n, empties = n+k, 0
		}
		c.EOFWithData = rng.IntN(2) == 0
		return c.Reader(d)
	}
}

// goldenOutcome is one operation's outcome, in a form that both sides map
// to and cmp.Diff compares.
type goldenOutcome struct {
	Data     string
	Err      string // "", "io.EOF", "IncompleteReadError", "LimitOverrunError", or another error's type and text
	Partial  string
	Expected int
	Consumed int
	Limit    int
	Found    bool
}

// want maps asyncio's outcome to the Reader's (see the top of the file).
func (op *goldenOp) want(limit int) goldenOutcome {
	switch op.Res {
	case "bytes":
		if len(op.Data) == 0 && op.Op != "readexactly" {
			return goldenOutcome{Err: "io.EOF"}
		}
		return goldenOutcome{Data: string(op.Data)}
	case "IncompleteReadError":
		if len(op.Partial) == 0 {
			return goldenOutcome{Err: "io.EOF"}
		}
		exp := -1
		if op.Expected != nil {
			exp = *op.Expected
		}
		return goldenOutcome{Err: "IncompleteReadError", Partial: string(op.Partial), Expected: exp}
	default: // LimitOverrunError, ValueError
		return goldenOutcome{Err: "LimitOverrunError", Consumed: op.Consumed, Limit: limit, Found: op.Found}
	}
}

// goldenGot maps the Reader's result to an outcome. The data that comes
// with an error is not part of the contract, and is left out.
func goldenGot(data []byte, err error) goldenOutcome {
	var (
		inc  *errs.IncompleteReadError
		over *errs.LimitOverrunError
	)
	switch {
	case err == nil:
		return goldenOutcome{Data: string(data)}
	case err == io.EOF: // io.EOF is never wrapped (API.md), so identity
		return goldenOutcome{Err: "io.EOF"}
	case errors.As(err, &inc):
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			return goldenOutcome{Err: fmt.Sprintf("IncompleteReadError not matching io.ErrUnexpectedEOF: %v", err)}
		}
		return goldenOutcome{Err: "IncompleteReadError", Partial: string(inc.Partial), Expected: inc.Expected}
	case errors.As(err, &over):
		return goldenOutcome{Err: "LimitOverrunError", Consumed: over.Consumed, Limit: over.Limit, Found: over.Found}
	}
	return goldenOutcome{Err: fmt.Sprintf("%T: %v", err, err)}
}

// goldenDo runs op on r with one of the Reader's variants for it, picked by
// v, and returns the variant's name and its outcome.
func goldenDo(r *bufio2.Reader, op *goldenOp, v int) (string, goldenOutcome) {
	// The zero-copy results are valid only until the next call: goldenGot
	// copies them at once.
	switch op.Op {
	case "readline":
		if v%2 == 0 {
			return "ReadLine", goldenGot(r.ReadLine())
		}
		return "ReadLineSlice", goldenGot(r.ReadLineSlice())
	case "readuntil":
		sep := op.Seps[0]
		switch v % 4 {
		case 0:
			return "ReadUntil", goldenGot(r.ReadUntil(sep))
		case 1:
			return "ReadUntilSlice", goldenGot(r.ReadUntilSlice(sep))
		case 2:
			return "ReadUntilAny(sep)", goldenGot(r.ReadUntilAny(sep))
		default:
			return "ReadUntilAnySlice(sep)", goldenGot(r.ReadUntilAnySlice(sep))
		}
	case "readuntil_tuple":
		if v%2 == 0 {
			return "ReadUntilAny", goldenGot(r.ReadUntilAny(op.Seps...))
		}
		return "ReadUntilAnySlice", goldenGot(r.ReadUntilAnySlice(op.Seps...))
	case "readexactly":
		switch v % 3 {
		case 0:
			return "ReadExactly", goldenGot(r.ReadExactly(op.N))
		case 1:
			return "ReadExactlySlice", goldenGot(r.ReadExactlySlice(op.N))
		default:
			p := make([]byte, op.N)
			n, err := r.ReadExactlyInto(p)
			got := goldenGot(p[:n], err)
			if err != nil && string(p[:n]) != got.Partial {
				// Into stores the partial data, or nothing at all.
				got.Err += fmt.Sprintf(" (stored %q)", p[:n])
			}
			return "ReadExactlyInto", got
		}
	case "read":
		// asyncio, with the whole stream buffered, returns min(n,
		// remaining) bytes. Read returns as soon as one byte is there, so
		// the replay reads until it has n bytes or io.EOF and compares the
		// concatenation. Every Read must return a byte or an error.
		p := make([]byte, op.N)
		got := 0
		var err error
		name := "Read"
		if v%4 == 3 {
			name = "ReadByte"
		}
		for got < op.N && err == nil {
			var m int
			if name == "Read" {
				m, err = r.Read(p[got:])
			} else {
				var c byte
				if c, err = r.ReadByte(); err == nil {
					p[got], m = c, 1
				}
			}
			got += m
			if m == 0 && err == nil {
				err = errors.New("read no byte and no error")
			}
		}
		if err == io.EOF && got > 0 {
			err = nil
		}
		return name, goldenGot(p[:got], err)
	}
	panic("unknown op " + op.Op)
}

// goldenReplay runs case ci through a Reader over the given chunking and
// returns a description of the first divergence from asyncio, or "".
func goldenReplay(g *goldenVectors, ci, chi int) string {
	c := &g.Cases[ci]
	ch := goldenChunkings[chi]
	r := bufio2.NewReaderLimit(ch.src(c.Data, ci), c.Limit)
	exact := ch.name == "whole" && len(c.Data) < goldenFirstRead
	for oi := range c.Ops {
		op := &c.Ops[oi]
		variant, got := goldenDo(r, op, 7*ci+3*chi+oi)
		want := op.want(c.Limit)
		if want.Err == "LimitOverrunError" && got.Err == "LimitOverrunError" && !exact {
			// Consumed depends on what the Reader had seen: check its
			// invariant, then compare the rest.
			switch {
			case got.Consumed <= c.Limit:
				return goldenDivergence(c, ci, ch, oi, variant, want, got, "Consumed <= Limit")
			case got.Consumed > want.Consumed:
				return goldenDivergence(c, ci, ch, oi, variant, want, got, "Consumed past asyncio's")
			case got.Found && !want.Found:
				return goldenDivergence(c, ci, ch, oi, variant, want, got, "Found, but asyncio did not find it")
			case got.Found && got.Consumed != want.Consumed:
				return goldenDivergence(c, ci, ch, oi, variant, want, got, "Found, but Consumed is not asyncio's")
			}
			want.Consumed, want.Found = got.Consumed, got.Found
		}
		if diff := cmp.Diff(want, got); diff != "" {
			return goldenDivergence(c, ci, ch, oi, variant, want, got, "(-want +got):\n"+diff)
		}
	}
	// What is left must be what asyncio's read(-1) returned.
	var rest []byte
	var err error
	method := "io.ReadAll"
	if ci%2 == 0 {
		rest, err = io.ReadAll(r)
	} else {
		method = "WriteTo"
		var buf bytes.Buffer
		_, err = r.WriteTo(&buf)
		rest = buf.Bytes()
	}
	if err != nil || !bytes.Equal(rest, c.Rest) || !r.AtEOF() {
		return fmt.Sprintf("case %d (limit %d, %s), %s chunking, after the last op: %s returned %q, %v, AtEOF %v; want %q, <nil>, AtEOF true",
			ci, c.Limit, goldenShow(c.Data), ch.name, method, rest, err, r.AtEOF(), c.Rest)
	}
	return ""
}

func goldenDivergence(c *goldenCase, ci int, ch goldenChunking, oi int, variant string, want, got goldenOutcome, why string) string {
	var ops []string
	for _, op := range c.Ops[:oi+1] {
		s := op.Op
		switch op.Op {
		case "readuntil", "readuntil_tuple":
			s += fmt.Sprintf("%q", op.Seps)
		case "readexactly", "read":
			s += fmt.Sprintf("(%d)", op.N)
		}
		ops = append(ops, s)
	}
	return fmt.Sprintf("case %d (limit %d, %s), %s chunking, op %d (%s via %s; ops so far: %s):\nwant %+v\ngot  %+v\n%s",
		ci, c.Limit, goldenShow(c.Data), ch.name, oi, ops[oi], variant, strings.Join(ops, ", "), want, got, why)
}

func goldenShow(data []byte) string {
	if len(data) > 200 {
		return fmt.Sprintf("%d-byte stream %q...", len(data), data[:64])
	}
	return fmt.Sprintf("stream %q", data)
}

// TestGolden replays every vector under every chunking and reports, per
// chunking, the first divergence from CPython.
func TestGolden(t *testing.T) {
	g := loadGolden(t)
	for chi, ch := range goldenChunkings {
		t.Run(ch.name, func(t *testing.T) {
			t.Parallel()
			for ci := range g.Cases {
				if msg := goldenReplay(g, ci, chi); msg != "" {
					t.Fatal(msg)
				}
			}
		})
	}
}

// TestGoldenReproducible re-runs testdata/golden.py with CPython 3.13 and
// demands the committed vectors byte for byte.
func TestGoldenReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("runs CPython; skipped with -short")
	}
	py := testenv.Python(t, "3.13.0")
	want, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "-I", goldenScript)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	got, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", py, goldenScript, err, stderr.Bytes())
	}
	if bytes.Equal(got, want) {
		return
	}
	wl, gl := bytes.Split(want, []byte("\n")), bytes.Split(got, []byte("\n"))
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g []byte
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if !bytes.Equal(w, g) {
			t.Fatalf("%s differs from the output of %s at line %d (of %d, output has %d):\nwant %.300s\ngot  %.300s\nregenerate with: %s %s > %s",
				goldenFile, goldenScript, i+1, len(wl), len(gl), w, g, py, "bufio2/"+goldenScript, "bufio2/"+goldenFile)
		}
	}
}
