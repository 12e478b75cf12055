package readbuf

import (
	"bytes"
	"errors"
	"io"

	"github.com/streamkit/streamkit/errs"
)

// ErrPartial is returned by the separator searches when the stream ends
// with data buffered and no separator. Each caller turns it into its own
// result (an IncompleteReadError, ReadLine's last line, a codec's atEOF).
var ErrPartial = errors.New("bufio2: partial data at EOF")

// UntilOne finds the first occurrence of sep in the stream, from R,
// reading as needed, with bufio2.ReadUntil's rules: the data before the
// separator may be at most limit bytes. It returns the index in Buf just
// past the match; the data is Buf[R:end]. Its errors are io.EOF (the
// stream ended with nothing buffered), ErrPartial (it ended with data and
// no separator), *errs.LimitOverrunError, and the source's error.
//
// The search resumes where it stopped after each Fill: each byte is looked
// at about once, whatever the chunking, plus len(sep)-1 bytes again after
// each read.
func (b *Buffer) UntilOne(sep []byte, limit int) (end int, err error) {
	n := len(sep)
	// from is the stream position where the next match may start.
	from := b.Pos()
	for {
		i := b.At(from)
		var j int
		if n == 1 {
			j = bytes.IndexByte(b.Buf[i:b.W], sep[0])
		} else {
			j = bytes.Index(b.Buf[i:b.W], sep)
		}
		if j >= 0 {
			start := i + j
			if start-b.R > limit {
				return 0, b.overrun(start-b.R, limit, true)
			}
			return start + n, nil
		}
		if err := b.notFound(n, limit); err != nil {
			return 0, err
		}
		from = max(from, b.off+int64(b.W-(n-1)))
		b.Fill(b.W-b.R+1, limit+n)
	}
}

// notFound decides what a separator search does when the buffer holds no
// match: it returns the error that ends the search, or nil to read more.
//
// This is asyncio's rule for a stream given all at once. With no match in
// the buffer, any later match ends past it, so it starts at least
// Buffered()+1-maxLen bytes in; once that is past the limit, the read
// overruns whatever comes next, and whatever the chunking.
func (b *Buffer) notFound(maxLen, limit int) error {
	if consumed := b.W - b.R + 1 - maxLen; consumed > limit {
		return b.overrun(consumed, limit, false)
	}
	if b.EOF {
		if b.R == b.W {
			return io.EOF
		}
		return ErrPartial
	}
	if b.Err != nil {
		return b.TakeErr()
	}
	return nil
}

func (b *Buffer) overrun(consumed, limit int, found bool) error {
	b.LastByte = -1
	return &errs.LimitOverrunError{Consumed: consumed, Limit: limit, Found: found}
}

// UntilAny finds the first match of any of seps in the stream: the one
// that ends first, the shortest of those that end at the same byte. Its
// results are UntilOne's, with the longest separator standing in for sep
// in the limit rules. s holds what the search knows of the separators and
// of the stream between calls; keep one per reader.
func (b *Buffer) UntilAny(s *Search, seps [][]byte, limit int) (end int, err error) {
	if len(seps) == 1 {
		if len(seps[0]) == 0 {
			panic("bufio2: ReadUntilAny: empty separator")
		}
		return b.UntilOne(seps[0], limit)
	}
	s.prepare(b, seps)
	// scan is where the search goes on: for the filter, where the last
	// byte of the next match may be; for the automaton, the next byte it
	// reads, in state.
	scan := b.Pos() + int64(s.minLen) - 1
	state := 0
	if s.ac != nil {
		scan = b.Pos()
		if s.resumeGen == b.Gen && s.resumeFrom == b.Pos() {
			// A retry of a search that stopped without a match.
			scan, state = s.resumeScan, s.resumeState
		}
	}
	for {
		var e, n int
		if s.ac != nil {
			e, n, state = s.ac.next(b.Buf, b.At(scan), b.W, state)
		} else {
			e, n = s.index(b, seps, b.At(scan))
		}
		if e >= 0 {
			if start := e - n; start-b.R > limit {
				return 0, b.overrun(start-b.R, limit, true)
			}
			return e, nil
		}
		scan = b.off + int64(b.W)
		if s.ac != nil {
			s.resumeGen, s.resumeFrom, s.resumeScan, s.resumeState = b.Gen, b.Pos(), scan, state
		}
		if err := b.notFound(s.maxLen, limit); err != nil {
			return 0, err
		}
		b.Fill(b.W-b.R+1, limit+s.maxLen)
	}
}

