package readbuf

// automaton is an Aho-Corasick automaton for a set of separators, as a
// deterministic table over byte classes: it reads each byte of the stream
// once, at a constant cost, however many separators there are and however
// much they look alike. It finds, at each position, the shortest separator
// that ends there, so the first match it reports is the one that ends
// first, the shortest of those that end at the same byte: ReadUntilAny's
// rule.
//
// A state is a row of the table, identified by the index of its first
// entry; the row holds the next state for each byte class and, in its last
// entry, the length of the shortest separator that ends in this state (0
// if none).
type automaton struct {
	seps   [][]byte   // a copy of the separators, for is
	class  [256]int32 // byte -> class; class 0 is every byte in no separator
	width  int        // entries per row: the classes, then the match length
	table  []int32
	states int
}

// maxAutomaton bounds the table's entries (4 bytes each); a larger set of
// separators is left to the filter, which is slower on adversarial data
// but needs no table.
const maxAutomaton = 1 << 18

// newAutomaton builds the automaton for seps, or returns nil if it would
// be larger than maxAutomaton entries.
func newAutomaton(seps [][]byte) *automaton {
	a := &automaton{}
	classes := int32(1)
	total := 1 // states: the root and at most one per separator byte
	for _, sep := range seps {
		total += len(sep)
		for _, c := range sep {
			if a.class[c] == 0 {
				a.class[c] = classes
				classes++
			}
		}
	}
	a.width = int(classes) + 1
	if total*a.width > maxAutomaton {
		return nil
	}
	for _, sep := range seps {
		a.seps = append(a.seps, append([]byte(nil), sep...))
	}
	// The trie: -1 marks a missing edge.
	a.table = make([]int32, 0, total*a.width)
	a.addState()
	for _, sep := range seps {
		s := 0
		for _, c := range sep {
			k := s + int(a.class[c])
			if a.table[k] < 0 {
				a.table[k] = int32(a.addState())
			}
			s = int(a.table[k])
		}
		if m := &a.table[s+a.width-1]; *m == 0 || int(*m) > len(sep) {
			*m = int32(len(sep))
		}
	}
	// Breadth first, complete each state's row from its failure state's
	// (the longest proper suffix of its string that is a trie state),
	// which comes earlier in the order, and take the shorter match.
	fail := make([]int32, total)
	queue := make([]int, 0, total)
	for c := 0; c < a.width-1; c++ {
		if t := a.table[c]; t < 0 {
			a.table[c] = 0
		} else {
			fail[int(t)/a.width] = 0
			queue = append(queue, int(t))
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		f := int(fail[s/a.width])
		if m, fm := a.table[s+a.width-1], a.table[f+a.width-1]; fm != 0 && (m == 0 || fm < m) {
			a.table[s+a.width-1] = fm
		}
		for c := 0; c < a.width-1; c++ {
			k := s + c
			if t := a.table[k]; t < 0 {
				a.table[k] = a.table[f+c]
			} else {
				fail[int(t)/a.width] = a.table[f+c]
				queue = append(queue, int(t))
			}
		}
	}
	a.states = len(a.table) / a.width
	return a
}

// addState appends a row with no edges and no match, and returns its
// index.
func (a *automaton) addState() int {
	s := len(a.table)
	for range a.width - 1 {
		a.table = append(a.table, -1)
	}
	a.table = append(a.table, 0)
	return s
}

// is reports whether a was built for seps.
func (a *automaton) is(seps [][]byte) bool {
	if len(seps) != len(a.seps) {
		return false
	}
	for i := range seps {
		if string(seps[i]) != string(a.seps[i]) {
			return false
		}
	}
	return true
}

// next runs the automaton over buf[from:to] from state. It returns the
// index just past the first match, and the match's length, with the state
// there; or -1 and the state at to.
func (a *automaton) next(buf []byte, from, to, state int) (end, n, s int) {
	t, w := a.table, a.width-1
	s = state
	for i := from; i < to; i++ {
		s = int(t[s+int(a.class[buf[i]])])
		if m := t[s+w]; m != 0 {
			return i + 1, int(m), s
		}
	}
	return -1, 0, s
}
