package netx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
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

const (
	// directMin is the smallest Write (or WriteLines) that, with nothing
	// pending, is offered to the kernel at once instead of being copied
	// into the buffer. Smaller writes are copied so that they coalesce.
	directMin = 16 << 10

	// minBuffer is the capacity of a fresh write buffer; maxPooled is the
	// largest buffer kept for reuse once it has been written out.
	minBuffer = 4 << 10
	maxPooled = 256 << 10
)

var (
	errWriterClosed  = fmt.Errorf("netx: Writer closed: %w", net.ErrClosed)
	errWriteAfterEOF = errors.New("netx: write after WriteEOF")
)

// bufPool holds write buffers between bursts, so that an idle Writer holds
// none.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, minBuffer); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(p *[]byte) {
	if cap(*p) > maxPooled {
		return
	}
	*p = (*p)[:0]
	bufPool.Put(p)
}

type closeWriter interface{ CloseWrite() error }

var _ io.Writer = (*Writer)(nil)

// Writer is the write side of a connection: asyncio's StreamWriter and its
// transport's write buffer.
//
// [Writer.Write] copies the bytes into a buffer and returns without waiting
// as long as the buffered amount, the new bytes included, stays at or below
// the high-water mark (default [DefaultHighWater]). The bytes go out promptly without [Writer.Drain]: the
// connection's [bufio2.Reader] hands them to the kernel before it waits for
// more data, so a handler that reads a request and writes its reply sends
// every reply produced from one read in one system call; bytes that no read
// follows go out through a short-lived flusher goroutine that exits as soon
// as the buffer is empty (see the package documentation for when it
// starts). Many small writes issued back to back are coalesced into few
// system calls. An idle Writer owns no goroutine and no buffer.
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
	mu sync.Mutex

	conn net.Conn
	raw  syscall.RawConn // non-nil when non-blocking sends are possible (plain TCP and Unix on Linux)
	cr   *connReader     // the read side of the pair
	host string          // the dialed host, ServerName for StartTLS

	bufp   *[]byte // written bytes not yet taken by an owner; nil when none
	outp   *[]byte // bytes taken by the owner; (*outp)[outOff:] are not written yet
	outOff int
	taken  int // bytes a blocking writer handed to the connection, not yet written

	owning  bool // a goroutine owns the connection's write side
	wantOwn int  // blocking writers waiting to own it
	flusher bool // a flusher goroutine is started and has not taken ownership yet

	reading  atomic.Bool // the reader is blocked in the connection's Read
	readSeen bool        // the reader has read at least once
	pushing  bool        // the sweeper found bytes the reader had not sent: do not wait for it
	swept    bool        // listed with the sweeper (sweep.go)
	ownGen   uint32      // counts the times the write side was taken
	sweepGen uint32      // ownGen when listed with the sweeper

	high, low    int
	closeTimeout time.Duration

	err        error // the connection's error, sticky
	eof        bool  // WriteEOF was called
	closing    bool  // Close or Abort was called
	connClosed bool  // conn.Close was called: no goroutine may start
	wake       chan struct{}
	wg         sync.WaitGroup // flusher goroutines

	onFail func(error) // called once when the connection fails (Server: cancel the handler's context)

	sent atomic.Int64 // bytes handed to the kernel (to the TLS layer for TLS), for Server.Stats

	closeDone chan struct{} // closed when Close or Abort has finished
	closeErr  error

	vec [][]byte  // owner's scratch
	snd rawSender // owner's scratch for non-blocking sends
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
	}
	return w
}

// Conn returns the underlying connection (asyncio's transport and
// get_extra_info('socket')); after [Writer.StartTLS] it is the *tls.Conn.
// Reading from or writing to it directly bypasses the pair's buffers.
func (w *Writer) Conn() net.Conn {
	w.mu.Lock()
	defer w.mu.Unlock()
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
	defer w.mu.Unlock()
	return w.sizeLocked()
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
	w.high, w.low = high, low
	w.broadcastLocked()
	w.mu.Unlock()
}

// WriteBufferLimits returns the high- and low-water marks (asyncio's
// get_write_buffer_limits, in the same order).
func (w *Writer) WriteBufferLimits() (high, low int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.high, w.low
}

