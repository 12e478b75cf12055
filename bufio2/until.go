package bufio2

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/streamkit/streamkit/errs"
)

// errPartial is returned inside the package when a separator read meets the
// end of the stream with data buffered but no separator. Each caller turns it
// into its own result (an IncompleteReadError, or ReadLine's last line).
var errPartial = errors.New("bufio2: partial data at EOF")

var newline = []byte{'\n'}

// ReadUntil reads until the first occurrence of sep and returns the data,
// separator included (asyncio's readuntil). The result is the caller's to
// keep. ReadUntil panics if sep is empty.
//
// ReadUntil returns err == nil if and only if the data ends with sep. If the
// stream ends with nothing buffered, it returns io.EOF; if it ends with data
// buffered but no separator, it returns *errs.IncompleteReadError holding
// all of that data, and the buffer is emptied.
//
// If the data before the separator would be longer than the limit, ReadUntil
// returns *errs.LimitOverrunError and leaves the data buffered, so that it
// can be read again (for example with ReadExactly(Consumed)). The limit
// counts the data before the separator, not the separator. Whether a read
// overruns does not depend on how the stream is chunked.
func (b *Reader) ReadUntil(sep []byte) ([]byte, error) {
	line, err := b.ReadUntilSlice(sep)
	if err != nil {
		return nil, err
	}
	return clone(line), nil
}

// ReadUntilSlice is [Reader.ReadUntil] without the copy: the returned slice
// points into the Reader's buffer and is valid only until the next call on
// the Reader.
func (b *Reader) ReadUntilSlice(sep []byte) ([]byte, error) {
	if len(sep) == 0 {
		panic("bufio2: ReadUntil: empty separator")
	}
	if b.skipping {
		// begin, below, finishes the skip.
	} else if len(sep) == 1 {
		// The common cases, without a call: a separator of one byte
		// ("\n") or two ("\r\n") whose first candidate in the buffer
		// matches, within the limit.
		if i := bytes.IndexByte(b.buf[b.r:b.w], sep[0]); i >= 0 && i <= b.limit {
			return b.take(b.r + i + 1), nil
		}
	} else if len(sep) == 2 && b.w-b.r >= 2 {
		i := bytes.IndexByte(b.buf[b.r+1:b.w], sep[1])
		if i >= 0 && i <= b.limit && b.buf[b.r+i] == sep[0] {
			return b.take(b.r + i + 2), nil
		}
	}
	if err := b.begin(); err != nil {
		return nil, err
	}
	end, err := b.untilOne(sep)
	if err != nil {
		return nil, b.untilError(err)
	}
	return b.take(end), nil
}

// ReadUntilAny reads until the first match of any of seps and returns the
// data, the matched separator included (asyncio 3.13's readuntil with a
// tuple). The match that ends first wins; of two that end at the same byte,
// the shorter wins. The limit applies to the data before the winning match:
// with limit 3, ReadUntilAny on "abc\r\n" with seps "\n" and "\r\n"
// overruns (the winner is "\n", after 4 bytes), as asyncio's does, although
// ReadUntil("\r\n") would succeed.
//
// Otherwise ReadUntilAny behaves as [Reader.ReadUntil], with the longest
// separator standing in for sep in the limit rules. It panics if seps is
// empty or holds an empty separator.
func (b *Reader) ReadUntilAny(seps ...[]byte) ([]byte, error) {
	line, err := b.ReadUntilAnySlice(seps...)
	if err != nil {
		return nil, err
	}
	return clone(line), nil
}

// ReadUntilAnySlice is [Reader.ReadUntilAny] without the copy: the returned
// slice points into the Reader's buffer and is valid only until the next call
// on the Reader.
func (b *Reader) ReadUntilAnySlice(seps ...[]byte) ([]byte, error) {
	if b.skipping {
		// begin, below, finishes the skip.
	} else if set := &b.seps; set.fast && set.describes(seps) {
		// The common case, without a call: the byte that won the last
		// search comes first again, and a separator ends there, within
		// the limit.
		if e := set.fastIndex(b.buf[:b.w], b.r+set.minLen-1); e >= 0 {
			n := 1
			if !set.one[set.win] {
				n = set.match(seps, b.buf[b.r:e+1], set.win)
			}
			if n > 0 && e+1-n-b.r <= b.limit {
				return b.take(e + 1), nil
			}
		}
	}
	if err := b.begin(); err != nil {
		return nil, err
	}
	end, err := b.untilAny(seps)
	if err != nil {
		return nil, b.untilError(err)
	}
	return b.take(end), nil
}

