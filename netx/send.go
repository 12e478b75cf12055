package netx

import (
	"errors"
	"net"
	"os"
	"time"
)

// This file says who sends a Writer's queued bytes, and when. The rules,
// which the package documentation explains for users:
//
//   - Whoever holds the send token sends the head of the queue. Bytes
//     written while it sends join the next send; when it releases the
//     token it decides, by the rules below, who sends them
//     (releaseTokenLocked, arrangeLocked).
//   - Bytes past the low-water mark go out at once: the writing goroutine
//     offers them to the kernel itself, without blocking, when the
//     connection allows it (plain TCP and Unix on Linux), else a flusher
//     does.
//   - The reader sends the queued bytes when its read would block
//     (readWouldBlock), as Netty's FlushConsolidationHandler flushes at the
//     end of a read burst and as a bufio.Writer flushed when the read
//     buffer is empty: a handler that reads requests and writes replies
//     sends every reply to one burst of requests in one system call. A
//     connection that cannot tell that a read would block (TLS, a wrapped
//     net.Conn) sends before every read instead (beforeRead).
//   - Below the low-water mark, bytes are left for the reader while it is
//     between reads (it will read again, and send them when that read would
//     block), and while it waits for a reply to bytes already sent (the
//     reply wakes it): at most one small send is in flight, as with
//     Nagle's algorithm, and a pipelining writer's sends grow with the
//     load. Otherwise (the reader waits with nothing in flight, there is no
//     reader, or someone waits for the buffer to drain) a flusher goroutine
//     sends them now.
//   - Bytes left for the reader are the sweeper's too (sweep.go): once
//     the oldest of them has waited a whole sweep interval, the sweeper
//     starts a flusher, and until the reader sends again every write goes
//     out at once (pushing). So a server push that no read follows goes out
//     within two sweep intervals (2 ms) of its Write.
//
// The only places where a goroutine waits on a peer that does not read are
// sendBlocking (the token holder's write, which obeys the connection's
// write deadline) and awaitLocked (a call that waits for the queue to
// drain). A per-call write timeout belongs in awaitLocked, and a
// deadline-driven abort there also ends sendBlocking, which fails once the
// connection is closed.

// readerState is what the pair's reader is doing, as the Writer sees it.
type readerState uint8

const (
	// The zero readerState: the reader has not read yet, and may never:
	// nobody to leave bytes for.
	_ readerState = iota
	// readerBusy: between reads, or reading data that is there. It sends
	// what is queued when its read would block.
	readerBusy
	// readerWaiting: waiting for data to arrive.
	readerWaiting
)

// sender is who sends the queued bytes when nobody holds the token.
type sender uint8

const (
	nobody    sender = iota // nothing to send, or the Writer cannot send
	byFlusher               // a flusher goroutine, started now
	byReader                // the reader, with the sweeper as the safety net
)

// whoSendsLocked applies the rules above to the Writer's state.
func (w *Writer) whoSendsLocked() sender {
	switch {
	case w.q.size() == 0 || w.err != nil || w.state == closed:
		return nobody
	case w.mayWaitForReaderLocked():
		return byReader
	}
	return byFlusher
}

// mayWaitForReaderLocked reports whether queued bytes may be left for the
// reader: the kernel took the last batch whole (else a flusher waits for
// room), nobody waits for the queue to drain, the sweeper has not found
// bytes that nobody sent, and the reader is between reads or waits for a
// reply to bytes already sent.
func (w *Writer) mayWaitForReaderLocked() bool {
	return !w.q.partial() && w.urgent == 0 && !w.pushing &&
		(w.reader == readerBusy || w.reader == readerWaiting && w.awaiting) &&
		sweepInterval() != 0
}

// arrangeLocked makes sure that someone will send the queued bytes. The
// token holder, a goroutine waiting for the token, or a flusher that is
// about to take it will: the holder decides when it releases.
func (w *Writer) arrangeLocked() {
	if w.tok.held || w.tok.queued > 0 || w.flusher {
		return
	}
	switch w.whoSendsLocked() {
	case byFlusher:
		w.startFlusherLocked()
	case byReader:
		if !w.swept {
			w.swept = true
			sweepLater(w)
		}
	}
}