// SetCloseTimeout sets how long [Writer.Close] waits for buffered bytes to
// reach the kernel. If d <= 0, [DefaultCloseTimeout] is used.
func (w *Writer) SetCloseTimeout(d time.Duration) {
	if d <= 0 {
		d = DefaultCloseTimeout
	}
	w.mu.Lock()
	w.closeTimeout = d
	w.mu.Unlock()
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
	if err := w.writeErrLocked(); err != nil {
		w.mu.Unlock()
		return 0, err
	}
	if len(p) == 0 {
		w.mu.Unlock()
		return 0, nil
	}
	size := w.sizeLocked()
	if size+len(p) > w.high {
		one := [1][]byte{p}
		return w.writeOwned(one[:])
	}
	if len(p) >= directMin && size == 0 && !w.owning && w.raw != nil {
		one := [1][]byte{p}
		return w.sendFirst(one[:], len(p))
	}
	w.appendLocked(p)
	w.kickLocked(true)
	w.mu.Unlock()
	return len(p), nil
}

// WriteLines writes the concatenation of bufs (asyncio's writelines), with
// Write's rules for blocking. A large write with nothing else pending goes
// to the kernel as one vectored write (net.Buffers) without a copy; small
// ones are copied and coalesce with other writes. The Writer does not retain
// bufs.
func (w *Writer) WriteLines(bufs ...[]byte) error {
	total := 0
	for _, b := range bufs {
		total += len(b)
	}
	w.mu.Lock()
	if err := w.writeErrLocked(); err != nil {
		w.mu.Unlock()
		return err
	}
	if total == 0 {
		w.mu.Unlock()
		return nil
	}
	size := w.sizeLocked()
	if size+total > w.high {
		_, err := w.writeOwned(bufs)
		return err
	}
	if total >= directMin && size == 0 && !w.owning && w.raw != nil {
		_, err := w.sendFirst(bufs, total)
		return err
	}
	for _, b := range bufs {
		w.appendLocked(b)
	}
	w.kickLocked(true)
	w.mu.Unlock()
	return nil
}

// sendFirst offers bufs to the kernel at once, without blocking and without
// a copy, and buffers what the kernel did not take. Called with w.mu held,
// nothing pending and no owner; it unlocks.
func (w *Writer) sendFirst(bufs [][]byte, total int) (int, error) {
	w.ownLocked()
	w.mu.Unlock()
	n, err := w.sendNow(bufs)
	w.sent.Add(int64(n))
	w.mu.Lock()
	if err != nil {
		w.failLocked(err)
		w.releaseLocked()
		w.mu.Unlock()
		return n, err
	}
	if n < total {
		// The rest goes out first, before anything written meanwhile.
		w.outp, w.outOff = getBuf(), 0
		skip := n
		for _, b := range bufs {
			if skip >= len(b) {
				skip -= len(b)
				continue
			}
			*w.outp = append(*w.outp, b[skip:]...)
			skip = 0
		}
	}
	w.releaseLocked()
	w.mu.Unlock()
	return total, nil
}

// writeOwned is the blocking path of Write and WriteLines: it waits to own
// the connection, writes what is pending followed by bufs in one vectored
// write straight from the caller's slices, and returns once the buffer is at
// or below the low-water mark. Called with w.mu held; it unlocks.
func (w *Writer) writeOwned(bufs [][]byte) (int, error) {
	w.wantOwn++
	for w.owning && w.err == nil && !w.connClosed {
		w.waitLocked()
	}
	w.wantOwn--
	if err := w.writeErrLocked(); err != nil {
		w.broadcastLocked()
		w.mu.Unlock()
		return 0, err
	}
	w.ownLocked()
	vec := w.vec[:0]
	outRem := 0
	if w.outp != nil {
		vec = append(vec, (*w.outp)[w.outOff:])
		outRem = len(*w.outp) - w.outOff
	}
	takenp := w.bufp
	w.bufp = nil
	pre := outRem
	if takenp != nil {
		vec = append(vec, *takenp)
		pre += len(*takenp)
	}
	user := 0
	for _, b := range bufs {
		if len(b) > 0 {
			vec = append(vec, b)
			user += len(b)
		}
	}
	w.taken += pre - outRem + user
	w.mu.Unlock()

	nb := net.Buffers(vec)
	n64, err := nb.WriteTo(w.conn)
	w.sent.Add(n64)

	w.mu.Lock()
	clear(vec)
	w.vec = vec[:0]
	w.taken -= pre - outRem + user
	if w.outp != nil {
		putBuf(w.outp)
		w.outp, w.outOff = nil, 0
	}
	if takenp != nil {
		putBuf(takenp)
	}
	written := min(max(int(n64)-pre, 0), user)
	if err != nil {
		w.failLocked(err)
		w.releaseLocked()
		w.mu.Unlock()
		return written, err
	}
	w.releaseLocked()
	for w.sizeLocked() > w.low && w.err == nil && !w.connClosed {
		w.kickLocked(false)
		w.waitLocked()
	}
	err = w.err
	w.mu.Unlock()
	return written, err
}

