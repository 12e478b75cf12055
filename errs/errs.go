package errs

import (
	"fmt"
	"io"
)

// IncompleteReadError reports that the stream ended after some, but not
// all, of the wanted bytes (asyncio.IncompleteReadError).
//
// It unwraps to io.ErrUnexpectedEOF, so
// errors.Is(err, io.ErrUnexpectedEOF) holds for it.
type IncompleteReadError struct {
	Partial  []byte // the bytes read before the end of stream; owned by the caller
	Expected int    // the bytes wanted, or -1 when reading up to a separator
}

func (e *IncompleteReadError) Error() string {
	if e.Expected < 0 {
		return fmt.Sprintf("incomplete read: stream ended after %d bytes without a separator", len(e.Partial))
	}
	return fmt.Sprintf("incomplete read: stream ended after %d of %d bytes", len(e.Partial), e.Expected)
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
}

func (e *LimitOverrunError) Error() string {
	if e.Found {
		return fmt.Sprintf("limit overrun: separator found after %d bytes, limit is %d", e.Consumed, e.Limit)
	}
	return fmt.Sprintf("limit overrun: separator not found in the first %d bytes, limit is %d", e.Consumed, e.Limit)
}
