package bufio2

import (
	"errors"
	"io"
	"sync"
)

// maxIdleFeedBuffer is the largest buffer a drained Feed keeps for reuse.
const maxIdleFeedBuffer = 4 << 10

// ErrFeedClosed is returned by [Feed.Write] after the Feed was closed.
var ErrFeedClosed = errors.New("bufio2: write to closed Feed")

var (
	_ io.ReadWriteCloser = (*Feed)(nil)
	_ LazySource         = (*Feed)(nil)
)

// Feed is an io.Reader that a producer fills by hand: asyncio's
// feed_data, feed_eof and set_exception. Put a [Reader] on top of it to read
// lines and frames out of data that arrives by other means (a callback, a
// message queue, a test):
//
//	f := bufio2.NewFeed()
//	r := bufio2.NewReader(f)
//	go func() { f.Write(data); f.Close() }()
//	line, err := r.ReadLine()
//
// Write never blocks: the Feed buffers whatever it is given. To keep that
// buffer bounded, the producer asks to be told when to pause and resume with
// [Feed.SetFlowControl], as asyncio's StreamReader pauses its transport.
//
// A Feed is safe for one producer goroutine (Write, Close, CloseWithError)
// and one reader goroutine (Read) at the same time; Buffered may be called
// from either.
type Feed struct {
	mu     sync.Mutex
	ready  sync.Cond // signalled when data arrives or the Feed closes; L is &mu, set by the first wait
	buf    []byte
	off    int   // buf[off:] is unread
	closed bool  // Close or CloseWithError was called
	err    error // what Read returns once buf is drained: io.EOF or the producer's error

	limit  int // flow control: pause above 2*limit, resume at limit or below; 0 = off
	paused bool
	pause  func()
	resume func()
}

// NewFeed returns an empty, open Feed. The zero Feed is one too, ready to
// use; NewFeed is for code that prefers a constructor.
func NewFeed() *Feed { return &Feed{} }

// Write appends a copy of p to the Feed's buffer and wakes a waiting Read
// (feed_data). It never blocks. After Close or CloseWithError it returns
// ErrFeedClosed and stores nothing.
func (f *Feed) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0, ErrFeedClosed
	}
	if len(p) == 0 {
		return 0, nil
	}
	if f.off > 0 && len(f.buf)+len(p) > cap(f.buf) {
		// Reuse the space already read before growing.
		n := copy(f.buf, f.buf[f.off:])
		f.buf, f.off = f.buf[:n], 0
	}
	f.buf = append(f.buf, p...)
	f.ready.Signal()
	if f.limit > 0 && !f.paused && len(f.buf)-f.off > 2*f.limit {
		f.paused = true
		f.pause()
	}
	return len(p), nil
}

// Close marks the end of the stream (feed_eof): once the buffered data is
// read, Read returns io.EOF. Close after Close or CloseWithError does nothing.
// It always returns nil.
func (f *Feed) Close() error { return f.CloseWithError(nil) }

// CloseWithError ends the stream with an error (set_exception): once the
// buffered data is read, Read returns err. A nil err means io.EOF, as in
// Close. Unlike asyncio, which drops the buffered data, nothing already
// written is lost. Only the first Close or CloseWithError counts. It always
// returns nil.
func (f *Feed) CloseWithError(err error) error {
	if err == nil {
		err = io.EOF
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		f.closed, f.err = true, err
		f.ready.Signal()
	}
	return nil
}

// Read reads up to len(p) buffered bytes into p, waiting until there is at
// least one, or the Feed is closed. Once the Feed is closed and drained, Read
// returns io.EOF, or the error given to CloseWithError. If len(p) == 0, Read
// returns 0, nil at once.
func (f *Feed) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.waitLocked(); err != nil {
		return 0, err
	}
	return f.takeLocked(p), nil
}

// ReadLazy is Read for a [Reader] on top of the Feed ([LazySource]): when
// there is nothing to read it gives the Reader's buffer back before it
// waits, and takes one only once there is data to copy, so that a Reader
// waiting on an empty Feed holds no buffer.
func (f *Feed) ReadLazy(get func() []byte, release func()) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.off == len(f.buf) && !f.closed {
		release()
	}
	if err := f.waitLocked(); err != nil {
		return 0, err
	}
	return f.takeLocked(get()), nil
}

// waitLocked waits until there is data to read, and returns nil, or the
// Feed is closed and drained, and returns io.EOF or the producer's error.
func (f *Feed) waitLocked() error {
	for f.off == len(f.buf) && !f.closed {
		if f.ready.L == nil {
			f.ready.L = &f.mu // a zero Feed; only the reader waits, with f.mu held
		}
		f.ready.Wait()
	}
	if f.off == len(f.buf) {
		return f.err
	}
	return nil
}

// takeLocked moves buffered data into p, which must not be empty, and
// resumes the producer if the buffer drained far enough.
func (f *Feed) takeLocked(p []byte) int {
	n := copy(p, f.buf[f.off:])
	f.off += n
	if f.off == len(f.buf) {
		f.buf, f.off = f.buf[:0], 0
		if cap(f.buf) > maxIdleFeedBuffer {
			f.buf = nil // an idle Feed does not keep a burst's memory
		}
	}
	if f.paused && len(f.buf)-f.off <= f.limit {
		f.paused = false
		f.resume()
	}
	return n
}

// Buffered returns the number of bytes written and not yet read.
func (f *Feed) Buffered() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.buf) - f.off
}

// SetFlowControl asks the Feed to tell its producer when to stop and start
// writing, as asyncio's StreamReader pauses and resumes its transport: pause
// is called by the Write that leaves more than 2*limit bytes buffered, and
// resume by the Read that brings the buffer back to limit bytes or fewer.
// Pass the limit of the Reader that reads from the Feed ([Reader.Limit]).
//
// The calls alternate, starting with pause, and never overlap. They are made
// with the Feed's lock held, so they must return quickly and must not call
// the Feed's methods: set a flag, signal a channel, stop reading a socket.
// A limit <= 0 turns flow control off. Replacing the settings while paused
// first resumes through the old resume callback, then applies the new
// settings to what is buffered. It panics if pause or resume is nil while
// limit > 0.
func (f *Feed) SetFlowControl(limit int, pause, resume func()) {
	if limit > 0 && (pause == nil || resume == nil) {
		panic("bufio2: SetFlowControl: nil callback")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.paused {
		f.paused = false
		f.resume()
	}
	f.limit, f.pause, f.resume = max(limit, 0), pause, resume
	if f.limit > 0 && len(f.buf)-f.off > 2*f.limit {
		f.paused = true
		f.pause()
	}
}
