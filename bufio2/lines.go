package bufio2

import (
	"errors"
	"io"
	"iter"

	"github.com/streamkit/streamkit/errs"
)

// Lines returns an iterator over the lines of the stream, each read by
// [Reader.ReadLine] and the caller's to keep (asyncio's
// `async for line in reader`). It ends at the end of the stream.
//
// An error is yielded as (nil, err). After an overlong line
// (*errs.LimitOverrunError), ReadLine has already skipped that line, so the
// iteration goes on with the next one unless the loop breaks; after any
// other error it stops.
//
//	for line, err := range r.Lines() {
//		if err != nil {
//			return err
//		}
//		...
//	}
func (b *Reader) Lines() iter.Seq2[[]byte, error] { return b.lines(b.ReadLine) }

// LinesSlice is [Reader.Lines] without the copies: each line is read by
// [Reader.ReadLineSlice], and is valid only until the loop body returns. A
// body that keeps a line must copy it (bytes.Clone).
func (b *Reader) LinesSlice() iter.Seq2[[]byte, error] { return b.lines(b.ReadLineSlice) }

func (b *Reader) lines(read func() ([]byte, error)) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		for {
			line, err := read()
			if err == io.EOF {
				return
			}
			if !yield(line, err) {
				return
			}
			var over *errs.LimitOverrunError
			if err != nil && !errors.As(err, &over) {
				return
			}
		}
	}
}
