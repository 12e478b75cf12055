package bufio2_test

// Memory bounds: a stream of any size without a separator costs O(limit),
// never O(stream), and the buffer never grows past the limit plus the
// longest separator plus one read's worth (API.md, "Memory").

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"testing"
	"testing/iotest"
	"time"

	"pgregory.net/rapid"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/fuzz"
)

// memHugeSize is the length of the separator-free streams.
const memHugeSize = 256 << 20

// memMaxGrowth is how much the huge streams may allocate in all.
const memMaxGrowth = 1 << 20

// memXBlock is what memXSource copies from, so that the source itself
// allocates nothing and is cheap under -race (one range access per copy,
// not one per byte).
var memXBlock = func() []byte {
	b := make([]byte, 64<<10)
	for i := range b {
		b[i] = 'x'
	}
	return b
}()

// memXSource yields n bytes of 'x' and then io.EOF, without allocating. It
// deliberately does not implement io.WriterTo, so that the Reader's own
// loops are measured.
type memXSource struct {
	n, read int64
	eofs    int // how many times Read returned io.EOF
}

func (s *memXSource) Read(p []byte) (int, error) {
	if s.read == s.n {
		s.eofs++
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), s.n-s.read)]
	for i := 0; i < len(p); {
		i += copy(p[i:], memXBlock)
	}
	s.read += int64(len(p))
	return len(p), nil
}