// take consumes the buffered data up to end, a separator's end, and
// returns it.
func (b *Reader) take(end int) []byte {
	line := b.buf[b.r:end]
	b.r = end
	b.lastByte = int(line[len(line)-1])
	return line
}

// untilError turns a failed separator search into ReadUntil's error.
func (b *Reader) untilError(err error) error {
	if err == errPartial {
		partial := clone(b.buf[b.r:b.w])
		b.r = b.w
		b.lastByte = -1
		return &errs.IncompleteReadError{Partial: partial, Expected: -1}
	}
	return err
}

// ReadLine reads one line, up to and including its '\n' (asyncio's
// readline). The result is the caller's to keep. A last line without '\n' is
// returned with err == nil, and the next call returns io.EOF.
//
// If the line (without its '\n') is longer than the limit, ReadLine returns
// *errs.LimitOverrunError and discards the whole line through its '\n',
// reading on as needed in O(limit) memory, so that the next call starts at
// the next line whatever the chunking. (asyncio discards only what happens
// to be buffered.) If the source fails while the line is being discarded, the
// error also wraps the source's error, and the next read of any kind goes on
// discarding before it reads.
func (b *Reader) ReadLine() ([]byte, error) {
	line, err := b.ReadLineSlice()
	if err != nil {
		return nil, err
	}
	return clone(line), nil
}

// ReadLineSlice is [Reader.ReadLine] without the copy: the returned slice
// points into the Reader's buffer and is valid only until the next call on
// the Reader.
func (b *Reader) ReadLineSlice() ([]byte, error) {
	if !b.skipping {
		if i := bytes.IndexByte(b.buf[b.r:b.w], '\n'); i >= 0 && i <= b.limit {
			// The common case, without a call: a line that is buffered.
			return b.take(b.r + i + 1), nil
		}
	}
	if err := b.begin(); err != nil {
		return nil, err
	}
	end, err := b.untilOne(newline)
	switch {
	case err == nil:
		return b.take(end), nil
	case err == errPartial:
		return b.take(b.w), nil
	}
	var over *errs.LimitOverrunError
	if errors.As(err, &over) {
		b.lastByte = -1
		b.skipping = true
		if serr := b.skipLine(); serr != nil {
			return nil, fmt.Errorf("%w (and while discarding the line: %w)", err, serr)
		}
	}
	return nil, err
}

// skipLine discards data through the next '\n' or to the end of the stream,
// without growing the buffer: the rest of a line that ReadLine found too
// long. It returns the source's error if that stops it, and then leaves
// b.skipping set, so that the next read of any kind finishes the job before
// it reads: whatever the interruptions, the line is gone.
func (b *Reader) skipLine() error {
	for !b.skipBuffered() {
		if b.eof {
			b.skipping = false
			return nil
		}
		if b.err != nil {
			return b.readErr()
		}
		b.fill(1, b.limit)
	}
	return nil
}

// skipBuffered discards what is buffered of a line being skipped, without
// reading, and reports whether the skip is done.
func (b *Reader) skipBuffered() bool {
	if i := bytes.IndexByte(b.buf[b.r:b.w], '\n'); i >= 0 {
		b.r += i + 1
		b.skipping = false
		return true
	}
	b.r = b.w
	return false
}

// untilOne finds the first occurrence of sep in the stream. On success it
// returns the end of the match in b.buf; the data to return is b.buf[b.r:end].
// It returns errPartial at EOF with data buffered and no separator.
//
// The search looks for the separator's last byte and then checks the bytes
// before it, so a multi-byte separator costs one pass over the data.
func (b *Reader) untilOne(sep []byte) (end int, err error) {
	n := len(sep)
	last, head := sep[n-1], sep[:n-1]
	// pos is the next position where the separator's last byte could be.
	pos := b.r + n - 1
	for {
		for pos < b.w {
			i := bytes.IndexByte(b.buf[pos:b.w], last)
			if i < 0 {
				pos = b.w
				break
			}
			e := pos + i
			start := e + 1 - n
			if n == 1 || n == 2 && b.buf[start] == head[0] || n > 2 && string(b.buf[start:e]) == string(head) {
				if start-b.r > b.limit {
					return 0, b.overrun(start-b.r, true)
				}
				return e + 1, nil
			}
			pos = e + 1
		}
		if err := b.notFound(n); err != nil {
			return 0, err
		}
		pos -= b.fill(b.w-b.r+1, b.limit+n)
	}
}

// maxLastBytes is how many distinct last bytes of separators untilAny
// follows with IndexByte and its cache; with more, it tests each byte
// against a table.
const maxLastBytes = 8

