package bufio2_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/internal/testenv"
)

// feedWatchdog panics with msg if the test is still running after d: a
// goroutine stuck in a Read or a Write fails at once, with every stack.
// The returned function stops it.
func feedWatchdog(d time.Duration, msg string) func() {
	tm := time.AfterFunc(d, func() { panic("watchdog: " + msg) })
	return func() { tm.Stop() }
}

var errFeedTest = errors.New("feed test: producer failed")

// feedReadAll reads f with Feed.Read until an error and returns the data
// and that error.
func feedReadAll(f *bufio2.Feed, size int) ([]byte, error) {
	var got []byte
	p := make([]byte, size)
	for {
		n, err := f.Read(p)
		got = append(got, p[:n]...)
		if err != nil {
			return got, err
		}
		if n == 0 {
			return got, errors.New("Read returned 0, nil")
		}
	}
}

func TestFeedCloseGivesEOFAfterData(t *testing.T) {
	defer feedWatchdog(5*time.Second, "TestFeedCloseGivesEOFAfterData hangs")()
	f := bufio2.NewFeed()
	for _, s := range []string{"hello, ", "", "world", "\n"} {
		if n, err := f.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v; want %d, nil", s, n, err, len(s))
		}
	}
	if err := f.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	got, err := feedReadAll(f, 3)
	if err != io.EOF {
		t.Errorf("Read after the data: %v, want io.EOF", err)
	}
	if diff := cmp.Diff("hello, world\n", string(got)); diff != "" {
		t.Errorf("data (-want +got):\n%s", diff)
	}
	// The end stays the end.
	if n, err := f.Read(make([]byte, 4)); n != 0 || err != io.EOF {
		t.Errorf("Read again = %d, %v; want 0, io.EOF", n, err)
	}
}

func TestFeedCloseWithError(t *testing.T) {
	defer feedWatchdog(5*time.Second, "TestFeedCloseWithError hangs")()

	t.Run("Feed", func(t *testing.T) {
		f := bufio2.NewFeed()
		f.Write([]byte("buffered before the error"))
		if err := f.CloseWithError(errFeedTest); err != nil {
			t.Fatalf("CloseWithError: %v", err)
		}
		got, err := feedReadAll(f, 4)
		if !errors.Is(err, errFeedTest) {
			t.Errorf("Read after the data: %v, want %v", err, errFeedTest)
		}
		if diff := cmp.Diff("buffered before the error", string(got)); diff != "" {
			t.Errorf("data delivered before the error (-want +got):\n%s", diff)
		}
		if _, err := f.Read(make([]byte, 1)); !errors.Is(err, errFeedTest) {
			t.Errorf("Read again: %v, want %v", err, errFeedTest)
		}
	})

	t.Run("Reader", func(t *testing.T) {
		f := bufio2.NewFeed()
		f.Write([]byte("one\ntwo\nthree"))
		f.CloseWithError(errFeedTest)
		r := bufio2.NewReader(f)
		for _, want := range []string{"one\n", "two\n"} {
			line, err := r.ReadLine()
			if err != nil || string(line) != want {
				t.Fatalf("ReadLine = %q, %v; want %q, nil", line, err, want)
			}
		}
		// The error comes after the last bytes: a ReadExactly that wants
		// more than is left fails with it, and the bytes stay readable.
		if b, err := r.ReadExactly(10); !errors.Is(err, errFeedTest) {
			t.Fatalf("ReadExactly(10) = %q, %v; want %v", b, err, errFeedTest)
		}
		if b, err := r.ReadExactly(5); err != nil || string(b) != "three" {
			t.Errorf("ReadExactly(5) after the error = %q, %v; want \"three\", nil", b, err)
		}
	})

	t.Run("nil is Close", func(t *testing.T) {
		f := bufio2.NewFeed()
		f.Write([]byte("abc"))
		f.CloseWithError(nil)
		got, err := feedReadAll(f, 8)
		if err != io.EOF || string(got) != "abc" {
			t.Errorf("read %q, %v; want \"abc\", io.EOF", got, err)
		}
		if _, err := f.Write([]byte("x")); !errors.Is(err, bufio2.ErrFeedClosed) {
			t.Errorf("Write after CloseWithError(nil): %v, want ErrFeedClosed", err)
		}
	})

	t.Run("first close counts", func(t *testing.T) {
		f := bufio2.NewFeed()
		f.Close()
		f.CloseWithError(errFeedTest)
		if _, err := f.Read(make([]byte, 1)); err != io.EOF {
			t.Errorf("Close then CloseWithError: Read gives %v, want io.EOF", err)
		}
		g := bufio2.NewFeed()
		g.CloseWithError(errFeedTest)
		g.Close()
		if _, err := g.Read(make([]byte, 1)); !errors.Is(err, errFeedTest) {
			t.Errorf("CloseWithError then Close: Read gives %v, want %v", err, errFeedTest)
		}
	})
}