// queuedLocked is called after a Write queued bytes.
func (w *Writer) queuedLocked() { w.arrangeLocked() }

// startFlusherLocked starts a flusher goroutine unless one is started, the
// token is taken or wanted, or the Writer cannot send.
func (w *Writer) startFlusherLocked() {
	if w.flusher || w.tok.held || w.tok.queued > 0 || w.err != nil || w.state == closed {
		return
	}
	w.flusher = true
	w.wg.Add(1)
	go w.flushLoop()
}

// flushLoop is the flusher goroutine. It takes the token (if somebody else
// has it, that one sends), sends the head of the queue, and goes on sending
// with the connection's blocking Write as long as the rules say the bytes
// go out now; then it releases the token and exits, so that an idle Writer
// owns no goroutine.
func (w *Writer) flushLoop() {
	defer w.wg.Done()
	w.mu.Lock()
	defer w.unlock()
	w.flusher = false
	if !w.tok.tryAcquire() {
		return
	}
	for w.sendHeadLocked() && w.tok.queued == 0 && w.whoSendsLocked() == byFlusher {
	}
	w.releaseTokenLocked()
}

// trySendLocked takes the token if it is free, offers the head of the
// queue to the kernel once without blocking, and releases the token. Called
// with mu held; it releases mu during the system call.
//
// The reader calls it deep in a read that is about to wait, so it has its
// own small frame rather than sendHeadLocked's (see lazyReader.rawRead on
// why depth matters).
func (w *Writer) trySendLocked() {
	if !w.tok.tryAcquire() {
		return
	}
	if b := w.q.head(); b != nil {
		w.snd.one = b // not sendNow(b): the argument's spill slots would widen this frame
		w.unlock()
		n, err := w.send()
		w.mu.Lock()
		w.sentHeadLocked(n, err)
	}
	w.releaseTokenLocked()
}

// sentHeadLocked records that the kernel took n bytes of the head of the
// queue, and the send's error. Out of line, to keep trySendLocked small.
//
//go:noinline
func (w *Writer) sentHeadLocked(n int, err error) {
	w.q.advance(n)
	w.sentLocked()
	if err != nil {
		w.failLocked(err)
	}
}

// sendHeadLocked sends the head of the queue as the token holder, through
// the connection's Write, which waits for room in the socket. It reports
// whether the kernel took all of it (true also when nothing was queued).
// Called with mu held and the token taken; it releases mu during the
// system call.
func (w *Writer) sendHeadLocked() bool {
	b := w.q.head()
	if b == nil {
		return true
	}
	end := w.callEndLocked()
	w.beginSendLocked(end)
	w.unlock()
	n, err := w.conn.Write(b) // not sendBlocking: its vector would escape
	w.sent.Add(int64(n))
	w.mu.Lock()
	err = w.endSendLocked(end, err)
	w.q.advance(n)
	w.sentLocked()
	if err != nil {
		w.failLocked(err)
		return false
	}
	return n == len(b)
}

// sentLocked records a send: a reply may now be on its way, and waiters
// may find the buffer drained.
func (w *Writer) sentLocked() {
	w.awaiting = true
	w.changes.broadcast()
}

// releaseTokenLocked gives up the token and arranges for what is still
// queued; after a failure or Abort, it drops the batch it was sending.
func (w *Writer) releaseTokenLocked() {
	w.tok.release(&w.changes)
	if w.err != nil || w.state == closed {
		w.q.dropAll()
		return
	}
	w.arrangeLocked()
}

// errStopped is awaitLocked's result when its stop channel was closed.
var errStopped = errors.New("netx: wait stopped")