// QuickAny is UntilAny's fast path, for a call that can be served from the
// buffer without reading: if the separator that won the last search also
// ends the next match, and within the limit, it returns the end of that
// match; else -1, and the caller goes on with UntilAny. It is cheap, and
// never wrong: -1 only means "not sure".
func (b *Buffer) QuickAny(s *Search, seps [][]byte, limit int) int {
	if !s.fast || s.ac != nil || s.gen != b.Gen || !s.describes(seps) {
		return -1
	}
	from := b.Pos() + int64(s.minLen) - 1
	e := s.fastIndex(b, from)
	if e < 0 {
		return -1
	}
	n := 1
	if !s.one[s.win] {
		n = s.match(seps, b.Buf[b.R:e+1], s.win)
	}
	if n == 0 || e+1-n-b.R > limit {
		return -1
	}
	return e + 1
}

// Contains reports whether a match of any of seps starts at or after
// index from in b.Buf and ends within the buffered data, without reading.
// It is how a frame.Reader waits for a separator before it asks its codec
// again.
func (s *Search) Contains(b *Buffer, seps [][]byte, from int) bool {
	s.prepare(b, seps)
	if s.key >= 0 {
		return bytes.IndexByte(b.Buf[from:b.W], byte(s.key)) >= 0
	}
	if s.ac != nil {
		e, _, _ := s.ac.next(b.Buf, from, b.W, 0)
		return e >= 0
	}
	for i := from + s.minLen - 1; i < b.W; {
		e, last := s.candidate(b, i)
		if e < 0 {
			return false
		}
		if s.match(seps, b.Buf[from:e+1], last) > 0 {
			return true
		}
		i = e + 1
	}
	return false
}

// maxLastBytes is how many distinct last bytes of separators the filter
// follows with IndexByte and its cache; with more, it tests each byte
// against a table.
const maxLastBytes = 8

// When to use the automaton (ac.go) instead of the filter on last bytes:
// with more separators than this, or a separator longer than this. The
// filter verifies each candidate against every separator with its last
// byte, which costs little for a few short separators and a lot for many
// similar ones; the automaton looks at each byte once, at a constant cost.
const (
	filterMaxSeps = 8
	filterMaxLen  = 16
)

// A Search is what a separator search knows between calls: the separators
// compiled (a filter on their last bytes, or an automaton), and, for the
// filter, where each last byte occurs next in the stream, so that a call
// does not scan the data ahead of its match again for the separators that
// did not win. Every position it keeps is a stream position, which no
// Fill changes, tagged with the Buffer's Gen.
type Search struct {
	lens  []int  // the length of each separator prepared for
	ends  []byte // the last byte of each
	valid bool
	gen   uint32 // the Buffer's Gen the positions below belong to

	// pinned: the separators are those of Pin, and every call passes
	// them: prepare need not check.
	pinned bool
	// key is a byte that is a separator by itself and occurs in every
	// separator, as '\n' in "\r\n" and "\n", or -1. With one, a match
	// starts at or after a position if and only if key occurs there
	// (Contains).
	key int

	minLen, maxLen int

	ac *automaton // for many or long separators; nil: the filter below

	// The filter.
	lasts []byte       // the distinct last bytes
	table *[256]uint16 // with more than maxLastBytes: 1 + index in lasts, or 0
	// order lists the separators by last byte, in the order of lasts, and
	// by length within each: those ending in lasts[i] are
	// order[group[i]:group[i+1]], shortest first.
	order []int
	group []int
	one   []bool // one[i]: lasts[i] alone is a separator, so it always matches
	next  [maxLastBytes]nextByte

	// The fast path: no last byte other than lasts[win] occurs at stream
	// positions [boundLo, bound). Valid if fast.
	fast           bool
	win            int
	boundLo, bound int64

	// The automaton's resume point after a search that stopped without a
	// match (a source error, a timeout): a retry from the same position
	// goes on from scan in the given state.
	resumeGen              uint32
	resumeFrom, resumeScan int64
	resumeState            int
}

// nextByte says that a last byte does not occur at stream positions
// [lo, hi), and, if found, that it occurs at hi.
type nextByte struct {
	valid, found bool
	lo, hi       int64
}

// prepare compiles s for seps if it was not, and forgets positions from
// before a Reset.
// Pin prepares s for seps, which every later call on s must pass: the
// check that they are the separators prepared for is skipped. For a
// frame.Reader, whose codec's separators are fixed.
func (s *Search) Pin(seps [][]byte) {
	s.build(seps)
	s.pinned = true
}

// MaxLen returns the length of the longest separator s is prepared for.
func (s *Search) MaxLen() int { return s.maxLen }

func (s *Search) prepare(b *Buffer, seps [][]byte) {
	if !s.pinned && !s.describes(seps) {
		s.build(seps)
	}
	if s.gen != b.Gen {
		s.gen = b.Gen
		s.forget()
	}
}