func TestFeedWriteAfterClose(t *testing.T) {
	defer feedWatchdog(10*time.Second, "TestFeedWriteAfterClose hangs")()
	for _, tc := range []struct {
		name  string
		close func(*bufio2.Feed) error
	}{
		{"Close", (*bufio2.Feed).Close},
		{"CloseWithError", func(f *bufio2.Feed) error { return f.CloseWithError(errFeedTest) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := bufio2.NewFeed()
			f.Write([]byte("ab"))
			tc.close(f)
			for _, p := range []string{"more", ""} {
				if n, err := f.Write([]byte(p)); n != 0 || !errors.Is(err, bufio2.ErrFeedClosed) {
					t.Errorf("Write(%q) after %s = %d, %v; want 0, ErrFeedClosed", p, tc.name, n, err)
				}
			}
			if n := f.Buffered(); n != 2 {
				t.Errorf("Buffered() = %d after writes to a closed Feed, want 2 (nothing stored)", n)
			}
		})
	}
}

// feedWaitBlockedInRead waits until a goroutine of feedReadAsync is parked
// inside Feed.Read, by looking at the goroutines' stacks. It never sleeps: it
// yields and looks again, and the caller's watchdog ends a wait that does
// not come true.
func feedWaitBlockedInRead() {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		for _, g := range strings.Split(string(buf[:n]), "\n\n") {
			if strings.Contains(g, "bufio2_test.feedReadAsync.func1") &&
				strings.Contains(g, "bufio2.(*Feed).Read(") && strings.Contains(g, "sync.(*Cond).Wait") {
				return
			}
		}
		runtime.Gosched()
	}
}

type feedReadResult struct {
	data []byte
	err  error
}

func feedReadAsync(f *bufio2.Feed, size int) <-chan feedReadResult {
	done := make(chan feedReadResult, 1)
	go func() {
		p := make([]byte, size)
		n, err := f.Read(p)
		done <- feedReadResult{p[:n], err}
	}()
	return done
}

