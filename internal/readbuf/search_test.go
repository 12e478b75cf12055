package readbuf

import (
	"bytes"
	"testing"

	"pgregory.net/rapid"
)

// TestContains: Search.Contains, pinned or not, with a key byte or
// without, says what a naive search of the buffered data says, from every
// position.
func TestContains(t *testing.T) {
	pool := []string{"\n", "\r\n", "b", "ab", "aba", "ba", "::", "\x00", "bb"}
	rapid.Check(t, func(t *rapid.T) {
		var seps [][]byte
		for _, s := range rapid.SliceOfNDistinct(rapid.SampledFrom(pool), 2, 4, rapid.ID[string]).Draw(t, "seps") {
			seps = append(seps, []byte(s))
		}
		data := []byte(rapid.StringOf(rapid.RuneFrom([]rune("ab:\r\n\x00x"))).Draw(t, "data"))
		var b Buffer
		b.Init(bytes.NewReader(data), 1<<10)
		for !b.Stopped() {
			b.Fill(len(data)+1, 1<<10)
		}
		var s Search
		if rapid.Bool().Draw(t, "pinned") {
			s.Pin(seps)
		}
		for from := b.R; from <= b.W; from++ {
			want := false
			for i := from; i < b.W && !want; i++ {
				for _, sep := range seps {
					want = want || bytes.HasPrefix(b.Buf[i:b.W], sep)
				}
			}
			if got := s.Contains(&b, seps, from); got != want {
				t.Fatalf("Contains(%q, %q, from %d) = %v; want %v (key %d)", b.Buf[b.R:b.W], seps, from, got, want, s.key)
			}
		}
	})
}

// TestSearchKey: the key byte is found where it applies, and only there.
func TestSearchKey(t *testing.T) {
	for _, tt := range []struct {
		seps []string
		key  int
	}{
		{[]string{"\r\n", "\n"}, '\n'},
		{[]string{"\n", "\r\n"}, '\n'},
		{[]string{"aba", "b"}, 'b'}, // contained, though not at the end
		{[]string{"\r\n", "\x00"}, -1},
		{[]string{"\r\n", "\r"}, '\r'},
		{[]string{"ab", "ba"}, -1},
	} {
		var seps [][]byte
		for _, s := range tt.seps {
			seps = append(seps, []byte(s))
		}
		var s Search
		s.Pin(seps)
		if s.key != tt.key {
			t.Errorf("key of %q = %d; want %d", tt.seps, s.key, tt.key)
		}
	}
}
