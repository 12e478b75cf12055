// Package readbuf is the read buffer of one stream, shared by the readers
// built on it: a bufio2.Reader and every frame.Reader over that Reader
// decode in the same bytes. Nothing is read ahead twice, and nothing is
// lost when a protocol switches from one framing to another (an HTTP head
// then its body, a PostgreSQL startup message then typed messages, a
// STARTTLS greeting then TLS).
//
// A [Buffer] is owned by a bufio2.Reader; package frame reaches the Buffer
// of the *bufio2.Reader it is given through [Of], which bufio2 sets. Every
// change to the buffered data goes through two chokepoints: [Buffer.Fill],
// the only place that reads from the source into the buffer, and
// [Buffer.Consume] (with [Buffer.Take] and the direct reads that account
// for bytes that bypass the buffer). Positions that must survive a Fill are
// kept as stream positions ([Buffer.Pos]), which no Fill changes, rather
// than as indexes into Buf, which a Fill may move.
package readbuf

import (
	"bytes"
	"io"
)

// MinSize is the size of the first buffer a Buffer takes, and the smallest
// it shrinks to.
const MinSize = 4096

// maxEmptyReads is how many reads in a row may return (0, nil) before the
// Buffer gives up with io.ErrNoProgress, as bufio does.
const maxEmptyReads = 100

// Of returns the Buffer of r if r is a *bufio2.Reader, else nil. Package
// bufio2 sets it when it is initialized.
var Of func(r io.Reader) *Buffer

// lazySource and readStarter are bufio2.LazySource and bufio2.ReadStarter
// (see their documentation there), declared again here because bufio2
// imports this package.
type lazySource interface {
	io.Reader
	ReadLazy(get func() []byte, release func()) (n int, err error)
}

type readStarter interface {
	io.Reader
	StartRead(fresh bool)
}

// A Buffer is the buffered read side of one stream: the bytes read from
// the source and not yet consumed, and what is known of the source (it
// ended, it failed). It is not safe for concurrent use.
type Buffer struct {
	// Buf[R:W] is the data read from the source and not yet consumed.
	// Buf is nil when the Buffer holds no memory (an idle reader over a
	// lazy source). Readers read these fields directly on their fast
	// paths; only Fill, Consume, Take and the methods that say so change
	// them.
	Buf  []byte
	R, W int

	// EOF reports that the source returned io.EOF: Buf[R:W] is the rest of
	// the stream, and the source is not read again.
	EOF bool
	// Gen counts the calls to Reset. Stream positions from before a Reset
	// mean nothing after it.
	Gen uint32
	// Err is an error from the source not yet returned to a caller (see
	// TakeErr). While it is set the source is not read.
	Err error

	// Limit is the bufio2.Reader's limit. It bounds the separator reads,
	// and a Fill may grow the buffer to Limit at once when a read needs
	// that much; beyond the limit the buffer grows only as bytes arrive.
	Limit int

	// LastByte is the last byte consumed, for bufio2's UnreadByte; -1 if
	// it cannot be put back.
	LastByte int
	// Skipping reports that an overlong line is being discarded through
	// its '\n' (bufio2.ReadLine): the next call of any kind finishes it
	// first (Begin).
	Skipping bool
	// The call in progress (Begin): whether it has read from the source
	// yet, and whether it began with nothing buffered.
	started, fresh bool

	off   int64 // the stream position of Buf[0]
	src   io.Reader
	lazy  lazySource  // src, if it is one
	start readStarter // src, if it is one
	bufp  *[]byte     // Buf as the pools hold it, or nil

	// Sizing (see resize): the size of the next buffer taken after the
	// buffer was given back or emptied, and the most bytes the buffer has
	// held since then.
	size, peak int
	// full counts the reads in a row that filled at least half the
	// buffer, all the room offered: the source keeps it full, and a larger
	// buffer (up to FullGrowMax, or Limit for a lazy source) takes fewer
	// reads and fewer copies (makeRoom, lazyRoom).
	// A lazy read that fills the whole buffer counts as two at once
	// (lazyRoom): a socket that had that much ready likely has more.
	full int

	get     func() []byte // b.getLazy and releaseFunc's, for ReadLazy
	release func()
	exact   int // during a lazy Fill: the most bytes get offers, or 0 for all (see Fill)
}

// Init makes b an empty Buffer over src with the given limit.
func (b *Buffer) Init(src io.Reader, limit int) {
	b.Limit = limit
	b.get, b.release = b.getLazy, b.releaseFunc()
	b.Reset(src)
}

