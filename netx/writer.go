package netx

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// DefaultHighWater is a [Writer]'s default high-water mark: 64 KiB, as
// asyncio's. The default low-water mark is a quarter of the high-water mark.
const DefaultHighWater = 64 << 10

// DefaultCloseTimeout is how long [Writer.Close] waits, by default, for the
// bytes still buffered to reach the kernel before it closes the connection
// anyway. [Writer.SetCloseTimeout] and [Server.CloseTimeout] change it.
const DefaultCloseTimeout = 5 * time.Second

// directMin is the smallest Write (or WriteLines) that, with nothing
// pending, is offered to the kernel at once from the caller's slice instead
// of being copied into the buffer. Smaller writes are copied so that they
// coalesce.
const directMin = 16 << 10

var _ io.Writer = (*Writer)(nil)

// Writer is the write side of a connection: asyncio's StreamWriter and its
// transport's write buffer.
//
// [Writer.Write] copies the bytes into a buffer and returns without waiting
// as long as the buffered amount, the new bytes included, stays at or below
// the high-water mark (default [DefaultHighWater]). The bytes go out
// promptly without [Writer.Drain], and writes issued while a send is in
// flight join the next send, so that sends grow with the load: the package
// documentation says who sends them in each situation. An idle Writer owns
// no goroutine and no buffer.
//
// Above the high-water mark, Write blocks until the buffer drains to the
// low-water mark, the connection fails, or the connection's write deadline
// passes; the bytes of such a Write go to the kernel straight from the
// caller's slice. [Writer.Drain] waits for the low-water mark with a context.
//
// Errors are sticky: after the connection fails, including by a timeout of
// its write deadline, every later Write, WriteLines, Drain, WriteEOF and
// Close returns that error, and the bytes still buffered are dropped.
//
// A Writer is safe for concurrent use by multiple goroutines; each Write's
// bytes go out contiguously. It may be used at the same time as the
// [bufio2.Reader] of its pair. Close or Abort joins every goroutine the
// Writer started.
type Writer struct {
	// mu guards every field below unless the field's comment says otherwise.
	mu sync.Mutex

	// The connection. conn, raw and lazyReads change only in StartTLS, with
	// mu held, nothing queued and nobody holding or waiting for the send
	// token; the token holder uses conn and raw without mu.
	conn net.Conn
	raw  syscall.RawConn // non-nil when sends can be non-blocking (plain TCP and Unix on Linux)
	cr   *connReader     // the read side of the pair; set once by newReader, before use
	host string          // the dialed host, StartTLS's default ServerName; set once by Dial, before use

	q       sendQueue // the bytes written and not yet taken by the kernel (queue.go)
	tok     sendToken // the right to send them (token.go)
	changes changes   // wakes the goroutines that wait for the state to change

	high, low    int
	closeTimeout time.Duration
	wd           writeDeadline // the write timeout and the handler's write deadline (deadline.go)

	// calm mirrors err == nil && q.size() <= low, for Drain's fast path,
	// which reads it without mu; it is stored with mu held (settleLocked),
	// before mu is released.
	calm     atomic.Bool
	calmSeen bool // the value last stored in calm

	// Who sends the queued bytes (send.go).
	flusher  bool        // a flusher goroutine is started and has not taken the token yet
	urgent   int32       // goroutines waiting for the queue to drain (awaitLocked): while any waits, bytes go out at once
	reader   readerState // what the pair's reader is doing; written only by the reader's goroutine (with mu), which may read it without mu
	awaiting bool        // bytes were sent since the reader's last read returned: a reply may be on its way, and the reader sends when it comes
	pushing  bool        // the sweeper found bytes that nobody sent: they go out at once until the reader sends again
	swept    bool        // listed with the sweeper (sweep.go)

	state     lifecycle // open, half-closed, closing, closed (close.go)
	lazyReads bool      // the reader says when its read would block (readWouldBlock); else it calls beforeRead before a read that may block. Changes as conn does (above); the reader's goroutine reads it without mu
	err       error     // the connection's error: set once, sticky

	wg        sync.WaitGroup // flusher goroutines: Add with mu held and state < closed; Wait without mu
	closeDone chan struct{}  // closed when Close or Abort has finished; nil before either starts
	closeErr  error          // Close's result; read without mu once closeDone is closed

	sent atomic.Int64 // bytes handed to the kernel (to the TLS layer for TLS), for Server.Stats

	// Scratch space of the token holder, used without mu: snd.bufs is
	// also writeThroughLocked's vector.
	snd rawSender
}

func newWriter(conn net.Conn) *Writer {
	w := &Writer{
		conn:         conn,
		high:         DefaultHighWater,
		low:          DefaultHighWater / 4,
		closeTimeout: DefaultCloseTimeout,
	}
	if sendsRaw {
		w.raw = rawConnOf(conn)
		if w.raw != nil {
			w.snd.init()
		}
	}
	w.calm.Store(true)
	w.calmSeen = true
	return w
}

