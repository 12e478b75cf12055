//go:build !race

package realserver

// Race reports whether the race detector is on: allocation counts are
// not checked under it.
const Race = false
