package bufio2

import (
	"math/bits"
	"sync"
)

// Buffers are shared through pools by size class: minBufferSize << c for c
// < numClasses, from 4 KiB to 1 MiB. A buffer of any other size (a limit
// plus a separator, say) is allocated and left to the garbage collector.
const numClasses = 9

var bufPools [numClasses]sync.Pool

// class returns the pool class of a buffer of size bytes, or -1.
func class(size int) int {
	if size < minBufferSize || size&(size-1) != 0 {
		return -1
	}
	c := bits.TrailingZeros(uint(size)) - bits.TrailingZeros(minBufferSize)
	if c >= numClasses {
		return -1
	}
	return c
}

// takeBuf returns a buffer of size bytes, from its pool when there is one.
// The buffer may hold another Reader's old data.
func takeBuf(size int) *[]byte {
	if c := class(size); c >= 0 {
		if p, _ := bufPools[c].Get().(*[]byte); p != nil {
			return p
		}
	}
	p := make([]byte, size)
	return &p
}

// giveBuf returns a buffer to its pool, if it has one.
func giveBuf(p *[]byte) {
	if c := class(len(*p)); c >= 0 {
		bufPools[c].Put(p)
	}
}

// setBuf makes p the Reader's buffer, giving the old one back.
func (b *Reader) setBuf(p *[]byte) {
	if b.bufp != nil {
		giveBuf(b.bufp)
	}
	b.bufp = p
	b.buf = nil
	if p != nil {
		b.buf = *p
	}
}

// dropBuf gives the buffer back; it must hold no data.
func (b *Reader) dropBuf() (shift int) {
	shift = b.r
	b.r, b.w = 0, 0
	b.seps.invalidate()
	b.setBuf(nil)
	return shift
}

// getLazy and releaseLazy are the get and release of ReadLazy. get hands
// out the Reader's own (empty) buffer if it has one, so that a source with
// data ready reads into it with no pool traffic; release, called when the
// source is about to wait, gives it back, and the next get takes one of
// lazySize bytes from the pool.
func (b *Reader) getLazy() []byte {
	if b.bufp == nil {
		b.setBuf(takeBuf(max(b.lazySize, minBufferSize)))
		b.peak = 0
	}
	return b.buf
}

func (b *Reader) releaseLazy() {
	if b.bufp != nil && b.peak > 0 {
		b.lazySize = nextLazySize(len(b.buf), b.peak)
	}
	b.setBuf(nil)
}

// nextLazySize returns the size of the buffer a Reader over a LazySource
// takes after a wait, given the size of the buffer it gives back and the
// most bytes that buffer held: the same size (rounded down to a pool class)
// if the data used more than a quarter of it, else half, down to the
// smallest. So a connection that receives 60 KiB messages reads each one
// into a buffer that holds it, in one read, rather than growing a small
// buffer again after every wait, while one whose messages shrink gives the
// large buffer up over a few waits. The buffer is the pool's again while
// the Reader waits, whatever its size: an idle Reader holds none.
func nextLazySize(size, peak int) int {
	c := max(minBufferSize, 1<<(bits.Len(uint(size))-1))
	c = min(c, minBufferSize<<(numClasses-1))
	if peak > c/4 {
		return c
	}
	return max(minBufferSize, c/2)
}

// emptyForLazy readies an empty buffer for a read from a LazySource,
// which holds no buffer while it waits, and returns how far the (empty)
// buffered data moved, as makeRoom does.
func (b *Reader) emptyForLazy() (shift int) {
	shift = b.r
	b.r, b.w = 0, 0
	b.seps.shift(shift)
	if len(b.buf) > b.limit+minBufferSize {
		b.setBuf(nil) // made large by unread: start small again
	}
	return shift
}