func TestFeedReadBlocks(t *testing.T) {
	defer feedWatchdog(10*time.Second, "TestFeedReadBlocks hangs")()
	for _, tc := range []struct {
		name     string
		wake     func(*bufio2.Feed)
		want     string
		wantErr  error
		readSize int
	}{
		{"until Write", func(f *bufio2.Feed) { f.Write([]byte("data")) }, "data", nil, 16},
		{"until Write, short p", func(f *bufio2.Feed) { f.Write([]byte("data")) }, "da", nil, 2},
		{"until Close", func(f *bufio2.Feed) { f.Close() }, "", io.EOF, 16},
		{"until CloseWithError", func(f *bufio2.Feed) { f.CloseWithError(errFeedTest) }, "", errFeedTest, 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := bufio2.NewFeed()
			done := feedReadAsync(f, tc.readSize)
			feedWaitBlockedInRead()
			select {
			case res := <-done:
				t.Fatalf("Read on an empty open Feed returned %q, %v before anything was written", res.data, res.err)
			default:
			}
			tc.wake(f)
			res := <-done
			if string(res.data) != tc.want || !errors.Is(res.err, tc.wantErr) || (tc.wantErr == nil && res.err != nil) {
				t.Errorf("Read = %q, %v; want %q, %v", res.data, res.err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestFeedReadEmpty(t *testing.T) {
	defer feedWatchdog(5*time.Second, "Read with an empty p blocks")()
	f := bufio2.NewFeed()
	// An open, empty Feed: a Read with a non-empty p would wait here.
	if n, err := f.Read(nil); n != 0 || err != nil {
		t.Errorf("Read(nil) on an empty Feed = %d, %v; want 0, nil", n, err)
	}
	f.Write([]byte("abc"))
	if n, err := f.Read([]byte{}); n != 0 || err != nil {
		t.Errorf("Read([]byte{}) with data = %d, %v; want 0, nil", n, err)
	}
	if n := f.Buffered(); n != 3 {
		t.Errorf("Buffered() = %d after an empty Read, want 3", n)
	}
	f.Close()
	if n, err := f.Read(nil); n != 0 || err != nil {
		t.Errorf("Read(nil) on a closed Feed = %d, %v; want 0, nil", n, err)
	}
}

func TestFeedBufferedAndCopies(t *testing.T) {
	defer feedWatchdog(10*time.Second, "TestFeedBufferedAndCopies hangs")()
	f := bufio2.NewFeed()
	if n := f.Buffered(); n != 0 {
		t.Errorf("Buffered() of a new Feed = %d, want 0", n)
	}
	p := []byte("hello")
	f.Write(p)
	copy(p, "XXXXX") // Write copies: the caller may reuse p at once
	f.Write([]byte(" world"))
	if n := f.Buffered(); n != 11 {
		t.Errorf("Buffered() = %d, want 11", n)
	}
	q := make([]byte, 4)
	if n, err := f.Read(q); n != 4 || err != nil || string(q) != "hell" {
		t.Errorf("Read = %d, %v, %q; want 4, nil, \"hell\"", n, err, q)
	}
	if n := f.Buffered(); n != 7 {
		t.Errorf("Buffered() = %d, want 7", n)
	}
	f.Write([]byte("!"))
	f.Close()
	if n := f.Buffered(); n != 8 {
		t.Errorf("Buffered() after Close = %d, want 8", n)
	}
	got, err := feedReadAll(f, 100)
	if err != io.EOF || string(got) != "o world!" {
		t.Errorf("rest = %q, %v; want \"o world!\", io.EOF", got, err)
	}
	if n := f.Buffered(); n != 0 {
		t.Errorf("Buffered() when drained = %d, want 0", n)
	}
}

func TestFeedIOTest(t *testing.T) {
	defer feedWatchdog(10*time.Second, "TestFeedIOTest hangs")()
	content := []byte(strings.Repeat("0123456789abcdef\n", 1000))
	t.Run("one write", func(t *testing.T) {
		f := bufio2.NewFeed()
		f.Write(content)
		f.Close()
		if err := iotest.TestReader(f, content); err != nil {
			t.Error(err)
		}
	})
	t.Run("many writes", func(t *testing.T) {
		f := bufio2.NewFeed()
		for i := 0; i < len(content); i += 777 {
			f.Write(content[i:min(i+777, len(content))])
		}
		f.Close()
		if err := iotest.TestReader(f, content); err != nil {
			t.Error(err)
		}
	})
	t.Run("empty", func(t *testing.T) {
		f := bufio2.NewFeed()
		f.Close()
		if err := iotest.TestReader(f, nil); err != nil {
			t.Error(err)
		}
	})
}

// feedLines draws a stream of up to 16 KiB of lines of at most 80 bytes
// (the newline included); the last line may lack its newline.
func feedLines(rt *rapid.T) []byte {
	size := rapid.IntRange(0, 16<<10).Draw(rt, "size")
	every := rapid.IntRange(1, 80).Draw(rt, "meanLine")
	rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(rt, "seed"), 2))
	data := make([]byte, size)
	line := 0
	for i := range data {
		if line++; line == 80 || rng.IntN(every) == 0 {
			data[i], line = '\n', 0
		} else {
			data[i] = 'a' + byte(rng.IntN(26))
		}
	}
	return data
}

// feedChunks cuts data into chunks of the drawn sizes (the last sizes are
// reused when the sizes run out).
func feedChunks(rt *rapid.T, data []byte, maxChunk int) [][]byte {
	sizes := rapid.SliceOfN(rapid.IntRange(1, maxChunk), 1, 20).Draw(rt, "chunkSizes")
	var chunks [][]byte
	for i := 0; len(data) > 0; i++ {
		n := min(sizes[i%len(sizes)], len(data))
		chunks = append(chunks, data[:n])
		data = data[n:]
	}
	return chunks
}

// feedModelRead is one read the reader goroutine makes, with the result
// the model expects.
type feedModelRead struct {
	line bool // ReadLine, else ReadExactly(n)
	n    int
}

// TestFeedProducerReader runs a producer goroutine that writes random
// chunks of a line stream into a Feed while a reader goroutine reads them
// with a Reader, by ReadLine and ReadExactly. Every read must return what a
// plain []byte model of the stream says, in order.
func TestFeedProducerReader(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		data := feedLines(rt)
		chunks := feedChunks(rt, data, 300)
		reads := rapid.SliceOfN(rapid.Custom(func(rt *rapid.T) feedModelRead {
			return feedModelRead{line: rapid.Bool().Draw(rt, "line"), n: rapid.IntRange(0, 200).Draw(rt, "n")}
		}), 1, 100).Draw(rt, "reads")
		closeErr := rapid.SampledFrom([]error{nil, errFeedTest}).Draw(rt, "closeErr")
		defer feedWatchdog(10*time.Second, "TestFeedProducerReader hangs")()

		f := bufio2.NewFeed()
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, c := range chunks {
				if n, err := f.Write(c); n != len(c) || err != nil {
					panic(fmt.Sprintf("Write = %d, %v; want %d, nil", n, err, len(c)))
				}
			}
			f.CloseWithError(closeErr)
		}()

		// The reader runs on this goroutine, so that it may report with rt;
		// it reads until the stream is over, repeating the drawn reads.
		r := bufio2.NewReaderLimit(f, 80) // no line overruns
		rest := data
		wantEnd := io.EOF
		if closeErr != nil {
			wantEnd = closeErr
		}
		var force *feedModelRead // a read that must come next, so that the loop ends
		for i := 0; ; i++ {
			op := reads[i%len(reads)]
			if force != nil {
				op, force = *force, nil
			}
			var got []byte
			var err error
			var want []byte
			var wantErr error
			if op.line {
				got, err = r.ReadLine()
				switch j := bytes.IndexByte(rest, '\n'); {
				case j >= 0:
					want, rest = rest[:j+1], rest[j+1:]
				case len(rest) == 0:
					wantErr = wantEnd
				case closeErr == nil:
					want, rest = rest, nil // the last line, without '\n'
				default:
					// A line cut short by the producer's error is not a
					// line: the error comes, the bytes stay buffered.
					wantErr = closeErr
					force = &feedModelRead{n: len(rest)}
				}
			} else {
				got, err = r.ReadExactly(op.n)
				switch {
				case op.n <= len(rest):
					want, rest = rest[:op.n], rest[op.n:]
					if op.n == 0 {
						force = &feedModelRead{line: true}
					}
				case len(rest) == 0:
					wantErr = wantEnd
				case closeErr == nil:
					wantErr = &errs.IncompleteReadError{Partial: rest, Expected: op.n, Offset: int64(len(data) - len(rest))}
					rest = nil
				default:
					// The producer's error comes first; the bytes stay
					// buffered for the next read.
					wantErr = closeErr
					force = &feedModelRead{n: len(rest)}
				}
			}
			var wantInc *errs.IncompleteReadError
			switch {
			case wantErr == nil:
				if err != nil {
					rt.Fatalf("read %d (%+v): %v, want %q", i, op, err, want)
				}
				if diff := cmp.Diff(string(want), string(got)); diff != "" {
					rt.Fatalf("read %d (%+v) (-want +got):\n%s", i, op, diff)
				}
			case errors.As(wantErr, &wantInc):
				var inc *errs.IncompleteReadError
				if !errors.As(err, &inc) {
					rt.Fatalf("read %d (%+v): %v, want %v", i, op, err, wantErr)
				}
				if diff := cmp.Diff(*wantInc, *inc, ignoreOp); diff != "" {
					rt.Fatalf("read %d (%+v): IncompleteReadError (-want +got):\n%s", i, op, diff)
				}
			case wantErr == io.EOF && err != io.EOF, !errors.Is(err, wantErr):
				rt.Fatalf("read %d (%+v) = %q, %v; want %v", i, op, got, err, wantErr)
			}
			if wantErr == wantEnd {
				break
			}
		}
		if !r.AtEOF() && closeErr == nil {
			rt.Errorf("AtEOF() = false after the whole stream was read")
		}
		wg.Wait()
	})
}

