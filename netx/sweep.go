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
// flusher at once. A negative value stops the sweeper's clock: Writers are
// listed, and only sweepTick (called by tests) visits them.
var sweepEvery atomic.Int64

func init() { sweepEvery.Store(int64(defaultSweepInterval)) }

func sweepInterval() time.Duration { return time.Duration(sweepEvery.Load()) }

// The sweeper is the safety net of the bytes left for the reader (send.go).
// A Writer written to while its reader is between reads, or waits for a
// reply, leaves the bytes for the reader, which sends them when its read
// would block: this is what makes a request/response handler send all the
// replies to one burst of requests in one system call, with no goroutine
// and no timer per write. If the oldest of those bytes has waited a whole
// interval (the handler writes and then waits on a channel, the reply never
// comes), the sweeper starts a flusher for the Writer, one to two intervals
// after that byte was written, and from then on that Writer does not wait
// for its reader until the reader sends something itself.
//
// The sweeper visits the listed Writers at every tick of its clock and
// tells a byte's age by the tick during which it was written
// (sendQueue.born, sweepTicks). It is one goroutine for the whole process,
// running only while some Writer is listed and exiting once sweepLinger
// ticks in a row have found none, so an idle process has none; it holds no connection open
// and needs no Close.
var sweep struct {
	mu      sync.Mutex
	listed  []*Writer // to visit at the next tick
	running bool
}

// sweepTicks counts the sweeper's ticks.
var sweepTicks atomic.Uint32

// sweepLinger is how many ticks in a row that find no Writer listed the
// sweeper waits before it exits. A request/response connection lists its
// Writer now and then (a reply written while its reader is between reads):
// exiting at the first empty tick restarted the sweeper, with a goroutine
// and a timer, about once a round trip at a few thousand round trips a
// second. Lingering 50 ms costs 50 timer wake-ups after the last write,
// and an idle process still has no sweeper.
const sweepLinger = 50

// sweepLater lists w. Called with w.mu held, when w.swept was false.
func sweepLater(w *Writer) {
	sweep.mu.Lock()
	sweep.listed = append(sweep.listed, w)
	if !sweep.running && sweepInterval() > 0 {
		sweep.running = true
		go sweepLoop()
	}
	sweep.mu.Unlock()
}

func sweepLoop() {
	t := time.NewTimer(sweepInterval())
	defer t.Stop()
	var due []*Writer
	empty := 0 // ticks in a row with nothing listed
	for {
		<-t.C
		due = sweepTick(due)
		sweep.mu.Lock()
		d := sweepInterval()
		if len(sweep.listed) > 0 {
			empty = 0
		} else {
			empty++
		}
		if empty >= sweepLinger || d <= 0 {
			// Nothing listed for a while (a Writer listed from now on
			// starts a new sweeper), or the clock was stopped
			// (export_test.go).
			sweep.running = false
			sweep.mu.Unlock()
			return
		}
		sweep.mu.Unlock()
		t.Reset(d)
	}
}

// sweepTick is one tick of the sweeper's clock: it visits the Writers
// listed since the last tick. due is scratch space, returned for the next
// tick.
func sweepTick(due []*Writer) []*Writer {
	sweepTicks.Add(1)
	sweep.mu.Lock()
	due, sweep.listed = sweep.listed, due[:0]
	sweep.mu.Unlock()
	for i, w := range due {
		w.sweep()
		due[i] = nil
	}
	return due[:0]
}

// sweep is the sweeper's visit. If the oldest queued byte was written
// during the tick before last or earlier, it has waited at least a whole
// interval for the reader: a flusher sends it now. Else w is listed again.
func (w *Writer) sweep() {
	w.mu.Lock()
	defer w.unlock()
	w.swept = false
	if w.q.size() == 0 || w.tok.held || w.tok.queued > 0 || w.flusher || w.err != nil || w.state == closed {
		// Nothing waits, or whoever sends next arranges for the rest
		// (releaseTokenLocked).
		return
	}
	if !w.q.partial() && sweepTicks.Load()-w.q.born < 2 {
		w.swept = true
		sweepLater(w)
		return
	}
	// The bytes waited an interval: stop waiting for the reader.
	w.pushing = true
	w.startFlusherLocked()
}
