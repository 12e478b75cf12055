package fuzzrapid

import (
	"cmp"
	"slices"

	"pgregory.net/rapid"

	"github.com/streamkit/streamkit/fuzz"
)

// maxReads is how many reads a drawn chunking plans at most; the rest of
// the stream comes Rest bytes a read.
const maxReads = 64

// Chunking returns a generator of chunkings for a stream of n bytes. Its
// reads are drawn from three kinds — one to three bytes, up to 16 bytes
// or an empty read, up to the whole stream — so that cuts land everywhere
// and pieces range from single bytes to most of the stream. Rest is 0
// (the rest of the stream in one read) or a few bytes, EOFWithData either,
// and there are never more than fuzz.MaxEmptyReads empty reads in a row.
// Chunking panics if n < 0.
func Chunking(n int) *rapid.Generator[fuzz.Chunking] {
	if n < 0 {
		panic("fuzzrapid: Chunking of a negative length")
	}
	size := rapid.OneOf(
		rapid.IntRange(1, 3),
		rapid.IntRange(0, 16),
		rapid.IntRange(1, max(1, n)),
	)
	return rapid.Custom(func(t *rapid.T) fuzz.Chunking {
		var c fuzz.Chunking
		reads := rapid.IntRange(0, min(maxReads, n+1)).Draw(t, "reads")
		empties := 0
		for range reads {
			k := size.Draw(t, "size")
			if k == 0 {
				if empties == fuzz.MaxEmptyReads {
					continue
				}
				empties++
			} else {
				empties = 0
			}
			c.Sizes = append(c.Sizes, k)
		}
		c.Rest = rapid.OneOf(rapid.Just(0), rapid.IntRange(1, 4)).Draw(t, "rest")
		c.EOFWithData = rapid.Bool().Draw(t, "eofWithData")
		return c
	})
}

// Timeouts returns a generator of retryable timeouts (fuzz.Fault with a
// nil Err: fuzz.ErrTimeout, once each) for a stream of n bytes: up to 8,
// at offsets from 0 to n, some at the same offset, some with data, in order
// of offset. Timeouts panics if n < 0.
func Timeouts(n int) *rapid.Generator[[]fuzz.Fault] {
	return Faults(n, nil)
}

// Faults is [Timeouts] with errors drawn from errs, nil standing for a
// retryable fuzz.ErrTimeout. A quarter of the faults with another error
// are sticky: after one, the stream is broken, and the faults after it
// never come. With no errs, the faults are retryable timeouts only.
// Faults panics if n < 0.
func Faults(n int, errs []error) *rapid.Generator[[]fuzz.Fault] {
	if n < 0 {
		panic("fuzzrapid: Faults of a negative length")
	}
	return rapid.Custom(func(t *rapid.T) []fuzz.Fault {
		offsets := rapid.SliceOfN(rapid.IntRange(0, n), 0, 8).Draw(t, "offsets")
		faults := make([]fuzz.Fault, 0, len(offsets))
		for _, o := range offsets {
			f := fuzz.Fault{Offset: int64(o), WithData: rapid.Bool().Draw(t, "withData")}
			if len(errs) > 0 {
				f.Err = rapid.SampledFrom(errs).Draw(t, "err")
				f.Sticky = f.Err != nil && rapid.IntRange(0, 3).Draw(t, "sticky") == 0
			}
			faults = append(faults, f)
		}
		slices.SortStableFunc(faults, func(a, b fuzz.Fault) int { return cmp.Compare(a.Offset, b.Offset) })
		return faults
	})
}