// feedFlow records the flow-control calls a Feed makes.
type feedFlow struct {
	in     atomic.Int32 // callbacks running now
	paused atomic.Bool
	mu     sync.Mutex
	events []string
	errs   []string
	wake   chan struct{} // signalled by resume
}

func newFeedFlow() *feedFlow { return &feedFlow{wake: make(chan struct{}, 1)} }

func (fl *feedFlow) record(ev string, wantPaused bool) {
	if fl.in.Add(1) != 1 {
		fl.fail("%s overlaps another callback", ev)
	}
	if fl.paused.Load() != wantPaused {
		fl.fail("%s called while paused = %v: the calls must alternate, starting with pause", ev, !wantPaused)
	}
	fl.paused.Store(!wantPaused)
	fl.mu.Lock()
	fl.events = append(fl.events, ev)
	fl.mu.Unlock()
	fl.in.Add(-1)
}

func (fl *feedFlow) fail(format string, args ...any) {
	fl.mu.Lock()
	fl.errs = append(fl.errs, fmt.Sprintf(format, args...))
	fl.mu.Unlock()
}

func (fl *feedFlow) pause() { fl.record("pause", false) }

func (fl *feedFlow) resume() {
	fl.record("resume", true)
	select {
	case fl.wake <- struct{}{}:
	default:
	}
}