// describes reports whether s was built for seps: for the filter, which
// verifies matches against the separators it is given, separators with the
// same lengths and last bytes; for the automaton, the same separators.
func (s *Search) describes(seps [][]byte) bool {
	if !s.valid || len(seps) != len(s.lens) || len(seps) != len(s.ends) {
		return false
	}
	lens, ends := s.lens[:len(seps)], s.ends[:len(seps)]
	for i, sep := range seps {
		if n := len(sep); n == 0 || n != lens[i] || sep[n-1] != ends[i] {
			return false
		}
	}
	return s.ac == nil || s.ac.is(seps)
}

func (s *Search) build(seps [][]byte) {
	s.valid = false
	s.lens, s.ends, s.lasts = s.lens[:0], s.ends[:0], s.lasts[:0]
	s.minLen, s.maxLen, s.table, s.ac = len(seps[0]), 0, nil, nil
	for _, sep := range seps {
		if len(sep) == 0 {
			panic("bufio2: ReadUntilAny: empty separator")
		}
		c := sep[len(sep)-1]
		s.lens, s.ends = append(s.lens, len(sep)), append(s.ends, c)
		s.minLen, s.maxLen = min(s.minLen, len(sep)), max(s.maxLen, len(sep))
		if bytes.IndexByte(s.lasts, c) < 0 {
			s.lasts = append(s.lasts, c)
		}
	}
	if len(seps) > filterMaxSeps || s.maxLen > filterMaxLen {
		s.ac = newAutomaton(seps) // nil if it would be too large
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
	s.key = -1
	for i, c := range s.lasts {
		if !s.one[i] {
			continue
		}
		all := true
		for _, sep := range seps {
			all = all && bytes.IndexByte(sep, c) >= 0
		}
		if all {
			s.key = int(c)
		}
	}
	s.valid = true
	s.forget()
}

// forget drops what s knows of the stream.
func (s *Search) forget() {
	s.fast = false
	for i := range s.next {
		s.next[i].valid = false
	}
	s.resumeGen = s.gen - 1
}

// index is the filter's search: it returns the index in b.Buf of the last
// byte of the first match that ends at or after index from, and its
// length; or -1.
func (s *Search) index(b *Buffer, seps [][]byte, from int) (end, n int) {
	for from < b.W {
		e, last := s.candidate(b, from)
		if e < 0 {
			return -1, 0
		}
		if n := s.match(seps, b.Buf[b.R:e+1], last); n > 0 {
			return e + 1, n
		}
		from = e + 1
	}
	return -1, 0
}

// candidate returns the first index at or after from in b.Buf[:b.W] whose
// byte is the last byte of a separator, and that byte's index in lasts; or
// -1.
func (s *Search) candidate(b *Buffer, from int) (pos, last int) {
	buf := b.Buf[:b.W]
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
	pfrom := b.off + int64(from)
	if e := s.fastIndex(b, pfrom); e >= 0 {
		return e, s.win
	}
	// Each byte is searched to the end of the buffer, not only up to the
	// best so far: what is learned stays valid, so each byte is scanned
	// once per buffer fill, and the bound for the fast path is as far off as
	// it can be.
	best, win := int64(-1), 0
	for i, c := range s.lasts {
		if p := s.next[i].index(b, pfrom, c); p >= 0 && (best < 0 || p < best) {
			best, win = p, i
		}
	}
	// Every entry now covers pfrom; set up the fast path for the winner.
	s.fast, s.win, s.boundLo, s.bound = best >= 0, win, pfrom, b.off+int64(b.W)
	for i := range s.lasts {
		if i != win {
			s.bound = min(s.bound, s.next[i].hi)
		}
	}
	if best < 0 {
		return -1, 0
	}
	return b.At(best), win
}

// fastIndex is the fast path of candidate: the index in b.Buf of the first
// occurrence at or after stream position from of the byte that won the
// last search, if no other last byte can come first; else -1.
func (s *Search) fastIndex(b *Buffer, from int64) int {
	if s.fast && from >= s.boundLo && from < s.bound {
		i := b.At(from)
		if j := bytes.IndexByte(b.Buf[i:min(b.At(s.bound), b.W)], s.lasts[s.win]); j >= 0 {
			return i + j
		}
	}
	return -1
}

// match returns the length of the shortest of seps that ends data, among
// those that end in lasts[last], or 0 if none does.
func (s *Search) match(seps [][]byte, data []byte, last int) int {
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

// index returns the stream position of the first c at or after stream
// position from in the buffered data, or -1, and records what it learned.
func (e *nextByte) index(b *Buffer, from int64, c byte) int64 {
	if !e.valid || from < e.lo || from > e.hi {
		*e = nextByte{valid: true, lo: from, hi: from}
	}
	// Now c does not occur in [from, e.hi).
	if e.found {
		return e.hi
	}
	i := bytes.IndexByte(b.Buf[b.At(e.hi):b.W], c)
	if i < 0 {
		e.hi = b.off + int64(b.W)
		return -1
	}
	e.hi += int64(i)
	e.found = true
	return e.hi
}
