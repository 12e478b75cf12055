package bufio2_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/streamkit/streamkit/bufio2"
)

// lazySource is a LazySource over any io.Reader that behaves like a
// non-blocking socket: now and then a read "would block", and the source
// releases the Reader's buffer and waits before it asks for one again. It
// checks the protocol, when given a testing.TB: a buffer from get is never
// empty, and while it waits, the Reader holds no buffer.
type lazySource struct {
	t       testing.TB
	r       io.Reader
	rng     *rand.Rand
	reader  *bufio2.Reader // set once the Reader exists
	waits   int
	waiting func() // called while waiting, after the release
}

func (s *lazySource) Read(p []byte) (int, error) { return s.r.Read(p) }

func (s *lazySource) ReadLazy(get func() []byte, release func()) (int, error) {
	for s.rng.IntN(3) == 0 {
		if p := get(); len(p) == 0 && s.t != nil {
			s.t.Errorf("ReadLazy: get returned an empty buffer")
		}
		// The read would block: give the buffer back and wait.
		release()
		s.waits++
		if s.reader != nil {
			if n := bufio2.BufferSize(s.reader); n != 0 {
				s.t.Errorf("the Reader holds a %d-byte buffer while its source waits", n)
			}
		}
		if s.waiting != nil {
			s.waiting()
		}
	}
	p := get()
	if len(p) == 0 && s.t != nil {
		s.t.Errorf("ReadLazy: get returned an empty buffer")
	}
	return s.r.Read(p)
}

var _ bufio2.LazySource = (*lazySource)(nil)

func newLazyReader(t testing.TB, src io.Reader, limit int, seed uint64) (*bufio2.Reader, *lazySource) {
	ls := &lazySource{t: t, r: src, rng: rand.New(rand.NewPCG(seed, 7))}
	r := bufio2.NewReaderLimit(ls, limit)
	ls.reader = r
	return r, ls
}

// TestLazySourceLines: reading through a LazySource gives what reading
// through a plain source gives, and the source did wait (the test is not
// vacuous).
func TestLazySourceLines(t *testing.T) {
	var text strings.Builder
	for i := range 2000 {
		text.WriteString(strings.Repeat("x", i%300))
		text.WriteString("\n")
	}
	text.WriteString(strings.Repeat("y", 10000)) // overlong, then EOF
	want := readAllLines(t, bufio2.NewReaderLimit(strings.NewReader(text.String()), 256))
	r, ls := newLazyReader(t, iotestHalf(strings.NewReader(text.String())), 256, 1)
	got := readAllLines(t, r)
	if len(got) != len(want) {
		t.Fatalf("got %d results through a LazySource, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("result %d through a LazySource = %q, want %q", i, got[i], want[i])
		}
	}
	if ls.waits == 0 {
		t.Fatal("the LazySource never waited")
	}
}

func iotestHalf(r io.Reader) io.Reader { return &halfReader{r} }

type halfReader struct{ r io.Reader }

func (h *halfReader) Read(p []byte) (int, error) { return h.r.Read(p[:(len(p)+1)/2]) }

// readAllLines returns each ReadLine result, as text or as the error's kind.
func readAllLines(t *testing.T, r *bufio2.Reader) []string {
	var out []string
	for {
		line, err := r.ReadLine()
		switch {
		case err == io.EOF:
			return out
		case err != nil:
			out = append(out, "error: "+errKindOf(err))
		default:
			out = append(out, string(line))
		}
	}
}

func errKindOf(err error) string {
	var over interface{ Error() string }
	if errors.As(err, &over) {
		return strings.SplitN(err.Error(), ":", 2)[0]
	}
	return err.Error()
}