// take returns the events since the last call, and any errors.
func (fl *feedFlow) take() (events, errs []string) {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	events, errs = fl.events, fl.errs
	fl.events, fl.errs = nil, nil
	return events, errs
}

// TestFeedFlowControlThresholds checks the boundary values one by one with
// limit 10: pause above 20 bytes buffered, resume at 10 or fewer.
func TestFeedFlowControlThresholds(t *testing.T) {
	defer feedWatchdog(10*time.Second, "TestFeedFlowControlThresholds hangs")()
	const limit = 10
	f := bufio2.NewFeed()
	fl := newFeedFlow()
	f.SetFlowControl(limit, fl.pause, fl.resume)
	step := func(what string, do func(), wantBuffered int, want ...string) {
		t.Helper()
		do()
		got, errs := fl.take()
		for _, e := range errs {
			t.Error(e)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: flow-control calls (-want +got):\n%s", what, diff)
		}
		if n := f.Buffered(); n != wantBuffered {
			t.Errorf("%s: Buffered() = %d, want %d", what, n, wantBuffered)
		}
	}
	write := func(n int) func() { return func() { f.Write(make([]byte, n)) } }
	read := func(n int) func() {
		return func() {
			if m, err := f.Read(make([]byte, n)); m != n || err != nil {
				t.Fatalf("Read(%d bytes) = %d, %v", n, m, err)
			}
		}
	}

	step("write 19", write(19), 19)
	step("write to 2*limit", write(1), 20)
	step("write to 2*limit+1", write(1), 21, "pause")
	step("write more while paused", write(30), 51)
	step("empty write while paused", write(0), 51)
	step("read to limit+1", read(40), 11)
	step("read to limit", read(1), 10, "resume")
	step("read while resumed", read(5), 5)
	step("write to 2*limit", write(15), 20)
	step("write past 2*limit at once", write(100), 120, "pause")
	step("read from far above to below limit", read(115), 5, "resume")
	step("write to 2*limit+1 again", write(16), 21, "pause")
	step("read all", read(21), 0, "resume")
	step("write paused, then close", func() { write(30)(); f.Close() }, 30, "pause")
	step("read after close to limit+1", read(19), 11)
	step("read after close to limit", read(1), 10, "resume")
}

// TestFeedModel checks a Feed against a plain []byte model over random
// single-goroutine sequences of writes and reads of random sizes: every Read
// returns the model's next bytes, Buffered agrees, and the flow-control calls
// are the model's: pause exactly when a Write leaves more than 2*limit
// buffered while not paused, resume exactly when a Read leaves limit or
// fewer while paused.
func TestFeedModel(t *testing.T) {
	defer feedWatchdog(10*time.Second, "TestFeedModel hangs")()
	rapid.Check(t, func(rt *rapid.T) {
		limit := rapid.IntRange(1, 50).Draw(rt, "limit")
		f := bufio2.NewFeed()
		fl := newFeedFlow()
		f.SetFlowControl(limit, fl.pause, fl.resume)
		var model []byte // written and not yet read
		paused := false
		next := byte(0) // the bytes written count up, so that a lost or repeated byte shows
		steps := rapid.IntRange(1, 100).Draw(rt, "steps")
		for i := 0; i < steps; i++ {
			var want []string
			if len(model) == 0 || rapid.Bool().Draw(rt, "write") {
				p := make([]byte, rapid.IntRange(0, 3*limit).Draw(rt, "writeN"))
				for j := range p {
					p[j], next = next, next+1
				}
				if n, err := f.Write(p); n != len(p) || err != nil {
					rt.Fatalf("Write(%d bytes) = %d, %v", len(p), n, err)
				}
				model = append(model, p...)
				if !paused && len(model) > 2*limit {
					paused, want = true, []string{"pause"}
				}
			} else {
				p := make([]byte, rapid.IntRange(1, 3*limit).Draw(rt, "readN"))
				n, err := f.Read(p)
				m := min(len(p), len(model))
				if err != nil || n != m {
					rt.Fatalf("Read(%d bytes) with %d buffered = %d, %v; want %d, nil", len(p), len(model), n, err, m)
				}
				if diff := cmp.Diff(model[:m], p[:n]); diff != "" {
					rt.Fatalf("step %d: Read (-want +got):\n%s", i, diff)
				}
				model = model[m:]
				if paused && len(model) <= limit {
					paused, want = false, []string{"resume"}
				}
			}
			if n := f.Buffered(); n != len(model) {
				rt.Fatalf("step %d: Buffered() = %d, want %d", i, n, len(model))
			}
			got, errs := fl.take()
			for _, e := range errs {
				rt.Error(e)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				rt.Fatalf("step %d, %d buffered, limit %d: calls (-want +got):\n%s", i, len(model), limit, diff)
			}
		}
	})
}