// Drain waits until the buffered amount is at or below the low-water mark
// (asyncio's drain). It returns nil at once if it already is, the
// connection's error if the connection fails, or ctx's error if ctx ends
// first. Drain may be called by several goroutines at once. Waiting in Drain
// also makes the pending bytes go out at once.
func (w *Writer) Drain(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for {
		if w.err != nil {
			return w.err
		}
		if w.sizeLocked() <= w.low {
			return nil
		}
		if w.connClosed {
			return errWriterClosed
		}
		if !w.kickAndWaitLocked(ctx.Done()) {
			return ctx.Err()
		}
	}
}

// CanWriteEOF reports whether the connection can be half-closed with
// [Writer.WriteEOF]: true for TCP, Unix and TLS connections.
func (w *Writer) CanWriteEOF() bool {
	_, ok := w.Conn().(closeWriter)
	return ok
}

// WriteEOF half-closes the connection (asyncio's write_eof): it waits until
// everything written before it has been handed to the kernel and then shuts
// down the write side (CloseWrite), so that the peer's reads see the end of
// the stream while ours go on. Later writes fail; a second WriteEOF does
// nothing. It fails with an error matching errors.ErrUnsupported if the
// connection cannot half-close.
func (w *Writer) WriteEOF() error {
	w.mu.Lock()
	if w.eof && w.err == nil && !w.closing {
		w.mu.Unlock()
		return nil
	}
	if err := w.writeErrLocked(); err != nil {
		w.mu.Unlock()
		return err
	}
	cw, ok := w.conn.(closeWriter)
	if !ok {
		w.mu.Unlock()
		return fmt.Errorf("netx: WriteEOF: %T cannot half-close: %w", w.conn, errors.ErrUnsupported)
	}
	w.eof = true
	for (w.sizeLocked() > 0 || w.owning) && w.err == nil && !w.connClosed {
		w.kickLocked(false)
		w.waitLocked()
	}
	err := w.err
	if err == nil && w.connClosed {
		err = errWriterClosed
	}
	w.mu.Unlock()
	if err != nil {
		return err
	}
	return cw.CloseWrite()
}

// Close sends what was written, then closes the connection (asyncio's
// close and wait_closed). It waits at most the close timeout
// ([DefaultCloseTimeout] unless [Writer.SetCloseTimeout] changed it) for the
// buffered bytes to reach the kernel; if they do not, it closes anyway and
// returns an error that matches os.ErrDeadlineExceeded. It returns the
// connection's error if the connection had failed, else the error from
// closing it. Close joins every goroutine the Writer started; it is
// idempotent, and a second call returns the first one's result.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closeDone != nil {
		ch := w.closeDone
		w.mu.Unlock()
		<-ch
		return w.closeErr
	}
	w.closing = true
	w.closeDone = make(chan struct{})
	d := w.closeTimeout
	var flushErr error
	if w.err == nil && (w.sizeLocked() > 0 || w.owning) && !w.connClosed {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		for w.err == nil && (w.sizeLocked() > 0 || w.owning) && !w.connClosed {
			if !w.kickAndWaitLocked(ctx.Done()) {
				flushErr = fmt.Errorf("netx: Close: %d bytes still unsent after %v: %w", w.sizeLocked(), d, os.ErrDeadlineExceeded)
				break
			}
		}
		cancel()
	}
	aborted := w.connClosed
	switch {
	case aborted:
		flushErr = errAborted
	case flushErr == nil:
		flushErr = w.err
	}
	w.connClosed = true
	w.dropLocked()
	w.broadcastLocked()
	w.mu.Unlock()

	var cerr error
	if aborted {
		cerr = errAborted
	} else {
		cerr = w.conn.Close()
	}
	w.wg.Wait()

	w.mu.Lock()
	w.dropLocked()
	if flushErr != nil {
		w.closeErr = flushErr
	} else {
		w.closeErr = cerr
	}
	close(w.closeDone)
	w.mu.Unlock()
	return w.closeErr
}