// TestLazySourceStartsSmallAfterWaiting: a buffer grown for a long line is
// given back when the source waits, and the next data arrives in a small
// buffer.
func TestLazySourceStartsSmallAfterWaiting(t *testing.T) {
	long := strings.Repeat("z", 50000) + "\n"
	r, ls := newLazyReader(t, strings.NewReader(long+"short\n"), 64<<10, 2)
	ls.rng = rand.New(rand.NewPCG(0, 0))
	ls.waiting = nil
	if line, err := r.ReadLine(); err != nil || len(line) != len(long) {
		t.Fatalf("ReadLine = %d bytes, %v; want the %d-byte line", len(line), err, len(long))
	}
	if n := bufio2.BufferSize(r); n < len(long) {
		t.Fatalf("after a %d-byte line the buffer is %d bytes", len(long), n)
	}
	// Make the next read wait once, then look at the buffer it gets.
	forced := &forceWait{ls: ls}
	r.Reset(forced)
	forced.src = strings.NewReader("short\n")
	if line, err := r.ReadLine(); err != nil || string(line) != "short\n" {
		t.Fatalf("ReadLine = %q, %v", line, err)
	}
	if forced.waits != 1 {
		t.Fatalf("the source waited %d times, want 1", forced.waits)
	}
	if forced.heldWhileWaiting != 0 {
		t.Errorf("the Reader held %d bytes while its source waited", forced.heldWhileWaiting)
	}
	if forced.got != 4096 {
		t.Errorf("after the wait, get returned %d bytes, want a fresh 4096-byte buffer", forced.got)
	}
}

// forceWait is a LazySource that waits exactly once, before its first
// read, and records what the Reader holds meanwhile.
type forceWait struct {
	ls               *lazySource
	src              io.Reader
	waits            int
	heldWhileWaiting int
	got              int
}

func (f *forceWait) Read(p []byte) (int, error) { return f.src.Read(p) }

func (f *forceWait) ReadLazy(get func() []byte, release func()) (int, error) {
	if f.waits == 0 {
		get()
		release()
		f.waits++
		f.heldWhileWaiting = bufio2.BufferSize(f.ls.reader)
	}
	p := get()
	f.got = len(p)
	return f.src.Read(p)
}

// TestFeedReaderHoldsNoBufferWhileWaiting: a Reader blocked on an empty
// Feed has given its buffer back.
func TestFeedReaderHoldsNoBufferWhileWaiting(t *testing.T) {
	stop := time.AfterFunc(30*time.Second, func() { panic("watchdog: TestFeedReaderHoldsNoBufferWhileWaiting hangs") })
	defer stop.Stop()
	f := bufio2.NewFeed()
	spy := &releaseSpy{f: f, held: make(chan int, 16)}
	r := bufio2.NewReader(spy)
	spy.r = r
	f.Write([]byte(strings.Repeat("a", 10000) + "\n"))
	if _, err := r.ReadLine(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		_, err := r.ReadLine()
		done <- err
	}()
	// The reader goroutine releases its buffer and then waits.
	if n := <-spy.held; n != 0 {
		t.Fatalf("after release, the Reader holds %d bytes", n)
	}
	f.Write([]byte("next\n"))
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// releaseSpy wraps a Feed's ReadLazy and reports, from the reading
// goroutine itself, what the Reader holds right after it released.
type releaseSpy struct {
	f    *bufio2.Feed
	r    *bufio2.Reader
	held chan int
}

func (s *releaseSpy) Read(p []byte) (int, error) { return s.f.Read(p) }

func (s *releaseSpy) ReadLazy(get func() []byte, release func()) (int, error) {
	return s.f.ReadLazy(get, func() {
		release()
		s.held <- bufio2.BufferSize(s.r)
	})
}

// TestIdleReadersHoldNoBuffers: a thousand Readers that each read a
// 60 KiB line and then wait on an empty Feed hold almost no heap: their
// buffers went back to the shared pool.
func TestIdleReadersHoldNoBuffers(t *testing.T) {
	const readers = 1000
	stop := time.AfterFunc(60*time.Second, func() { panic("watchdog: TestIdleReadersHoldNoBuffers hangs") })
	defer stop.Stop()
	line := append(bytes.Repeat([]byte("x"), 60<<10), '\n')
	feeds := make([]*bufio2.Feed, readers)
	var ready, wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base := memLiveHeap()
	for i := range feeds {
		f := bufio2.NewFeed()
		feeds[i] = f
		f.Write(line)
		ready.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := bufio2.NewReader(f)
			if got, err := r.ReadLineSlice(); err != nil || len(got) != len(line) {
				t.Errorf("ReadLine = %d bytes, %v", len(got), err)
			}
			ready.Done()
			if _, err := r.ReadLine(); err != io.EOF && ctx.Err() == nil {
				t.Errorf("idle ReadLine = %v, want io.EOF at the end", err)
			}
		}()
	}
	ready.Wait()
	// Let the readers reach their wait: each is blocked in the Feed once
	// it has given its buffer back.
	waitAllBlocked(t, readers)
	held := memLiveHeap() - base
	for _, f := range feeds {
		f.Close()
	}
	wg.Wait()
	// Each idle Reader keeps its struct, its goroutine's stack and its
	// Feed: a few KiB, not its 64 KiB buffer.
	if per := held / readers; per > 8<<10 {
		t.Errorf("%d idle Readers hold %d bytes of heap, %d each; want under 8 KiB each (their buffers back in the pool)", readers, held, per)
	}
	t.Logf("%d idle Readers: %d bytes of live heap, %d each", readers, held, held/readers)
}