// TestFeedProducerDirectReads has a producer goroutine write random chunks
// while the reader calls Feed.Read itself with buffers of random sizes, so
// that reads often leave part of the data behind while writes go on.
func TestFeedProducerDirectReads(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		data := feedLines(rt)
		chunks := feedChunks(rt, data, 1000)
		sizes := rapid.SliceOfN(rapid.IntRange(1, 500), 1, 20).Draw(rt, "readSizes")
		defer feedWatchdog(10*time.Second, "TestFeedProducerDirectReads hangs")()

		f := bufio2.NewFeed()
		go func() {
			for _, c := range chunks {
				f.Write(c)
			}
			f.Close()
		}()
		var got []byte
		p := make([]byte, 500)
		for i := 0; ; i++ {
			n, err := f.Read(p[:sizes[i%len(sizes)]])
			got = append(got, p[:n]...)
			if err == io.EOF {
				break
			}
			if err != nil || n == 0 {
				rt.Fatalf("Read = %d, %v", n, err)
			}
		}
		if diff := cmp.Diff(string(data), string(got)); diff != "" {
			rt.Errorf("data (-want +got):\n%s", diff)
		}
	})
}

func TestFeedSetFlowControlWhilePaused(t *testing.T) {
	defer feedWatchdog(10*time.Second, "TestFeedSetFlowControlWhilePaused hangs")()
	const limit = 10
	newPaused := func(t *testing.T) (*bufio2.Feed, *feedFlow) {
		f := bufio2.NewFeed()
		old := newFeedFlow()
		f.SetFlowControl(limit, old.pause, old.resume)
		f.Write(make([]byte, 25))
		if got, _ := old.take(); !cmp.Equal([]string{"pause"}, got) {
			t.Fatalf("calls after writing 25 bytes with limit 10: %q, want [pause]", got)
		}
		return f, old
	}
	checkCalls := func(t *testing.T, name string, fl *feedFlow, want ...string) {
		t.Helper()
		got, errs := fl.take()
		for _, e := range errs {
			t.Error(e)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s callbacks (-want +got):\n%s", name, diff)
		}
	}

	t.Run("larger limit", func(t *testing.T) {
		f, old := newPaused(t)
		nw := newFeedFlow()
		f.SetFlowControl(20, nw.pause, nw.resume) // 25 <= 40: not paused
		checkCalls(t, "old", old, "resume")
		checkCalls(t, "new", nw)
		f.Write(make([]byte, 16)) // 41 > 40
		checkCalls(t, "old", old)
		checkCalls(t, "new", nw, "pause")
		f.Read(make([]byte, 21)) // 20 <= 20
		checkCalls(t, "old", old)
		checkCalls(t, "new", nw, "resume")
	})

	t.Run("smaller limit", func(t *testing.T) {
		f, old := newPaused(t)
		nw := newFeedFlow()
		f.SetFlowControl(5, nw.pause, nw.resume) // 25 > 10: paused at once
		checkCalls(t, "old", old, "resume")
		checkCalls(t, "new", nw, "pause")
		f.Read(make([]byte, 20)) // 5 <= 5
		checkCalls(t, "old", old)
		checkCalls(t, "new", nw, "resume")
	})

	t.Run("off", func(t *testing.T) {
		f, old := newPaused(t)
		f.SetFlowControl(0, nil, nil)
		checkCalls(t, "old", old, "resume")
		f.Write(make([]byte, 1000))
		f.Read(make([]byte, 1025))
		checkCalls(t, "old", old)
	})

	t.Run("set with data already buffered", func(t *testing.T) {
		f := bufio2.NewFeed()
		f.Write(make([]byte, 21))
		fl := newFeedFlow()
		f.SetFlowControl(limit, fl.pause, fl.resume)
		checkCalls(t, "new", fl, "pause")
	})

	t.Run("nil callback panics", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Error("SetFlowControl(10, nil, resume) did not panic")
			}
		}()
		bufio2.NewFeed().SetFlowControl(limit, nil, func() {})
	})
}