// memTotalAlloc returns how many bytes f allocates on the heap in all.
// TotalAlloc counts every allocation and does not depend on when the
// collector runs.
func memTotalAlloc(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func memCheckAlloc(t *testing.T, what string, got uint64) {
	t.Helper()
	t.Logf("%s: %d bytes allocated", what, got)
	if got >= memMaxGrowth {
		t.Errorf("%s allocated %d bytes over a %d-byte stream, want under %d", what, got, memHugeSize, memMaxGrowth)
	}
}

// memLiveHeap returns the bytes held by live heap objects, after full
// collections. Two, because the buffers that Readers share through
// sync.Pools survive one collection (in the pools' victim cache): they are
// nobody's, and must not count as what a Reader holds.
func memLiveHeap() int64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// memCheckHeld checks that the live heap grew by no more than one buffer
// of limit + maxSep + 4096 bytes since base: what a Reader holding an
// overrun's data may keep. 16 KiB of slack covers what the runtime itself
// may set up meanwhile (a new thread's structures); a buffer that doubled
// past the bound is 64 KiB more.
func memCheckHeld(t *testing.T, what string, base int64, limit, maxSep int) {
	t.Helper()
	held := memLiveHeap() - base
	allowed := int64(memRoundedSize(limit+maxSep+4096)) + 16<<10
	if held > allowed {
		t.Errorf("%s: the Reader holds %d bytes, want at most %d (one buffer of limit %d + separator %d + 4096, rounded by the allocator, + 16 KiB)",
			what, held, allowed, limit, maxSep)
	}
}

// memWalkOverruns drives a separator read over a separator-free stream to
// its end, the way asyncio's documentation recovers from an overrun:
// discard Consumed bytes and read again. It returns how many calls overran
// and how many bytes were discarded or returned as a partial.
func memWalkOverruns(t *testing.T, r *bufio2.Reader, read func() ([]byte, error)) (overruns int, total int64) {
	t.Helper()
	for {
		_, err := read()
		var over *errs.LimitOverrunError
		var inc *errs.IncompleteReadError
		switch {
		case errors.As(err, &over):
			if over.Found || over.Limit != r.Limit() || over.Consumed <= over.Limit {
				t.Fatalf("overrun %+v with limit %d: want Found false, Consumed > Limit", *over, r.Limit())
			}
			n, err := r.Discard(over.Consumed)
			if err != nil {
				t.Fatalf("Discard(%d) after an overrun: %v", over.Consumed, err)
			}
			overruns++
			total += int64(n)
		case errors.As(err, &inc):
			total += int64(len(inc.Partial))
		case err == io.EOF:
			return overruns, total
		default:
			t.Fatalf("separator read over a stream without separator: %v", err)
		}
	}
}

func TestMemoryHugeStreamWithoutSeparator(t *testing.T) {
	// A fraction of a second normally, a few under -race; a Reader whose
	// buffer grows with the stream takes far longer, or runs out of memory.
	stop := time.AfterFunc(2*time.Minute, func() {
		panic("watchdog: TestMemoryHugeStreamWithoutSeparator still running after 2m: does the buffer grow with the stream?")
	})
	defer stop.Stop()
	t.Run("ReadUntil", func(t *testing.T) {
		base := memLiveHeap()
		src := &memXSource{n: memHugeSize}
		r := bufio2.NewReader(src)
		var err error
		alloc := memTotalAlloc(func() { _, err = r.ReadUntil([]byte("\n")) })
		memCheckHeld(t, "ReadUntil", base, bufio2.DefaultLimit, 1)
		var over *errs.LimitOverrunError
		if !errors.As(err, &over) {
			t.Fatalf("ReadUntil: %v, want *errs.LimitOverrunError", err)
		}
		if over.Consumed <= bufio2.DefaultLimit || over.Limit != bufio2.DefaultLimit || over.Found {
			t.Errorf("ReadUntil: %+v, want Consumed > Limit = %d and Found false", *over, bufio2.DefaultLimit)
		}
		memCheckAlloc(t, "ReadUntil", alloc)
		// Nothing of the stream past what one buffer holds was read.
		if src.read > 2*bufio2.DefaultLimit {
			t.Errorf("ReadUntil read %d bytes of the source before overrunning, want O(limit)", src.read)
		}
	})

	t.Run("ReadUntil walk", func(t *testing.T) {
		src := &memXSource{n: memHugeSize}
		r := bufio2.NewReader(src)
		var overruns int
		var total int64
		alloc := memTotalAlloc(func() {
			overruns, total = memWalkOverruns(t, r, func() ([]byte, error) { return r.ReadUntil([]byte("\n")) })
		})
		if total != memHugeSize || src.read != memHugeSize {
			t.Errorf("walked %d bytes, source gave %d, want %d", total, src.read, memHugeSize)
		}
		if least := memHugeSize / (bufio2.DefaultLimit + 64<<10); overruns < least {
			t.Errorf("%d overruns, want at least %d", overruns, least)
		}
		memCheckAlloc(t, "ReadUntil with Discard(Consumed)", alloc)
	})

	t.Run("ReadLine", func(t *testing.T) {
		src := &memXSource{n: memHugeSize}
		r := bufio2.NewReader(src)
		var err error
		alloc := memTotalAlloc(func() { _, err = r.ReadLine() })
		var over *errs.LimitOverrunError
		if !errors.As(err, &over) {
			t.Fatalf("ReadLine: %v, want *errs.LimitOverrunError", err)
		}
		if over.Consumed <= bufio2.DefaultLimit {
			t.Errorf("ReadLine: Consumed = %d, want > %d", over.Consumed, bufio2.DefaultLimit)
		}
		memCheckAlloc(t, "ReadLine", alloc)
		// The whole overlong line was discarded, through to the end of the
		// stream.
		if src.read != memHugeSize || src.eofs == 0 {
			t.Errorf("ReadLine read %d bytes of %d (EOF seen %d times), want the whole line discarded", src.read, memHugeSize, src.eofs)
		}
		if n := r.Buffered(); n != 0 {
			t.Errorf("Buffered() = %d after the line was discarded, want 0", n)
		}
		if line, err := r.ReadLine(); err != io.EOF {
			t.Errorf("ReadLine after the discarded line = %q, %v; want io.EOF", line, err)
		}
	})

	t.Run("ReadUntilAny", func(t *testing.T) {
		seps := [][]byte{[]byte("\n"), []byte("\r\n"), []byte("END")}
		base := memLiveHeap()
		src := &memXSource{n: memHugeSize}
		r := bufio2.NewReader(src)
		var err error
		alloc := memTotalAlloc(func() { _, err = r.ReadUntilAny(seps...) })
		memCheckHeld(t, "ReadUntilAny", base, bufio2.DefaultLimit, 3)
		var over *errs.LimitOverrunError
		if !errors.As(err, &over) {
			t.Fatalf("ReadUntilAny: %v, want *errs.LimitOverrunError", err)
		}
		if over.Consumed <= bufio2.DefaultLimit || over.Found {
			t.Errorf("ReadUntilAny: %+v, want Consumed > %d and Found false", *over, bufio2.DefaultLimit)
		}
		memCheckAlloc(t, "ReadUntilAny", alloc)

		src = &memXSource{n: memHugeSize}
		r.Reset(src)
		var total int64
		alloc = memTotalAlloc(func() {
			_, total = memWalkOverruns(t, r, func() ([]byte, error) { return r.ReadUntilAny(seps...) })
		})
		if total != memHugeSize || src.read != memHugeSize {
			t.Errorf("walked %d bytes, source gave %d, want %d", total, src.read, memHugeSize)
		}
		memCheckAlloc(t, "ReadUntilAny with Discard(Consumed)", alloc)
	})

	t.Run("Discard", func(t *testing.T) {
		src := &memXSource{n: memHugeSize}
		r := bufio2.NewReader(src)
		var n int
		var err error
		alloc := memTotalAlloc(func() { n, err = r.Discard(memHugeSize) })
		if n != memHugeSize || err != nil {
			t.Errorf("Discard(%d) = %d, %v; want %d, nil", memHugeSize, n, err, memHugeSize)
		}
		memCheckAlloc(t, "Discard", alloc)
		if _, err := r.ReadByte(); err != io.EOF {
			t.Errorf("ReadByte after discarding everything: %v, want io.EOF", err)
		}
	})

	t.Run("WriteTo", func(t *testing.T) {
		src := &memXSource{n: memHugeSize}
		r := bufio2.NewReader(src)
		var n int64
		var err error
		alloc := memTotalAlloc(func() { n, err = r.WriteTo(io.Discard) })
		if n != memHugeSize || err != nil {
			t.Errorf("WriteTo(io.Discard) = %d, %v; want %d, nil", n, err, memHugeSize)
		}
		memCheckAlloc(t, "WriteTo", alloc)
	})
}

// memChunkSource hands out data in the chunk sizes it is given, cycling
// through them.
type memChunkSource struct {
	data   []byte
	chunks []int
	i      int
}

func (s *memChunkSource) Read(p []byte) (int, error) {
	if len(s.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(s.data), s.chunks[s.i%len(s.chunks)])
	s.i++
	n = copy(p, s.data[:n])
	s.data = s.data[n:]
	return n, nil
}

// memRoundedSize returns how much heap a single []byte of n bytes takes
// once the allocator has rounded n up to its size class or to whole pages.
func memRoundedSize(n int) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b := make([]byte, n)
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(b)
	return after.TotalAlloc - before.TotalAlloc
}