// awaitLocked waits until done reports true, the Writer fails (its error),
// the Writer is closed (errWriterClosed), stop is closed (errStopped), or
// end passes (a zero end never does): then the write timeout fails the
// Writer and aborts the connection (writeTimedOutLocked), and awaitLocked
// returns that error.
// While it waits, the queued bytes go out at once: it first offers them to
// the kernel itself, without blocking, where the connection allows it, and
// then leaves them to a flusher. Called with mu held; it releases mu while
// it waits.
//
// Every call that waits for the queue to drain waits here: Drain, a Write
// above the high-water mark, WriteEOF, Close and StartTLS; all but
// StartTLS pass their WriteTimeout deadline as end.
func (w *Writer) awaitLocked(stop <-chan struct{}, done func() bool, end time.Time) error {
	w.urgent++
	defer func() { w.urgent-- }()
	tried := false
	var timer *time.Timer
	var fire <-chan time.Time
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		switch {
		case w.err != nil:
			return w.err
		case done():
			return nil
		case w.state == closed:
			return errWriterClosed
		}
		if !tried && w.raw != nil {
			tried = true
			w.trySendLocked()
			continue
		}
		w.arrangeLocked()
		w.settleLocked()
		if !end.IsZero() && timer == nil {
			d := time.Until(end)
			if d <= 0 {
				return w.writeTimedOutLocked(os.ErrDeadlineExceeded)
			}
			timer = time.NewTimer(d)
			fire = timer.C
		}
		switch w.changes.wait(&w.mu, stop, fire) {
		case stopped:
			return errStopped
		case expired:
			if w.err == nil && !done() && w.state != closed {
				return w.writeTimedOutLocked(os.ErrDeadlineExceeded)
			}
			fire = nil
		}
	}
}

// sendBlocking writes bufs through the connection's Write, waiting for
// room in the socket as long as it takes, and returns how many bytes it
// wrote. It is the only place where the Writer's own goroutines wait on a
// peer that does not read; the connection's write deadline bounds it. For
// the token holder, without mu.
func (w *Writer) sendBlocking(bufs [][]byte) (int, error) {
	var n int
	var err error
	if len(bufs) == 1 {
		n, err = w.conn.Write(bufs[0])
	} else {
		nb := net.Buffers(bufs)
		var n64 int64
		n64, err = nb.WriteTo(w.conn)
		n = int(n64)
	}
	w.sent.Add(int64(n))
	return n, err
}

// beforeRead is called by the read side before each read from the
// connection. A reader that tells when its read would block
// (readWouldBlock) sends then; any other read may block without saying
// so, and everything queued goes out before it.
func (w *Writer) beforeRead() {
	if w.lazyReads && w.reader == readerBusy {
		return // the reader's own fields: see Writer.reader
	}
	w.mu.Lock()
	defer w.unlock()
	if w.lazyReads {
		w.reader = readerBusy
		return
	}
	w.reader = readerWaiting
	w.readerSendsLocked()
}

// readWouldBlock is called by the read side when a non-blocking read finds
// nothing to read, before it waits: the end of a read burst. The reader
// sends what is queued, without blocking.
func (w *Writer) readWouldBlock() {
	if w.reader == readerWaiting {
		// Said before this read began (the last one emptied the socket):
		// what was written since has been arranged for a waiting reader.
		return
	}
	w.mu.Lock()
	w.reader = readerWaiting
	w.readerSendsLocked()
	w.unlock()
}

// readerSendsLocked sends the queued bytes for the reader, before it waits.
func (w *Writer) readerSendsLocked() {
	if w.q.size() == 0 || w.tok.held || w.tok.queued > 0 {
		return
	}
	w.pushing = false
	if w.raw != nil {
		w.trySendLocked()
		return
	}
	w.startFlusherLocked()
}

// afterRead is called by the read side when a read from the connection
// returns: the reader is busy again, and whatever came in answers what was
// sent before.
func (w *Writer) afterRead() {
	w.mu.Lock()
	defer w.unlock()
	w.reader = readerBusy
	w.awaiting = false
}
