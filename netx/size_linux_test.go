package netx

import (
	"testing"
	"unsafe"
)

// TestConnStructsAreSmall: a served connection holds one of each of these
// for as long as it is open, idle or not (README, "Idle connections"), and
// each is allocated in a size class of the Go allocator: a field more can
// cost a whole class (the Writer at 385 bytes would take 416).
func TestConnStructsAreSmall(t *testing.T) {
	for _, tc := range []struct {
		name       string
		size, most uintptr
	}{
		{"Writer", unsafe.Sizeof(Writer{}), 384},
		{"lazyReader", unsafe.Sizeof(lazyReader{}), 224},
		{"serverConn", unsafe.Sizeof(serverConn{}), 112},
	} {
		if tc.size > tc.most {
			t.Errorf("%s is %d bytes, want at most %d", tc.name, tc.size, tc.most)
		}
	}
}
