package readbuf

import (
	"math/bits"
	"sync"
)

// Buffers are shared through pools by size class: MinSize << c for c <
// numClasses, from 4 KiB to 1 MiB. A buffer of any other size (a limit
// plus a separator, a large frame) is allocated and left to the garbage
// collector.
const numClasses = 9

// maxClass is the size of the largest pooled buffer.
const maxClass = MinSize << (numClasses - 1)

var pools [numClasses]sync.Pool

// class returns the pool class of a buffer of size bytes, or -1.
func class(size int) int {
	if size < MinSize || size&(size-1) != 0 {
		return -1
	}
	c := bits.TrailingZeros(uint(size)) - bits.TrailingZeros(MinSize)
	if c >= numClasses {
		return -1
	}
	return c
}

// classSize returns the size of the smallest pooled buffer that holds n
// bytes, or n if none does.
func classSize(n int) int {
	if n > maxClass {
		return n
	}
	return max(MinSize, 1<<bits.Len(uint(n-1)))
}

// takeBuf returns a buffer of size bytes, from its pool when there is one.
// The buffer may hold another reader's old data.
func takeBuf(size int) *[]byte {
	if c := class(size); c >= 0 {
		if p, _ := pools[c].Get().(*[]byte); p != nil {
			return p
		}
	}
	p := make([]byte, size)
	return &p
}

// giveBuf returns a buffer to its pool, if it has one.
func giveBuf(p *[]byte) {
	if c := class(len(*p)); c >= 0 {
		pools[c].Put(p)
	}
}

// setBuf makes p the buffer, giving the old one back. The caller keeps R
// and W right.
func (b *Buffer) setBuf(p *[]byte) {
	if b.bufp != nil {
		giveBuf(b.bufp)
	}
	b.bufp = p
	b.Buf = nil
	if p != nil {
		b.Buf = *p
	}
}

// getLazy and the closure releaseFunc returns are the get and release of
// ReadLazy. get hands out the Buffer's own (empty) buffer if it has one, so
// that a source with data ready reads into it with no pool traffic;
// release, called when the source is about to wait, gives it back, and the
// next get takes one of the size that recent reads used (nextSize) from
// the pool.
func (b *Buffer) getLazy() []byte {
	if b.bufp == nil {
		b.setBuf(takeBuf(max(b.size, MinSize, min(b.exact, b.Limit))))
		b.peak = 0
	}
	if b.exact > 0 && b.exact < len(b.Buf) {
		return b.Buf[:b.exact]
	}
	return b.Buf
}

// releaseFunc returns release with its body inside, rather than the method
// value of a method calling setBuf, whose wrapper and calls would add
// frames: a lazy source calls it at the deepest point of a read that is
// about to wait (see netx's lazyReader.rawRead), and a goroutine whose
// stack grows past its first 2 KB there keeps 4 KB while its connection
// idles.
func (b *Buffer) releaseFunc() func() {
	return func() {
		p := b.bufp
		if p == nil {
			return
		}
		if b.peak > 0 {
			b.size = nextSize(len(b.Buf), b.peak)
		}
		b.bufp, b.Buf = nil, nil
		if c := class(len(*p)); c >= 0 {
			pools[c].Put(p)
		}
	}
}

// nextSize returns the size of the buffer to use after one of size bytes
// that held at most peak bytes: the same size (rounded down to a pool
// class) if the data used more than a quarter of it, else half, down to
// MinSize. So a connection that receives 60 KiB messages reads each one
// into a buffer that holds it, in one read, rather than growing a small
// buffer again after every wait, while one whose messages shrink gives the
// large buffer up over a few waits.
func nextSize(size, peak int) int {
	c := max(MinSize, 1<<(bits.Len(uint(size))-1))
	c = min(c, maxClass)
	if peak > c/4 {
		return c
	}
	return max(MinSize, c/2)
}