// Reset discards the buffered data and all state and makes b read from
// src, from stream position 0.
func (b *Buffer) Reset(src io.Reader) {
	b.src = src
	b.lazy, _ = src.(lazySource)
	b.start, _ = src.(readStarter)
	b.setBuf(nil)
	b.R, b.W, b.off = 0, 0, 0
	b.EOF, b.Err = false, nil
	b.LastByte = -1
	b.Skipping = false
	b.started, b.fresh = false, false
	b.size, b.peak, b.full = 0, 0, 0
	b.Gen++
}

// Pos returns the stream position of the next unread byte, Buf[R]: the
// number of bytes consumed since the last Reset.
func (b *Buffer) Pos() int64 { return b.off + int64(b.R) }

// At returns the index in Buf of stream position pos, which must lie in
// the buffered data or at its end.
func (b *Buffer) At(pos int64) int { return int(pos - b.off) }

// Buffered returns the number of unread bytes in the buffer.
func (b *Buffer) Buffered() int { return b.W - b.R }

// Data returns the unread bytes, valid until the next change to the
// buffer.
func (b *Buffer) Data() []byte { return b.Buf[b.R:b.W] }

// Begin starts a call that may read from the source. Every call that reads
// goes through it, after its fast path (a call served from the buffer
// needs no Begin): it finishes the skip of an overlong line that an
// earlier call could not finish, and it arms the notice that a ReadStarter
// source gets before the call's first read.
func (b *Buffer) Begin() error {
	b.started = false
	b.fresh = b.R == b.W && !b.Skipping
	if b.Skipping {
		return b.SkipLine()
	}
	return nil
}

// startRead is called before every read from the source: the first one of
// a call tells a ReadStarter.
func (b *Buffer) startRead() {
	if !b.started {
		b.started = true
		if b.start != nil {
			b.start.StartRead(b.fresh)
		}
	}
}

// Stopped reports whether the source will not be read now: it ended, or
// an error from it waits to be returned.
func (b *Buffer) Stopped() bool { return b.EOF || b.Err != nil }

// TakeErr returns the pending error from the source and clears it, so
// that the next read tries the source again.
func (b *Buffer) TakeErr() error {
	err := b.Err
	b.Err = nil
	return err
}

// Fill reads from the source once, into the buffer, after making room.
// need is how many unread bytes the caller wants the buffer to hold; the
// buffer grows towards it by doubling (at once up to Limit), never past
// most, and never to more than twice what it holds beyond Limit: memory
// follows the bytes that arrive, not a count that the stream declares.
// Fill must not be called while Stopped.
//
// When need exceeds what is buffered by MinSize or more, Fill reads no
// further than need: a large frame or block is read exactly, so that it
// ends where the buffer's data ends and the next one does not straddle it
// (which would cost a copy to make it contiguous). Otherwise Fill reads as
// much as the buffer has room for.
//
// A read that returns data and an error keeps both: the data is buffered,
// io.EOF sets EOF, and any other error is kept in Err for the caller to
// return once it has used the data.
func (b *Buffer) Fill(need, most int) {
	if b.src == nil {
		panic(errNoSource)
	}
	b.startRead()
	var p []byte // nil: the lazy source's ReadLazy
	if b.R == b.W && b.lazy != nil {
		b.lazyRoom(need)
	} else {
		p = b.room(need, most)
	}
	n, err := b.readSource(p)
	switch {
	case p != nil && n == len(p) && 2*len(p) >= len(b.Buf):
		b.full++ // the source had more than the room offered
	case p == nil && b.exact == 0 && n > 0 && n == len(b.Buf):
		// A lazy read that filled the whole buffer: the socket had at
		// least that much ready, and likely more. The next lazy Fill
		// reads into one twice the size (lazyRoom).
		b.full = 2
	default:
		b.full = 0
	}
	b.exact = 0
	b.W += n
	b.peak = max(b.peak, b.W)
	b.setErr(err)
}

// room readies the buffer for a Fill from a source that reads into it, and
// returns the space to read into.
func (b *Buffer) room(need, most int) []byte {
	b.makeRoom(need, most)
	if b.W == len(b.Buf) {
		panic("readbuf: Fill: no room")
	}
	if need-b.W >= MinSize && need < len(b.Buf) {
		return b.Buf[b.W:need] // makeRoom moved the data to the start
	}
	return b.Buf[b.W:]
}

// lazyRoom readies an empty buffer for a Fill from a lazy source, which
// takes a buffer (get) only once it has data and gives it back (release)
// before it waits, so that a reader waiting for data holds no buffer.
func (b *Buffer) lazyRoom(need int) {
	b.rewind()
	b.exact = 0
	if b.full >= 2 && b.Buf != nil && 2*len(b.Buf) <= b.Limit {
		// The source keeps the buffer full (see Fill): a larger one takes
		// fewer reads. Waiting gives it back, and the buffer taken after
		// the wait is sized to what the reads used (releaseFunc).
		b.setBuf(takeBuf(2 * len(b.Buf)))
	}
	b.full = 0
	if need >= MinSize {
		b.exact = need
	}
}