// unlock releases mu after bringing calm up to date. Every release of mu
// by the Writer's code goes through it, except the waits of token.go,
// whose callers settle first.
func (w *Writer) unlock() {
	w.settleLocked()
	w.mu.Unlock()
}

// settleLocked brings calm up to date.
func (w *Writer) settleLocked() {
	if c := w.err == nil && w.q.size() <= w.low; c != w.calmSeen {
		w.calmSeen = c
		w.calm.Store(c)
	}
}

// Conn returns the underlying connection (asyncio's transport and
// get_extra_info('socket')); after [Writer.StartTLS] it is the *tls.Conn.
// Reading from or writing to it directly bypasses the pair's buffers.
func (w *Writer) Conn() net.Conn {
	w.mu.Lock()
	defer w.unlock()
	return w.conn
}

// LocalAddr returns the connection's local address (asyncio's
// get_extra_info('sockname')).
func (w *Writer) LocalAddr() net.Addr { return w.Conn().LocalAddr() }

// RemoteAddr returns the connection's remote address (asyncio's
// get_extra_info('peername')).
func (w *Writer) RemoteAddr() net.Addr { return w.Conn().RemoteAddr() }

// Buffered returns the number of bytes written but not yet taken by the
// kernel (asyncio's get_write_buffer_size).
func (w *Writer) Buffered() int {
	w.mu.Lock()
	defer w.unlock()
	return w.q.size()
}

// SetWriteBufferLimits sets the high- and low-water marks (asyncio's
// set_write_buffer_limits). A negative value stands for asyncio's None: a
// negative high means DefaultHighWater, or 4*low if low is not negative; a
// negative low means high/4. A high of zero makes every Write wait until the
// buffer is empty. SetWriteBufferLimits panics if low > high once the
// defaults are applied.
func (w *Writer) SetWriteBufferLimits(high, low int) {
	if high < 0 {
		if low < 0 {
			high = DefaultHighWater
		} else {
			high = 4 * low
		}
	}
	if low < 0 {
		low = high / 4
	}
	if low > high {
		panic(fmt.Sprintf("netx: SetWriteBufferLimits: low (%d) must not exceed high (%d)", low, high))
	}
	w.mu.Lock()
	defer w.unlock()
	w.high, w.low = high, low
	w.changes.broadcast()
}

// WriteBufferLimits returns the high- and low-water marks (asyncio's
// get_write_buffer_limits, in the same order).
func (w *Writer) WriteBufferLimits() (high, low int) {
	w.mu.Lock()
	defer w.unlock()
	return w.high, w.low
}

// SetCloseTimeout sets how long [Writer.Close] waits for buffered bytes to
// reach the kernel. If d <= 0, [DefaultCloseTimeout] is used.
func (w *Writer) SetCloseTimeout(d time.Duration) {
	if d <= 0 {
		d = DefaultCloseTimeout
	}
	w.mu.Lock()
	defer w.unlock()
	w.closeTimeout = d
}

// Write writes p (asyncio's write). It returns without waiting while the
// buffered amount stays at or below the high-water mark; the bytes are sent
// promptly without Drain. A Write that takes the buffer above the high-water
// mark blocks until the buffer is back at or below the low-water mark, the
// connection fails, or the connection's write deadline passes.
//
// Write returns len(p) and nil once the bytes are buffered or sent; a non-nil
// error is the connection's (sticky) error, or says that the Writer was
// closed or half-closed by WriteEOF. The Writer does not retain p.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	if w.appendFastLocked(p) {
		w.mu.Unlock()
		return len(p), nil
	}
	defer w.unlock()
	if err := w.writeErrLocked(); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	size := w.q.size()
	if size+len(p) > w.high {
		return w.writeThroughLocked([][]byte{p}, len(p))
	}
	if len(p) >= directMin && size == 0 && w.raw != nil && w.tok.tryAcquire() {
		return w.sendDirectLocked([][]byte{p}, len(p))
	}
	w.q.add(p)
	w.queuedLocked()
	return len(p), nil
}

// appendFastLocked is Write's fast path: if the Writer is open, p fits in
// the fill buffer at or below the high-water mark without changing calm,
// and someone will already send the queued bytes, it appends p and reports
// true; else it does nothing and reports false.
func (w *Writer) appendFastLocked(p []byte) bool {
	f := w.q.fill
	n := w.q.n + len(p)
	if f == nil || len(*f)+len(p) > cap(*f) || n > w.high || n > w.low && w.calmSeen ||
		w.state != open || w.err != nil || len(p) == 0 {
		return false
	}
	if !w.tok.held && !w.flusher && !(w.swept && w.mayWaitForReaderLocked()) {
		return false
	}
	*f = append(*f, p...)
	w.q.n += len(p)
	return true
}