// memAllocsBySize returns the runtime's histogram of heap allocations by
// size class, cumulative since the program started. The collection flushes
// the per-P counts, so that the figures are exact.
func memAllocsBySize() *metrics.Float64Histogram {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/allocs-by-size:bytes"}}
	metrics.Read(s)
	return s[0].Value.Float64Histogram()
}

// TestMemoryBufferBound checks the buffer bound itself: over random streams,
// separators, limits and chunkings, the Reader never allocates an object
// larger than one buffer of limit + longest separator + 4096 bytes (the
// initial buffer, one read's worth), rounded up by the allocator. Every read
// here allocates at most that much for its result, so a larger allocation
// can only be a buffer past the bound, however briefly it lived.
//
// The check uses the runtime's histogram of allocations by size, not
// TotalAlloc: the buffer grows by doubling, so the bytes allocated in all on
// the way to the largest buffer are up to twice its size, and the copying
// reads allocate their results besides. The histogram tells sizes apart up
// to 32 KiB, so the limits here stay below 28 KiB; the huge-stream tests
// check DefaultLimit's buffer from the live heap.
func TestMemoryBufferBound(t *testing.T) {
	memAllocsBySize() // the first call sets up the runtime's metrics
	rapid.Check(t, func(rt *rapid.T) {
		limit := rapid.SampledFrom([]int{1, 7, 100, 1000, 4000, 5000, 12000, 20000, 28000}).Draw(rt, "limit")
		sepGen := rapid.SliceOfN(rapid.ByteRange('a', 'c'), 1, 4)
		seps := rapid.SliceOfN(sepGen, 1, 3).Draw(rt, "seps")
		maxSep := 1 // ReadLine's "\n"
		for _, s := range seps {
			maxSep = max(maxSep, len(s))
		}
		size := rapid.IntRange(0, 4*limit+10000).Draw(rt, "size")
		// Mostly separator-free data, so that the reads run into the limit.
		rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(rt, "seed"), 1))
		sepEvery := rapid.IntRange(1, 2*limit+100).Draw(rt, "sepEvery")
		data := make([]byte, size)
		for i := range data {
			data[i] = 'a' + byte(rng.IntN(3))
			if rng.IntN(sepEvery) == 0 {
				data[i] = '\n'
			} else if rng.IntN(8) != 0 {
				data[i] = 'x'
			}
		}
		chunks := rapid.SliceOfN(rapid.IntRange(1, 3*limit+10000), 1, 5).Draw(rt, "chunks")
		ops := rapid.SliceOfN(rapid.IntRange(0, 9), 1, 40).Draw(rt, "ops")
		ns := rapid.SliceOfN(rapid.IntRange(0, 3*limit), len(ops), len(ops)).Draw(rt, "ns")

		bound := limit + maxSep + 4096
		rounded := memRoundedSize(bound)
		// Reads that may want more than the limit go into this, so that
		// their results are not what the check sees.
		scratch := make([]byte, 3*limit)
		r := bufio2.NewReaderLimit(&memChunkSource{data: data, chunks: chunks}, limit)
		before := memAllocsBySize()
		for i, op := range ops {
			n := ns[i]
			switch op {
			case 0:
				_, _ = r.ReadLine()
			case 1:
				_, _ = r.ReadLineSlice()
			case 2:
				_, _ = r.ReadUntil(seps[0])
			case 3:
				_, _ = r.ReadUntilAny(seps...)
			case 4:
				_, _ = r.ReadUntilAnySlice(seps...)
			case 5:
				_, _ = r.ReadExactly(min(n, limit))
			case 6:
				_, _ = r.ReadExactlyInto(scratch[:n])
			case 7:
				_, _ = r.Peek(n)
			case 8:
				_, _ = r.Discard(n)
			case 9:
				_, _ = r.Read(scratch[:n])
			}
		}
		after := memAllocsBySize()
		runtime.KeepAlive(r)
		for i, c := range after.Counts {
			// Bucket i holds the objects of sizes in [Buckets[i], Buckets[i+1]).
			if lo := after.Buckets[i]; lo > float64(rounded) && c > before.Counts[i] {
				rt.Errorf("%d allocations of %v to %v bytes, want none above %d (limit %d + longest separator %d + 4096, rounded by the allocator)",
					c-before.Counts[i], lo, after.Buckets[i+1], rounded, limit, maxSep)
			}
		}
	})
}

