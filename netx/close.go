package netx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
)

// lifecycle is where a [Writer] is in its life. It only moves forward, and
// the Writer's error (err, sticky) is recorded beside it: a failed Writer
// is still open, half-closed or closing until Close or Abort closes it.
type lifecycle uint8

const (
	// open: writes are accepted.
	open lifecycle = iota
	// halfClosed: WriteEOF was called. Writes fail; what was written
	// before still goes out, then the write side is shut down.
	halfClosed
	// closing: Close was called. Writes fail; Close waits (bounded) for
	// the queue to drain.
	closing
	// closed: the connection is closed, or about to be (Close's end,
	// Abort). Nothing more is sent and no goroutine starts.
	closed
)

var (
	errWriterClosed  = fmt.Errorf("netx: Writer closed: %w", net.ErrClosed)
	errWriteAfterEOF = errors.New("netx: write after WriteEOF")
	errAborted       = fmt.Errorf("netx: Writer aborted: %w", net.ErrClosed)
)

type closeWriter interface{ CloseWrite() error }

// writeErrLocked is the error a write must return now, if any.
func (w *Writer) writeErrLocked() error {
	switch {
	case w.state >= closing:
		return errWriterClosed
	case w.err != nil:
		return w.err
	case w.state == halfClosed:
		return errWriteAfterEOF
	}
	return nil
}

// failLocked is the Writer's one failure path: it records err as the
// connection's sticky error (if none was recorded), wakes every waiter,
// tells the owner of the connection (owner) unless the Writer is being
// closed, and drops the queued bytes. The batch in the token holder's hands
// is dropped when it releases the token.
func (w *Writer) failLocked(err error) {
	w.q.dropFill()
	if !w.tok.held {
		w.q.dropAll()
	}
	if w.err != nil {
		return
	}
	w.err = err
	w.changes.broadcast()
	if sc := w.owner(); sc != nil && w.state < closing {
		sc.failed(err)
	}
}

// readFailed reports a failed read (not EOF, not a timeout) to the owner of
// the connection.
func (w *Writer) readFailed(err error) {
	if sc := w.owner(); sc != nil {
		sc.failed(err)
	}
}

// owner returns the Server's record of the connection, or nil if the pair
// is not served.
func (w *Writer) owner() *serverConn {
	if w.cr == nil {
		return nil
	}
	return w.cr.sc
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
	defer w.unlock()
	if w.state == halfClosed && w.err == nil {
		return nil
	}
	if err := w.writeErrLocked(); err != nil {
		return err
	}
	cw, ok := w.conn.(closeWriter)
	if !ok {
		return fmt.Errorf("netx: WriteEOF: %T cannot half-close: %w", w.conn, errors.ErrUnsupported)
	}
	w.state = halfClosed
	if err := w.awaitLocked(nil, w.sentAllLocked, w.callEndLocked()); err != nil {
		return err
	}
	return cw.CloseWrite()
}

// sentAllLocked reports whether every byte written has been handed to the
// kernel and nobody is sending.
func (w *Writer) sentAllLocked() bool { return w.q.size() == 0 && !w.tok.held }

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
		w.unlock()
		<-ch
		return w.closeErr
	}
	w.closeDone = make(chan struct{})
	w.state = closing
	ctx, cancel := context.WithTimeout(context.Background(), w.closeTimeout)
	flushErr := w.awaitLocked(ctx.Done(), w.sentAllLocked, w.callEndLocked())
	cancel()
	aborted := w.state == closed
	switch {
	case aborted:
		flushErr = errAborted
	case flushErr == errStopped:
		flushErr = fmt.Errorf("netx: Close: %d bytes still unsent after %v: %w", w.q.size(), w.closeTimeout, os.ErrDeadlineExceeded)
	}
	w.state = closed
	w.dropLocked()
	conn := w.conn
	w.unlock()

	var cerr error
	if aborted {
		cerr = errAborted
	} else {
		cerr = conn.Close()
	}
	w.wg.Wait()

	w.mu.Lock()
	defer w.unlock()
	w.dropLocked()
	w.closeErr = cerr
	if flushErr != nil {
		w.closeErr = flushErr
	}
	close(w.closeDone)
	return w.closeErr
}

// Abort closes the connection at once and drops the bytes not yet handed to
// the kernel (asyncio's transport.abort). Bytes the kernel already holds
// still go out, as with asyncio. Abort joins every goroutine the Writer
// started; it also cuts short a Close that is waiting for the buffer to
// drain, which then returns an error. Abort is idempotent; it returns the
// error from closing the connection, or nil if it was already closed.
func (w *Writer) Abort() error {
	w.mu.Lock()
	if w.state == closed {
		ch := w.closeDone
		w.unlock()
		if ch != nil {
			<-ch
		}
		return nil
	}
	w.state = closed
	mine := w.closeDone == nil
	if mine {
		w.closeDone = make(chan struct{})
	}
	w.dropLocked()
	conn := w.conn
	w.unlock()

	err := conn.Close()
	if w.wd.timedOut.Load() {
		err = nil // the write timeout closed it already
	}
	w.wg.Wait()
	if !mine {
		// A Close is in progress: it finishes once it sees the state closed.
		return err
	}
	w.mu.Lock()
	defer w.unlock()
	w.dropLocked()
	w.closeErr = err
	close(w.closeDone)
	return err
}

// dropLocked drops the queued bytes that nobody is sending, and wakes every
// waiter: for Close and Abort.
func (w *Writer) dropLocked() {
	w.q.dropFill()
	if !w.tok.held {
		w.q.dropAll()
	}
	w.changes.broadcast()
}
