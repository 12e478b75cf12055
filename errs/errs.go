package errs

import (
	"fmt"
	"io"
	"strings"
)

// IncompleteReadError reports that the stream ended after some, but not
// all, of the wanted bytes (asyncio.IncompleteReadError).
//
// It unwraps to io.ErrUnexpectedEOF, so
// errors.Is(err, io.ErrUnexpectedEOF) holds for it.
type IncompleteReadError struct {
	Partial  []byte // the bytes read before the end of stream; owned by the caller
	Expected int    // the bytes wanted, or -1 when reading up to a separator

	// Offset is the position in the stream of Partial's first byte: bytes
	// consumed before it since the reader was made or Reset.
	Offset int64
	// Op names the call that met the end of the stream, as package.Call
	// ("bufio2.ReadExactly", "frame.Reader.Next"); it starts the message.
	// It may be empty.
	Op string
}

func (e *IncompleteReadError) Error() string {
	var b strings.Builder
	op := e.Op
	if op == "" {
		op = "incomplete read"
	}
	b.WriteString(op)
	if e.Expected < 0 {
		fmt.Fprintf(&b, ": the stream ended after %d bytes without a separator", len(e.Partial))
	} else {
		fmt.Fprintf(&b, ": the stream ended after %d of %d bytes", len(e.Partial), e.Expected)
	}
	if e.Offset != 0 {
		fmt.Fprintf(&b, " (at offset %d)", e.Offset)
	}
	b.WriteString("; the bytes read are in Partial")
	return b.String()
}

// Unwrap returns io.ErrUnexpectedEOF.
func (e *IncompleteReadError) Unwrap() error { return io.ErrUnexpectedEOF }

// LimitOverrunError reports that a separator was not found within the
// limit (asyncio.LimitOverrunError).
//
// Consumed is asyncio's consumed: the number of bytes to discard to get past
// the overrun. It is always greater than Limit, and it never reaches past the
// start of the separator that would have ended the read.
type LimitOverrunError struct {
	Consumed int  // bytes to discard to get past the overrun; always > Limit
	Limit    int  // the limit that was exceeded
	Found    bool // the separator was found, but it starts beyond the limit

	// Discarded reports that the reader discarded the overlong data
	// (bufio2.ReadLine skips the whole line); if false, the data is still
	// buffered, to be read or skipped.
	Discarded bool
	// Op names the call that overran, as package.Call ("bufio2.ReadUntil").
	// It may be empty.
	Op string
}

func (e *LimitOverrunError) Error() string {
	var b strings.Builder
	op := e.Op
	if op == "" {
		op = "bufio2"
	}
	b.WriteString(op)
	if e.Found {
		fmt.Fprintf(&b, ": separator found after %d bytes, over the limit of %d", e.Consumed, e.Limit)
	} else {
		fmt.Fprintf(&b, ": separator not found in the first %d bytes, over the limit of %d", e.Consumed, e.Limit)
	}
	if e.Discarded {
		b.WriteString("; the line was discarded")
	} else {
		b.WriteString("; the data is still buffered: read it (ReadExactly(Consumed)) or skip it (SkipUntil)")
	}
	b.WriteString("; NewReaderLimit raises the limit")
	return b.String()
}
