package netx

import (
	"math/bits"
	"sync"
)

// Write buffers come from pools by size class, minBuffer << c for c <
// numBufClasses (4 KiB to 256 KiB), so that a Writer whose batches grow
// with the load does not allocate, and an idle Writer holds no buffer.
// Larger buffers are left to the garbage collector.
const (
	minBuffer     = 4 << 10
	numBufClasses = 7
)

var bufPools [numBufClasses]sync.Pool

// bufClass returns the class of the smallest pooled buffer that holds n
// bytes, or numBufClasses if none does.
func bufClass(n int) int {
	if n <= minBuffer {
		return 0
	}
	return bits.Len(uint(n-1)) - bits.Len(uint(minBuffer-1))
}

// getBuf returns an empty buffer with room for at least n bytes.
func getBuf(n int) *[]byte {
	c := bufClass(n)
	if c >= numBufClasses {
		b := make([]byte, 0, n)
		return &b
	}
	if p, _ := bufPools[c].Get().(*[]byte); p != nil {
		return p
	}
	b := make([]byte, 0, minBuffer<<c)
	return &b
}

// putBuf gives a buffer back to its pool, if it has one.
func putBuf(p *[]byte) {
	c := bufClass(cap(*p))
	if c >= numBufClasses || cap(*p) != minBuffer<<c {
		return
	}
	*p = (*p)[:0]
	bufPools[c].Put(p)
}

// sendQueue holds the bytes written to a [Writer] and not yet taken by the
// kernel, in order: first the batch that the holder of the send token is
// sending, then the bytes written since (fill), which the next send takes
// whole. A Write appends to fill, so each Write's bytes stay contiguous
// whatever the other writers do.
//
// It is guarded by the Writer's mu, with one exception: the holder of the
// send token reads the batch's bytes (the slice head returned) without mu
// while it sends them. Only the holder replaces or drops the batch.
type sendQueue struct {
	batch *[]byte // taken by the token holder; (*batch)[off:] is not sent yet; nil if none
	off   int
	fill  *[]byte // written since the batch was taken; nil if none
	lent  int     // bytes of callers' own slices being sent by a Write above the high-water mark
	n     int     // size(): every byte above
	hint  int     // bytes the last fill held when a send took it: the size of the next fill's buffer
}

// size is the number of bytes written and not yet taken by the kernel
// (asyncio's get_write_buffer_size).
func (q *sendQueue) size() int { return q.n }

// lend and unlend account for bytes sent from the caller's own slices.
func (q *sendQueue) lend(n int)   { q.lent += n; q.n += n }
func (q *sendQueue) unlend(n int) { q.lent -= n; q.n -= n }

// add appends p to the queue.
func (q *sendQueue) add(p []byte) {
	switch {
	case q.fill == nil:
		q.fill = getBuf(max(len(p), q.hint))
	case len(*q.fill)+len(p) > cap(*q.fill):
		b := getBuf(len(*q.fill) + len(p))
		*b = append(*b, *q.fill...)
		putBuf(q.fill)
		q.fill = b
	}
	*q.fill = append(*q.fill, p...)
	q.n += len(p)
}

// partial reports that the kernel took only part of the batch: the rest
// must wait for room in the socket.
func (q *sendQueue) partial() bool { return q.batch != nil }

// head returns the bytes the token holder sends next: the rest of the
// batch, or else all of fill, which becomes the batch. It returns nil when
// the queue is empty. For the token holder.
func (q *sendQueue) head() []byte {
	if q.batch == nil {
		if q.fill == nil {
			return nil
		}
		q.hint = len(*q.fill)
		q.batch, q.fill, q.off = q.fill, nil, 0
	}
	return (*q.batch)[q.off:]
}

// advance records that the kernel took n bytes of head. For the token
// holder.
func (q *sendQueue) advance(n int) {
	q.n -= n
	q.off += n
	if q.off == len(*q.batch) {
		putBuf(q.batch)
		q.batch, q.off = nil, 0
	}
}

// takeAll returns every queued byte as vectors appended to vec, for a
// Write above the high-water mark that sends them ahead of its own bytes,
// and empties the queue; the buffers go back to the pool with giveBack
// once sent. For the token holder.
func (q *sendQueue) takeAll(vec [][]byte) ([][]byte, [2]*[]byte) {
	var bufs [2]*[]byte
	if q.batch != nil {
		vec = append(vec, (*q.batch)[q.off:])
		q.lent += len(*q.batch) - q.off
		bufs[0] = q.batch
	}
	if q.fill != nil {
		vec = append(vec, *q.fill)
		q.lent += len(*q.fill)
		q.hint = len(*q.fill)
		bufs[1] = q.fill
	}
	q.batch, q.fill, q.off = nil, nil, 0
	return vec, bufs
}

func giveBack(bufs [2]*[]byte) {
	for _, b := range bufs {
		if b != nil {
			putBuf(b)
		}
	}
}

// dropFill drops the bytes no send has taken yet.
func (q *sendQueue) dropFill() {
	if q.fill != nil {
		q.n -= len(*q.fill)
		putBuf(q.fill)
		q.fill = nil
	}
}

// dropAll drops every queued byte. For the token holder, or when nobody
// holds the token.
func (q *sendQueue) dropAll() {
	q.dropFill()
	if q.batch != nil {
		q.n -= len(*q.batch) - q.off
		putBuf(q.batch)
		q.batch, q.off = nil, 0
	}
}