// untilAny finds the first match of any of seps: the one that ends first,
// the shortest of those that end at the same byte. Results are as untilOne's.
func (b *Reader) untilAny(seps [][]byte) (end int, err error) {
	if len(seps) == 0 {
		panic("bufio2: ReadUntilAny: no separator")
	}
	if len(seps) == 1 {
		if len(seps[0]) == 0 {
			panic("bufio2: ReadUntilAny: empty separator")
		}
		return b.untilOne(seps[0])
	}
	set := &b.seps
	if !set.describes(seps) {
		set.build(seps)
	}
	// pos is the next position where a separator could end.
	pos := b.r + set.minLen - 1
	for {
		for pos < b.w {
			e, last := set.index(b.buf[:b.w], pos)
			if e < 0 {
				pos = b.w
				break
			}
			if best := set.match(seps, b.buf[b.r:e+1], last); best > 0 {
				if start := e + 1 - best; start-b.r > b.limit {
					return 0, b.overrun(start-b.r, true)
				}
				return e + 1, nil
			}
			pos = e + 1
		}
		if err := b.notFound(set.maxLen); err != nil {
			return 0, err
		}
		pos -= b.fill(b.w-b.r+1, b.limit+set.maxLen)
	}
}

// notFound decides what a separator search does when the buffer holds no
// match: it returns the error that ends the search, or nil to read more.
//
// This is asyncio's rule for a stream given all at once. With no match in
// the buffer, any later match ends past it, so it starts at least
// Buffered()+1-maxLen bytes in; once that is past the limit, the read
// overruns whatever comes next, and whatever the chunking.
func (b *Reader) notFound(maxLen int) error {
	if consumed := b.w - b.r + 1 - maxLen; consumed > b.limit {
		return b.overrun(consumed, false)
	}
	if b.eof {
		if b.r == b.w {
			return io.EOF
		}
		return errPartial
	}
	if b.err != nil {
		return b.readErr()
	}
	return nil
}

func (b *Reader) overrun(consumed int, found bool) error {
	b.lastByte = -1
	return &errs.LimitOverrunError{Consumed: consumed, Limit: b.limit, Found: found}
}

// sepSet is what untilAny needs to know about a set of separators: their
// lengths and the distinct bytes they end with. It depends only on each
// separator's length and last byte, so it is kept across calls and rebuilt
// only when those change.
//
// It also remembers, across calls, where each last byte next occurs in the
// buffer, so that a read does not scan the data ahead of its match again for
// the separators that did not win: next[i] says that lasts[i] does not occur
// in buf[lo:hi], and, if found, that buf[hi] is lasts[i]. And it remembers
// which last byte won the previous search and the bound before which no
// other last byte occurs, so that the next search is one IndexByte, as for a
// single separator, while the winner stays the same.
type sepSet struct {
	lens  []int  // len of each separator described
	ends  []byte // last byte of each separator described
	valid bool

	minLen, maxLen int
	lasts          []byte       // the distinct last bytes
	table          *[256]uint16 // with more than maxLastBytes: 1 + index in lasts, or 0
	// order lists the separators by last byte, in the order of lasts, and
	// by length within each: those ending in lasts[i] are
	// order[group[i]:group[i+1]], shortest first.
	order []int
	group []int
	one   []bool // one[i]: lasts[i] alone is a separator, so it always matches
	next  [maxLastBytes]nextByte

	// The fast path: no last byte other than lasts[win] occurs in
	// buf[boundLo:bound]. Valid if fast.
	fast           bool
	win            int
	boundLo, bound int
}

type nextByte struct {
	valid, found bool
	lo, hi       int
}

// describes reports whether s was built for separators with the lengths and
// last bytes of seps.
func (s *sepSet) describes(seps [][]byte) bool {
	if !s.valid || len(seps) != len(s.lens) {
		return false
	}
	for i, sep := range seps {
		if len(sep) != s.lens[i] || len(sep) == 0 || sep[len(sep)-1] != s.ends[i] {
			return false
		}
	}
	return true
}