// TestBufferGrowsWhileTheSourceKeepsItFull: a source that fills the
// buffer at every read (a busy socket, a file) gets a larger buffer, up to
// 16 KiB (readbuf.FullGrowMax; a lazy source's grows to the limit, see
// lazy_test.go), so that it takes fewer reads; one that returns less keeps
// the first buffer.
func TestBufferGrowsWhileTheSourceKeepsItFull(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcde\n"), 64<<10) // 1 MiB of lines
	r := bufio2.NewReader(bytes.NewReader(data))
	for range 20_000 {
		if _, err := r.ReadLineSlice(); err != nil {
			t.Fatal(err)
		}
	}
	if n := bufio2.BufferSize(r); n != 16<<10 {
		t.Errorf("over a source that fills every read, the buffer is %d bytes; want 16 KiB", n)
	}
	small := bufio2.NewReader(iotest.HalfReader(fuzz.Chunking{Rest: 100}.Reader(data)))
	for range 20_000 {
		if _, err := small.ReadLineSlice(); err != nil {
			t.Fatal(err)
		}
	}
	if n := bufio2.BufferSize(small); n > 4096 {
		t.Errorf("over a source of small reads, the buffer grew to %d bytes", n)
	}
}

// fullLazy is a LazySource that never waits and fills every buffer it
// gets: a socket that always has more data ready.
type fullLazy struct{ r *bytes.Reader }