var errAborted = fmt.Errorf("netx: Writer aborted: %w", net.ErrClosed)

// Abort closes the connection at once and drops the bytes not yet handed to
// the kernel (asyncio's transport.abort). Bytes the kernel already holds
// still go out, as with asyncio. Abort joins every goroutine the Writer
// started; it also cuts short a Close that is waiting for the buffer to
// drain, which then returns an error. Abort is idempotent; it returns the
// error from closing the connection, or nil if it was already closed.
func (w *Writer) Abort() error {
	w.mu.Lock()
	if w.connClosed {
		ch := w.closeDone
		w.mu.Unlock()
		if ch != nil {
			<-ch
		}
		return nil
	}
	w.closing = true
	w.connClosed = true
	mine := w.closeDone == nil
	if mine {
		w.closeDone = make(chan struct{})
	}
	w.dropLocked()
	w.broadcastLocked()
	w.mu.Unlock()

	err := w.conn.Close()
	w.wg.Wait()
	if !mine {
		// A Close is in progress: it finishes once it sees connClosed.
		return err
	}
	w.mu.Lock()
	w.dropLocked()
	w.closeErr = err
	close(w.closeDone)
	w.mu.Unlock()
	return err
}

// writeErrLocked is the error a write must return now, if any.
func (w *Writer) writeErrLocked() error {
	switch {
	case w.closing:
		return errWriterClosed
	case w.err != nil:
		return w.err
	case w.eof:
		return errWriteAfterEOF
	}
	return nil
}

func (w *Writer) sizeLocked() int {
	n := w.taken
	if w.bufp != nil {
		n += len(*w.bufp)
	}
	if w.outp != nil {
		n += len(*w.outp) - w.outOff
	}
	return n
}

func (w *Writer) appendLocked(p []byte) {
	if w.bufp == nil {
		w.bufp = getBuf()
	}
	*w.bufp = append(*w.bufp, p...)
}

// kickLocked makes sure that the pending bytes will be written: it starts
// a flusher goroutine unless a goroutine owns the write side or one is
// already started. With deferOK, while the reader is between reads (it will
// send the bytes itself when it reads again, which is what a
// request/response handler does) and no more than the low-water mark is
// pending, no goroutine starts: the Writer is listed with the sweeper
// instead, which starts a flusher if the reader has not come back after a
// short while. Past the low-water mark the bytes go out at once, so that a
// writer that runs ahead of its reader (a pipelining client) streams
// instead of waiting for the reader.
func (w *Writer) kickLocked(deferOK bool) {
	if w.owning || w.flusher || w.wantOwn > 0 || w.err != nil || w.connClosed {
		return
	}
	if deferOK && w.readSeen && !w.pushing && !w.reading.Load() && w.sizeLocked() <= w.low && sweepInterval() > 0 {
		if !w.swept {
			w.swept = true
			w.sweepGen = w.ownGen
			sweepLater(w)
		}
		return
	}
	w.flusher = true
	w.wg.Add(1)
	go w.flushLoop()
}

// ownLocked takes the write side.
func (w *Writer) ownLocked() {
	w.owning = true
	w.ownGen++
}

// flushLoop is the flusher goroutine: it takes ownership of the write side
// if nobody has it and writes until nothing is pending, then exits.
func (w *Writer) flushLoop() {
	defer w.wg.Done()
	w.mu.Lock()
	w.flusher = false
	if !w.owning && w.wantOwn == 0 {
		w.ownLocked()
		w.flushLocked(true)
		w.releaseLocked()
	}
	w.mu.Unlock()
}