func (s *sepSet) build(seps [][]byte) {
	s.lens, s.ends, s.lasts = s.lens[:0], s.ends[:0], s.lasts[:0]
	s.minLen, s.maxLen, s.table = len(seps[0]), 0, nil
	for _, sep := range seps {
		if len(sep) == 0 {
			s.valid = false
			panic("bufio2: ReadUntilAny: empty separator")
		}
		c := sep[len(sep)-1]
		s.lens, s.ends = append(s.lens, len(sep)), append(s.ends, c)
		s.minLen, s.maxLen = min(s.minLen, len(sep)), max(s.maxLen, len(sep))
		if bytes.IndexByte(s.lasts, c) < 0 {
			s.lasts = append(s.lasts, c)
		}
	}
	if len(s.lasts) > maxLastBytes {
		s.table = new([256]uint16)
		for i, c := range s.lasts {
			s.table[c] = uint16(i + 1)
		}
	}
	// Group the separators by last byte, shortest first within a group.
	s.order, s.group, s.one = s.order[:0], append(s.group[:0], 0), s.one[:0]
	for _, c := range s.lasts {
		start := len(s.order)
		for k := range seps {
			if s.ends[k] != c {
				continue
			}
			s.order = append(s.order, k)
			for j := len(s.order) - 1; j > start && s.lens[s.order[j]] < s.lens[s.order[j-1]]; j-- {
				s.order[j], s.order[j-1] = s.order[j-1], s.order[j]
			}
		}
		s.group = append(s.group, len(s.order))
		s.one = append(s.one, s.lens[s.order[start]] == 1)
	}
	s.valid = true
	s.invalidate()
}

// index returns the first position at or after from in buf whose byte is
// the last byte of a separator, and that byte's index in lasts; or -1.
func (s *sepSet) index(buf []byte, from int) (pos, last int) {
	if s.table != nil {
		for i := from; i < len(buf); i++ {
			if j := s.table[buf[i]]; j != 0 {
				return i, int(j) - 1
			}
		}
		return -1, 0
	}
	if len(s.lasts) == 1 {
		if i := bytes.IndexByte(buf[from:], s.lasts[0]); i >= 0 {
			return from + i, 0
		}
		return -1, 0
	}
	if i := s.fastIndex(buf, from); i >= 0 {
		return i, s.win
	}
	// Each byte is searched to the end of the buffer, not only up to the
	// best so far: what is learned stays valid, so each byte is scanned
	// once per buffer fill, and the bound for the fast path is as far off as
	// it can be.
	best, win := -1, 0
	for i, c := range s.lasts {
		if p := s.next[i].index(buf, from, c); p >= 0 && (best < 0 || p < best) {
			best, win = p, i
		}
	}
	// Every entry now covers from; set up the fast path for the winner.
	s.fast, s.win, s.boundLo, s.bound = best >= 0, win, from, len(buf)
	for i := range s.lasts {
		if i != win {
			s.bound = min(s.bound, s.next[i].hi)
		}
	}
	return best, win
}

// fastIndex is index's fast path: the first position at or after from of
// the byte that won the last search, if no other last byte can come first;
// else -1.
func (s *sepSet) fastIndex(buf []byte, from int) int {
	if s.fast && from >= s.boundLo && from < s.bound {
		if i := bytes.IndexByte(buf[from:min(s.bound, len(buf))], s.lasts[s.win]); i >= 0 {
			return from + i
		}
	}
	return -1
}

// match returns the length of the shortest of seps that ends data, among
// those that end in lasts[last], or 0 if none does.
func (s *sepSet) match(seps [][]byte, data []byte, last int) int {
	for _, k := range s.order[s.group[last]:s.group[last+1]] {
		sep := seps[k]
		n := len(sep)
		if n > len(data) {
			break // this one and the longer ones start before the data
		}
		if n == 1 || string(data[len(data)-n:len(data)-1]) == string(sep[:n-1]) {
			return n
		}
	}
	return 0
}

// index returns the first position of c in buf[from:], or -1, and records
// what it learned.
func (e *nextByte) index(buf []byte, from int, c byte) int {
	if !e.valid || from < e.lo || from > e.hi {
		*e = nextByte{valid: true, lo: from, hi: from}
	}
	// Now c does not occur in buf[from:e.hi].
	if e.found {
		return e.hi
	}
	i := bytes.IndexByte(buf[e.hi:], c)
	if i < 0 {
		e.hi = len(buf)
		return -1
	}
	e.hi += i
	e.found = true
	return e.hi
}

// shift moves the recorded positions by d bytes towards the start of the
// buffer, as the buffered data moved; what is known about data that is gone
// is dropped.
func (s *sepSet) shift(d int) {
	if !s.valid {
		return // never used: nothing to move
	}
	s.boundLo, s.bound = max(s.boundLo-d, 0), s.bound-d
	for i := range s.lasts[:min(len(s.lasts), len(s.next))] {
		e := &s.next[i]
		e.lo, e.hi = max(e.lo-d, 0), e.hi-d
		if e.hi < 0 {
			e.valid = false
		}
	}
}

// invalidate forgets what is known about the buffer, for when its content
// is replaced.
func (s *sepSet) invalidate() {
	s.fast = false
	for i := range s.next {
		s.next[i].valid = false
	}
}

func clone(p []byte) []byte {
	q := make([]byte, len(p))
	copy(q, p)
	return q
}