func (s *fullLazy) Read(p []byte) (int, error) { return s.r.Read(p) }

func (s *fullLazy) ReadLazy(get func() []byte, _ func()) (int, error) {
	return s.r.Read(get())
}

// TestLazyBufferGrowsToTheLimit: over a lazy source (a netx connection)
// that fills the buffer at every read, the buffer grows to the limit,
// past readbuf.FullGrowMax: each read is a system call saved.
func TestLazyBufferGrowsToTheLimit(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcde\n"), 64<<10) // 1 MiB of lines
	r := bufio2.NewReader(&fullLazy{bytes.NewReader(data)})
	peak := 0
	for range 40_000 {
		if _, err := r.ReadLineSlice(); err != nil {
			t.Fatal(err)
		}
		peak = max(peak, bufio2.BufferSize(r))
	}
	if peak != bufio2.DefaultLimit {
		t.Errorf("over a lazy source that fills every read, the buffer grew to %d bytes; want the limit, %d", peak, bufio2.DefaultLimit)
	}
}

// TestMemoryNewReaderIsSmall: a Reader that holds no buffer (before its
// first read, or idle over a lazy source such as a netx connection) costs
// a small struct, whatever it may do later: the state of ReadUntilAny's
// search is made by its first call. A server with 10,000 idle connections
// holds 10,000 of these.
func TestMemoryNewReaderIsSmall(t *testing.T) {
	const n = 1000
	src := bytes.NewReader(nil)
	readers := make([]*bufio2.Reader, n)
	alloc := memTotalAlloc(func() {
		for i := range readers {
			readers[i] = bufio2.NewReader(src)
		}
	})
	// The 208-byte Reader and the two 16-byte callbacks of its buffer.
	if per := alloc / n; per > 240 {
		t.Errorf("NewReader allocates %d bytes per Reader, want at most 240", per)
	}
	// ReadUntilAny still works on such a Reader, and remembers its search.
	r := bufio2.NewReader(bytes.NewReader([]byte("a;b,c")))
	for _, want := range []string{"a;", "b,", "c"} {
		got, err := r.ReadUntilAny([]byte(";"), []byte(","))
		if want == "c" {
			var inc *errs.IncompleteReadError
			if !errors.As(err, &inc) || string(inc.Partial) != "c" {
				t.Fatalf("ReadUntilAny at the end = %q, %v; want an IncompleteReadError with %q", got, err, want)
			}
			continue
		}
		if err != nil || string(got) != want {
			t.Fatalf("ReadUntilAny = %q, %v; want %q", got, err, want)
		}
	}
}