// errNoSource is the panic of a read from a zero bufio2.Reader.
const errNoSource = "bufio2: read from a Reader with no source: make it with NewReader or NewReaderLimit, or give it one with Reset"

// WriteSourceTo hands the rest of the stream to the source's WriteTo, if
// the source has one and the buffer is empty, and reports whether it did;
// the stream has then ended unless WriteTo failed. For bufio2's WriteTo,
// so that io.Copy through a Reader goes as fast as the source allows.
func (b *Buffer) WriteSourceTo(w io.Writer) (n int64, ok bool, err error) {
	wt, ok := b.src.(io.WriterTo)
	if !ok || b.R != b.W {
		return 0, false, nil
	}
	b.startRead()
	n, err = wt.WriteTo(w)
	b.rewind()
	b.off += n
	if err == nil {
		b.EOF = true // WriteTo copies until EOF
	}
	return n, true, err
}

// readSource reads from the source into p, or, if p is nil, from the lazy
// source into the buffer that get hands out; it retries empty reads and
// returns io.ErrNoProgress after maxEmptyReads of them. It is the only
// code that reads from the source. (A read that waits has Fill, readSource
// and the source's own frames below the reader's: keep them small.)
func (b *Buffer) readSource(p []byte) (int, error) {
	for range maxEmptyReads {
		var n int
		var err error
		if p == nil {
			n, err = b.lazy.ReadLazy(b.get, b.release)
			if n < 0 || n > len(b.Buf) {
				panic("bufio2: source returned an invalid count from ReadLazy")
			}
		} else {
			n, err = b.src.Read(p)
			if n < 0 || n > len(p) {
				panic("bufio2: source returned an invalid count from Read")
			}
		}
		if n > 0 || err != nil {
			return n, err
		}
	}
	return 0, io.ErrNoProgress
}

func (b *Buffer) setErr(err error) {
	switch {
	case err == nil:
	case err == io.EOF:
		b.EOF = true
	default:
		b.Err = err
	}
}

// ReadDirect reads from the source straight into p, bypassing the buffer,
// which must be empty: for reads larger than the buffer. It accounts for
// the bytes in the stream position, and keeps the source's end or error
// as Fill does; it returns the count and whether the source is now
// Stopped.
func (b *Buffer) ReadDirect(p []byte) int {
	if b.R != b.W {
		panic("readbuf: ReadDirect with data buffered")
	}
	if b.src == nil {
		panic(errNoSource)
	}
	b.startRead()
	n, err := b.readSource(p)
	b.rewind()
	b.off += int64(n)
	b.setErr(err)
	return n
}

// rewind empties the buffer's bookkeeping once it holds no unread data, so
// that the next read fills it from the start.
func (b *Buffer) rewind() {
	b.off += int64(b.R)
	b.R, b.W = 0, 0
}

// FullGrowMax is the largest buffer that a plain source (an io.Reader that
// reads into the buffer) keeping it full grows it to. Past it, bigger
// reads save little against the cost of copying out of a buffer larger
// than the processor's first-level cache: with 32 or 64 KiB, 1 KiB
// ReadExactlyInto calls from an in-memory source ran at 0.68-0.74x of
// bufio.Reader + io.ReadFull, with 16 KiB at 0.94x (BenchmarkReadExactly).
// A lazy source (a netx connection) still grows to the limit: a socket
// that fills the buffer at every read saves a system call a read.
const FullGrowMax = 16 << 10

// makeRoom moves the unread data to the start of the buffer and grows the
// buffer if it cannot hold need bytes (see Fill). An empty buffer is first
// sized to what recent reads used (resize).
func (b *Buffer) makeRoom(need, most int) {
	// The source keeps the buffer full: move the data into one twice the
	// size, for the cost of the copy that compacting would take anyway;
	// up to FullGrowMax (a lazy source's reads grow to the limit).
	grow := b.full >= 2 && 2*len(b.Buf) <= min(b.Limit, most, FullGrowMax)
	switch {
	case b.R == b.W:
		b.rewind()
		b.resize(min(need, b.Limit, most))
		if grow {
			b.setBuf(takeBuf(2 * len(b.Buf)))
		}
	case grow:
		p := takeBuf(2 * len(b.Buf))
		b.off += int64(b.R)
		b.W = copy(*p, b.Buf[b.R:b.W])
		b.R = 0
		b.setBuf(p)
	case b.R > 0:
		copy(b.Buf, b.Buf[b.R:b.W])
		b.off += int64(b.R)
		b.W -= b.R
		b.R = 0
	}
	if grow {
		b.full = 0
	}
	if need <= len(b.Buf) || (b.W < len(b.Buf) && need > b.Limit) {
		// Room enough; or room to read into, and need is a count that only
		// the bytes that arrive will justify.
		return
	}
	n := max(2*len(b.Buf), MinSize)
	if need > n && need <= b.Limit {
		n = need
	}
	n = max(min(n, most), b.W+1)
	if c := classSize(n); b.lazy != nil && c <= min(most, b.Limit) {
		// A lazy source gives the buffer back at its next wait: at a
		// pooled size, it is reused rather than allocated and cleared
		// afresh for each large frame (whose allocation, through the
		// runtime's large-object path, would also be the deepest call of
		// an idle handler's read: see netx's lazyReader.rawRead).
		n = c
	}
	p := takeBuf(n)
	copy(*p, b.Buf[:b.W])
	b.setBuf(p)
}