// flushLocked writes pending bytes as the owner of the write side. With
// block it uses the connection's Write and goes on until nothing is
// pending, the connection fails, or a blocking writer wants the connection.
// Without, it offers the bytes to the kernel without blocking and stops when
// the kernel takes no more (or after two rounds, so that a reader is not
// kept from reading by a busy writer); what is left goes to a flusher when
// the owner releases.
func (w *Writer) flushLocked(block bool) {
	for round := 0; w.err == nil; round++ {
		if w.outp == nil {
			if w.bufp == nil {
				return
			}
			if !block && round >= 2 {
				return
			}
			w.outp, w.bufp, w.outOff = w.bufp, nil, 0
		}
		if block && w.wantOwn > 0 {
			return
		}
		b := (*w.outp)[w.outOff:]
		w.mu.Unlock()
		var n int
		var err error
		if block {
			n, err = w.conn.Write(b)
		} else {
			one := [1][]byte{b}
			n, err = w.sendNow(one[:])
		}
		w.sent.Add(int64(n))
		w.mu.Lock()
		w.outOff += n
		if w.outOff == len(*w.outp) {
			putBuf(w.outp)
			w.outp, w.outOff = nil, 0
		}
		if err != nil {
			w.failLocked(err)
			return
		}
		if w.wake != nil && w.sizeLocked() <= w.low {
			w.broadcastLocked()
		}
		if !block && n < len(b) {
			return
		}
	}
}

// releaseLocked gives up ownership of the write side and hands what is
// still pending to a flusher.
func (w *Writer) releaseLocked() {
	w.owning = false
	if w.sizeLocked() > 0 {
		w.kickLocked(false)
	}
	w.broadcastLocked()
}

// beforeRead is called by the read side before it blocks in the
// connection's Read: it hands the pending bytes to the kernel (without
// blocking where the connection allows it, else through a flusher) so that
// replies go out before we wait for the peer.
func (w *Writer) beforeRead() {
	w.mu.Lock()
	w.readSeen = true
	if !w.owning && w.wantOwn == 0 && w.err == nil && !w.connClosed && w.sizeLocked() > 0 {
		w.pushing = false
		if w.raw != nil {
			w.ownLocked()
			w.flushLocked(false)
			w.releaseLocked()
		} else {
			w.kickLocked(false)
		}
	}
	w.reading.Store(true)
	w.mu.Unlock()
}

// afterRead is called by the read side when the connection's Read returns.
func (w *Writer) afterRead() { w.reading.Store(false) }

// readFailed reports a failed read (not EOF, not a timeout) to the owner of
// the connection.
func (w *Writer) readFailed(err error) {
	if w.onFail != nil {
		w.onFail(err)
	}
}

// failLocked records the connection's error and drops the pending bytes.
// Called by the owner of the write side, or with no owner.
func (w *Writer) failLocked(err error) {
	if w.bufp != nil {
		putBuf(w.bufp)
		w.bufp = nil
	}
	if w.outp != nil {
		putBuf(w.outp)
		w.outp, w.outOff = nil, 0
	}
	if w.err != nil {
		return
	}
	w.err = err
	w.broadcastLocked()
	if w.onFail != nil && !w.closing {
		w.onFail(err)
	}
}

// dropLocked drops the pending bytes that no owner is writing.
func (w *Writer) dropLocked() {
	if w.bufp != nil {
		putBuf(w.bufp)
		w.bufp = nil
	}
	if w.outp != nil && !w.owning {
		putBuf(w.outp)
		w.outp, w.outOff = nil, 0
	}
}

func (w *Writer) waitChLocked() chan struct{} {
	if w.wake == nil {
		w.wake = make(chan struct{})
	}
	return w.wake
}

// kickAndWaitLocked starts sending what is buffered and waits for the next
// change of state or for stop, whichever comes first. It reports whether
// the state changed (false: stop). It holds w.mu again when it returns.
func (w *Writer) kickAndWaitLocked(stop <-chan struct{}) bool {
	w.kickLocked(false)
	ch := w.waitChLocked()
	w.mu.Unlock()
	select {
	case <-ch:
		w.mu.Lock()
		return true
	case <-stop:
		w.mu.Lock()
		return false
	}
}

// waitLocked waits for the next change of state.
func (w *Writer) waitLocked() {
	ch := w.waitChLocked()
	w.mu.Unlock()
	<-ch
	w.mu.Lock()
}

func (w *Writer) broadcastLocked() {
	if w.wake != nil {
		close(w.wake)
		w.wake = nil
	}
}