// waitAllBlocked waits until n goroutines are parked in sync.Cond.Wait
// (the Feeds' readers), without sleeping on a guess.
func waitAllBlocked(t *testing.T, n int) {
	buf := make([]byte, 64<<20)
	for {
		k := runtime.Stack(buf, true)
		if bytes.Count(buf[:k], []byte("(*Feed).waitLocked")) >= n {
			return
		}
		runtime.Gosched()
	}
}

// messageSource is a LazySource that delivers messages one at a time, as a
// socket whose peer sends a message only after the previous one was read:
// before each message it waits (releases the Reader's buffer), and it
// records the size of the buffer get returns after each wait and how many
// reads each message took.
type messageSource struct {
	msgs  [][]byte
	cur   []byte // what is left of the message being delivered
	got   []int  // the size get returned after each wait
	reads []int  // the reads (Read or ReadLazy) each message took
}

func (s *messageSource) Read(p []byte) (int, error) {
	if len(s.cur) == 0 {
		return 0, errors.New("messageSource: Read with nothing ready (the Reader should call ReadLazy)")
	}
	n := copy(p, s.cur)
	s.cur = s.cur[n:]
	s.reads[len(s.reads)-1]++
	return n, nil
}

func (s *messageSource) ReadLazy(get func() []byte, release func()) (int, error) {
	if len(s.cur) == 0 {
		if len(s.msgs) == 0 {
			return 0, io.EOF
		}
		get() // "would block"
		release()
		s.cur, s.msgs = s.msgs[0], s.msgs[1:]
		p := get()
		s.got = append(s.got, len(p))
		s.reads = append(s.reads, 0)
		return s.Read(p)
	}
	return s.Read(get())
}

// TestLazySourceBufferFollowsMessageSize: after a wait, a Reader takes a
// buffer the size its last messages needed, so that a 60 KiB message is
// read in one read rather than into a 4 KiB buffer grown again after every
// wait; when the messages become small, the size it takes halves at each
// wait, back to 4 KiB.
func TestLazySourceBufferFollowsMessageSize(t *testing.T) {
	large := append(bytes.Repeat([]byte("L"), 60<<10-1), '\n')
	src := &messageSource{}
	for range 3 {
		src.msgs = append(src.msgs, large)
	}
	for range 6 {
		src.msgs = append(src.msgs, []byte("small\n"))
	}
	r := bufio2.NewReader(src)
	for i := range 9 {
		if _, err := r.ReadLineSlice(); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if _, err := r.ReadLineSlice(); err != io.EOF {
		t.Fatalf("after the messages: %v, want io.EOF", err)
	}
	wantGot := []int{4 << 10, 64 << 10, 64 << 10, 64 << 10, 32 << 10, 16 << 10, 8 << 10, 4 << 10, 4 << 10}
	if diff := cmp.Diff(wantGot, src.got); diff != "" {
		t.Errorf("buffer sizes after each wait (-want +got):\n%s", diff)
	}
	if src.reads[0] < 2 {
		t.Errorf("the first large message took %d reads; want several (the buffer grows from 4 KiB)", src.reads[0])
	}
	for i := 1; i < 3; i++ {
		if src.reads[i] != 1 {
			t.Errorf("large message %d took %d reads, want 1", i, src.reads[i])
		}
	}
}
