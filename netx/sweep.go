package netx

import (
	"sync"
	"sync/atomic"
	"time"
)

// defaultSweepInterval is how often the sweeper looks at the Writers whose
// bytes were left for their reader to send. A Writer's bytes wait between
// one and two intervals before the sweeper starts a flusher for them.
const defaultSweepInterval = time.Millisecond

// sweepEvery is defaultSweepInterval; only tests and benchmarks change it
// (export_test.go). Zero turns the sweeper off: every write starts a
// flusher at once.
var sweepEvery atomic.Int64

func init() { sweepEvery.Store(int64(defaultSweepInterval)) }

func sweepInterval() time.Duration { return time.Duration(sweepEvery.Load()) }

// The sweeper is the safety net of the bytes left for the reader (send.go).
// A Writer written to while its reader is between reads, or waits for a
// reply, leaves the bytes for the reader, which sends them when its read
// would block: this is what makes a request/response handler send all the
// replies to one burst of requests in one system call, with no goroutine
// and no timer per write. If nobody sends within an interval (the handler
// writes and then waits on a channel, the reply never comes), the sweeper
// starts a flusher for the Writer after one to two intervals, and from then
// on that Writer does not wait for its reader until the reader sends
// something itself.
//
// The sweeper is one goroutine for the whole process. It runs only while
// some Writer is listed and exits two intervals after the last one was, so
// an idle process has none; it holds no connection open and needs no Close.
var sweep struct {
	mu      sync.Mutex
	cur     []*Writer // listed during this interval
	prev    []*Writer // listed during the previous one: due now
	running bool
}

// sweepLater lists w. Called with w.mu held, when w.swept was false.
func sweepLater(w *Writer) {
	sweep.mu.Lock()
	sweep.cur = append(sweep.cur, w)
	if !sweep.running {
		sweep.running = true
		go sweepLoop()
	}
	sweep.mu.Unlock()
}

func sweepLoop() {
	t := time.NewTimer(sweepInterval())
	defer t.Stop()
	var due []*Writer
	for {
		<-t.C
		sweep.mu.Lock()
		due, sweep.prev, sweep.cur = sweep.prev, sweep.cur, due[:0]
		if len(due) == 0 && len(sweep.prev) == 0 {
			sweep.running = false
			sweep.mu.Unlock()
			return
		}
		sweep.mu.Unlock()
		for i, w := range due {
			w.sweep()
			due[i] = nil
		}
		t.Reset(max(sweepInterval(), time.Microsecond))
	}
}

// sweep is the sweeper's visit, one to two intervals after w was listed.
func (w *Writer) sweep() {
	w.mu.Lock()
	defer w.unlock()
	w.swept = false
	if w.q.size() == 0 || w.tok.held || w.tok.queued > 0 || w.flusher || w.err != nil || w.state == closed {
		return
	}
	if w.tok.takes != w.sweepGen {
		// Sent since it was listed, and written again: list it anew.
		w.swept = true
		w.sweepGen = w.tok.takes
		sweepLater(w)
		return
	}
	// Nobody sent within an interval: stop waiting for the reader.
	w.pushing = true
	w.startFlusherLocked()
}