// TestFeedFlowControlProducer runs a producer that honours pause (it waits
// for resume before its next Write) against a reader that sometimes lets
// the Feed fill up. Buffered must never exceed 2*limit plus the largest
// chunk, the calls must alternate and never overlap, and the reader gets
// every byte in order.
func TestFeedFlowControlProducer(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		limit := rapid.IntRange(1, 200).Draw(rt, "limit")
		data := feedLines(rt)
		maxChunk := rapid.IntRange(1, 3*limit).Draw(rt, "maxChunk")
		chunks := feedChunks(rt, data, maxChunk)
		largest := 0
		for _, c := range chunks {
			largest = max(largest, len(c))
		}
		bound := 2*limit + largest
		waits := rapid.SliceOfN(rapid.Bool(), 1, 50).Draw(rt, "readerWaits")
		defer feedWatchdog(10*time.Second, "TestFeedFlowControlProducer hangs")()

		f := bufio2.NewFeed()
		fl := newFeedFlow()
		f.SetFlowControl(limit, fl.pause, fl.resume)
		var seen atomic.Int64 // the most Buffered the producer saw after a Write
		blocked := make(chan struct{}, 1)
		finished := make(chan struct{})
		go func() {
			defer close(finished)
			for _, c := range chunks {
				for fl.paused.Load() {
					select {
					case blocked <- struct{}{}:
					default:
					}
					<-fl.wake
				}
				f.Write(c)
				if n := int64(f.Buffered()); n > seen.Load() {
					seen.Store(n)
				}
			}
			f.Close()
		}()

		r := bufio2.NewReaderLimit(f, limit)
		var got []byte
		for i := 0; ; i++ {
			if waits[i%len(waits)] && r.Buffered() == 0 {
				// Let the producer run until it is paused or done. The next
				// read then drains the Feed into r's buffer, which resumes
				// the producer.
				select {
				case <-blocked:
				case <-finished:
				}
			}
			if n := f.Buffered(); n > bound {
				rt.Fatalf("Buffered() = %d, want at most 2*%d + %d", n, limit, largest)
			}
			b, err := r.ReadExactly(min(limit, 7))
			if err == io.EOF {
				break
			}
			var inc *errs.IncompleteReadError
			if errors.As(err, &inc) {
				got = append(got, inc.Partial...)
				continue
			}
			if err != nil {
				rt.Fatalf("ReadExactly: %v", err)
			}
			got = append(got, b...)
		}
		<-finished
		if n := seen.Load(); n > int64(bound) {
			rt.Errorf("producer saw Buffered() = %d after a Write, want at most 2*%d + %d", n, limit, largest)
		}
		if diff := cmp.Diff(string(data), string(got)); diff != "" {
			rt.Errorf("data (-want +got):\n%s", diff)
		}
		events, errs := fl.take()
		for _, e := range errs {
			rt.Error(e)
		}
		// Every pause was followed by a resume: the reader drained the Feed.
		if fl.paused.Load() {
			rt.Errorf("still paused after the Feed was drained; calls: %q", events)
		}
	})
}

// TestZeroFeed: the zero Feed works as NewFeed's, waits included.
func TestZeroFeed(t *testing.T) {
	testenv.Watchdog(t, 10*time.Second)
	var f bufio2.Feed
	r := bufio2.NewReader(&f)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if line, err := r.ReadLine(); string(line) != "fed\n" || err != nil {
			t.Errorf("ReadLine = %q, %v", line, err)
		}
	}()
	f.Write([]byte("fed\n"))
	<-done
	f.Close()
	if _, err := r.ReadLine(); err != io.EOF {
		t.Errorf("after Close: %v, want io.EOF", err)
	}
}
