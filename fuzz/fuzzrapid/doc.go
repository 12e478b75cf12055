// Package fuzzrapid holds pgregory.net/rapid generators of the chunkings
// and faults of package fuzz, for property tests of io.Reader-based
// parsers:
//
//	rapid.Check(t, func(t *rapid.T) {
//		data := rapid.SliceOf(rapid.Byte()).Draw(t, "data")
//		c := fuzzrapid.Chunking(len(data)).Draw(t, "chunking")
//		faults := fuzzrapid.Timeouts(len(data)).Draw(t, "timeouts")
//		got, err := parseRetrying(c.Reader(data, faults...))
//		...
//	})
//
// Unlike package fuzz, which depends on the standard library only, this
// package imports pgregory.net/rapid (which this module's go.mod requires
// for its own tests): import it from tests only, so that rapid stays out
// of your programs. When rapid shrinks a failing case, the chunking shrinks towards fewer and smaller
// reads and the timeouts towards none.
package fuzzrapid