// WriteLines writes the concatenation of bufs (asyncio's writelines), with
// Write's rules for blocking. A large write with nothing else pending goes
// to the kernel without a copy, as one vectored write for each 8 buffers
// (plain TCP and Unix connections on Linux; others queue it as a small
// one); small ones are copied and coalesce with other writes. The Writer
// does not retain bufs.
func (w *Writer) WriteLines(bufs ...[]byte) error {
	total := 0
	for _, b := range bufs {
		total += len(b)
	}
	w.mu.Lock()
	defer w.unlock()
	if err := w.writeErrLocked(); err != nil {
		return err
	}
	if total == 0 {
		return nil
	}
	size := w.q.size()
	if size+total > w.high {
		_, err := w.writeThroughLocked(bufs, total)
		return err
	}
	if total >= directMin && size == 0 && w.raw != nil && w.tok.tryAcquire() {
		_, err := w.sendDirectLocked(bufs, total)
		return err
	}
	for _, b := range bufs {
		w.q.add(b)
	}
	w.queuedLocked()
	return nil
}

// sendDirectLocked offers bufs, total bytes, to the kernel at once from the
// caller's slices without blocking, and queues what the kernel did not
// take. Called with mu held and the token taken, with nothing queued; it
// releases the token, and mu during the system call.
func (w *Writer) sendDirectLocked(bufs [][]byte, total int) (int, error) {
	w.q.lend(total)
	w.unlock()
	n, err := w.sendNow(bufs)
	w.mu.Lock()
	w.q.unlend(total)
	w.sentLocked()
	if err != nil {
		w.failLocked(err)
		w.releaseTokenLocked()
		return n, err
	}
	if n < total {
		// The rest goes out first, before anything written meanwhile.
		w.q.batch, w.q.off = getBuf(total-n), 0
		skip := n
		for _, b := range bufs {
			if skip >= len(b) {
				skip -= len(b)
				continue
			}
			*w.q.batch = append(*w.q.batch, b[skip:]...)
			skip = 0
		}
		w.q.n += total - n
	}
	w.releaseTokenLocked()
	return total, nil
}

// writeThroughLocked is the blocking path of Write and WriteLines: it waits
// for the send token, sends what is queued followed by bufs (total bytes)
// in one vectored write straight from the caller's slices, and returns once
// the buffer is at or below the low-water mark. Called with mu held; it
// releases mu while it waits and sends.
func (w *Writer) writeThroughLocked(bufs [][]byte, total int) (int, error) {
	end := w.callEndLocked()
	w.settleLocked()
	if !w.tok.acquire(&w.mu, &w.changes, w.mayWriteLocked) {
		return 0, w.writeErrLocked()
	}
	vec, taken := w.q.takeAll(w.snd.bufs[:0])
	queued := w.q.lent
	for _, b := range bufs {
		if len(b) > 0 {
			vec = append(vec, b)
		}
	}
	w.q.lend(total)
	w.beginSendLocked(end)
	w.unlock()
	n, err := w.sendBlocking(vec)
	w.mu.Lock()
	err = w.endSendLocked(end, err)
	w.q.unlend(queued + total)
	giveBack(taken)
	clear(vec)
	w.snd.bufs = vec[:0]
	w.sentLocked()
	written := min(max(n-queued, 0), total)
	if err != nil {
		w.failLocked(err)
		w.releaseTokenLocked()
		return written, err
	}
	w.releaseTokenLocked()
	err = w.awaitLocked(nil, w.lowLocked, end)
	if err == errWriterClosed {
		err = nil // the bytes were sent; Abort or Close came after
	}
	return written, err
}

// mayWriteLocked reports whether a write may go on.
func (w *Writer) mayWriteLocked() bool { return w.writeErrLocked() == nil }

// lowLocked reports whether the buffer is at or below the low-water mark.
func (w *Writer) lowLocked() bool { return w.q.size() <= w.low }

// Drain waits until the buffered amount is at or below the low-water mark
// (asyncio's drain). It returns nil at once if it already is, the
// connection's error if the connection fails, or ctx's error if ctx ends
// first. Drain may be called by several goroutines at once. While Drain
// waits, the buffered bytes go out at once; a Drain that returns at once
// sends nothing.
func (w *Writer) Drain(ctx context.Context) error {
	if w.calm.Load() {
		return nil
	}
	w.mu.Lock()
	defer w.unlock()
	if w.err == nil && w.q.size() <= w.low {
		return nil
	}
	if err := w.awaitLocked(ctx.Done(), w.lowLocked, w.callEndLocked()); err != nil {
		if err == errStopped {
			return ctx.Err()
		}
		return err
	}
	return nil
}