// resize readies an empty buffer for a read that needs need bytes: it
// takes one if there is none, and shrinks one that the reads since the
// last resize used less than a quarter of (nextSize). A buffer too small
// for need is grown by makeRoom.
func (b *Buffer) resize(need int) {
	switch {
	case b.Buf == nil:
		b.setBuf(takeBuf(max(need, b.size, MinSize)))
	case b.peak <= len(b.Buf)/4 && len(b.Buf) > MinSize:
		if n := max(need, nextSize(len(b.Buf), b.peak)); n < len(b.Buf) {
			b.setBuf(takeBuf(n))
		}
	}
	b.peak = 0
}

// Ensure reads until at least n bytes are buffered, growing the buffer up
// to most, or until the source stops. It reports whether n bytes are
// buffered.
func (b *Buffer) Ensure(n, most int) bool {
	for b.W-b.R < n {
		if b.Stopped() {
			return false
		}
		b.Fill(n, most)
	}
	return true
}

// Consume moves past n buffered bytes.
func (b *Buffer) Consume(n int) { b.R += n }

// Take consumes the buffered data up to index end and returns it; it
// remembers its last byte for UnreadByte.
func (b *Buffer) Take(end int) []byte {
	p := b.Buf[b.R:end]
	b.R = end
	if len(p) > 0 {
		b.LastByte = int(p[len(p)-1])
	}
	return p
}

// Discard consumes up to n bytes, reading through the buffer without
// growing it, and returns how many it consumed; it stops early when the
// source stops.
func (b *Buffer) Discard(n int64) int64 {
	var done int64
	for {
		skip := int(min(int64(b.W-b.R), n-done))
		b.R += skip
		done += int64(skip)
		if done == n || b.Stopped() {
			return done
		}
		b.Fill(1, b.keep())
	}
}

// Unread puts p, the bytes consumed just before the current position,
// back in front of the stream. It is how a read that fails part way loses
// nothing. The buffer may grow to hold p; it shrinks again once it is
// empty.
func (b *Buffer) Unread(p []byte) {
	if len(p) == 0 {
		return
	}
	if b.R == b.W {
		b.rewind()
	}
	if b.R < len(p) {
		n := b.W - b.R
		q := takeBuf(max(len(p)+n, MinSize))
		copy((*q)[len(p):], b.Buf[b.R:b.W])
		b.off += int64(b.R) - int64(len(p))
		b.setBuf(q)
		b.R, b.W = len(p), len(p)+n
	}
	b.R -= len(p)
	copy(b.Buf[b.R:], p)
}

// SkipLine discards data through the next '\n' or to the end of the
// stream, without growing the buffer: the rest of a line that a read found
// too long. If the source fails first, it returns the source's error and
// leaves Skipping set, so that the next call of any kind goes on with it
// (Begin): whatever the interruptions, the line is gone.
func (b *Buffer) SkipLine() error {
	b.Skipping = true
	for !b.SkipBuffered() {
		if b.EOF {
			b.Skipping = false
			return nil
		}
		if b.Err != nil {
			return b.TakeErr()
		}
		b.Fill(1, b.keep())
	}
	return nil
}

// keep is the most for a Fill that must not grow the buffer: a read that
// discards what it reads.
func (b *Buffer) keep() int { return max(len(b.Buf), MinSize) }

// SkipBuffered discards what is buffered of a line being skipped, without
// reading, and reports whether the skip is done. It is for calls that must
// not read, such as Buffered.
func (b *Buffer) SkipBuffered() bool {
	if i := bytes.IndexByte(b.Buf[b.R:b.W], '\n'); i >= 0 {
		b.R += i + 1
		b.Skipping = false
		return true
	}
	b.R = b.W
	return false
}
