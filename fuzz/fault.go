package fuzz

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"testing/iotest"
)

// ErrTimeout is the error a [Fault] injects when its Err is nil: a timeout
// that can be retried, as a read on a net.Conn returns when its read
// deadline passes. It has the methods of a net.Error (Timeout and
// Temporary both report true), and errors.Is matches it as
// os.ErrDeadlineExceeded (what a deadline on a net.Conn or an os.File
// gives) and as iotest.ErrTimeout (what iotest.TimeoutReader gives), so
// that code written for either recognizes it. [IsTimeout] reports whether
// an error is one.
var ErrTimeout error = timeoutError{}

type timeoutError struct{}

func (timeoutError) Error() string   { return "fuzz: injected timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// Is makes errors.Is(ErrTimeout, os.ErrDeadlineExceeded) and
// errors.Is(ErrTimeout, iotest.ErrTimeout) hold.
func (timeoutError) Is(target error) bool {
	return target == os.ErrDeadlineExceeded || target == iotest.ErrTimeout
}

// IsTimeout reports whether err is, or wraps, a timeout: an error whose
// Timeout method reports true (ErrTimeout, os.ErrDeadlineExceeded, a
// net.Error from a deadline), or iotest.ErrTimeout. A parser that is to
// survive injected timeouts retries the read that failed with one.
func IsTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout() || errors.Is(err, iotest.ErrTimeout)
}

// Fault is an error that a reader returns at a chosen offset in its
// stream: after exactly Offset bytes. Reads stop short of Offset, so that
// the read that reaches it ends there, whatever the size of the caller's
// buffer. A Fault past the end of the stream never happens; one at the end
// (Offset == the stream's length) comes before io.EOF.
type Fault struct {
	// Offset is how many bytes of the stream come before the error. It
	// must not be negative.
	Offset int64

	// Err is the error. If nil, ErrTimeout is used.
	Err error

	// Sticky makes every read from Offset on return Err, as from a
	// connection that broke. If false, one read returns Err and the reads
	// after it go on with the stream, as after a read deadline passed
	// (iotest.TimeoutReader's behaviour): nothing is lost, and a caller
	// that retries sees the whole stream.
	Sticky bool

	// WithData makes the read that reaches Offset return its bytes and Err
	// together, (n > 0, Err), as io.Reader allows. If false, that read
	// returns (n, nil) and the next one (0, Err). A Fault at offset 0, or
	// after a read that returned no bytes, comes alone.
	WithData bool
}

func (f Fault) err() error {
	if f.Err == nil {
		return ErrTimeout
	}
	return f.Err
}

// String describes f, as "timeout at 4 with data" or
// "\"connection reset\" at 9, sticky".
func (f Fault) String() string {
	var s string
	if f.Err == nil {
		s = fmt.Sprintf("timeout at %d", f.Offset)
	} else {
		s = fmt.Sprintf("%q at %d", f.Err, f.Offset)
	}
	if f.WithData {
		s += " with data"
	}
	if f.Sticky {
		s += ", sticky"
	}
	return s
}

// FaultReader is an io.Reader that reads from another and returns errors
// at chosen offsets in the stream (see [Fault]). It is not safe for
// concurrent use.
type FaultReader struct {
	r       io.Reader
	faults  []Fault // not yet returned, in order of Offset
	n       int64   // bytes delivered
	pending error   // the source's error, held back until the faults at n are out
	stuck   error   // a sticky fault that happened
}

var _ io.Reader = (*FaultReader)(nil)

// NewFaultReader returns a FaultReader that reads from r and returns the
// errors of faults at their offsets. Faults at the same offset come in the
// order given, each from its own read (the first may come with data, see
// [Fault.WithData]). NewFaultReader panics if an Offset is negative.
func NewFaultReader(r io.Reader, faults ...Fault) *FaultReader {
	return &FaultReader{r: r, faults: sortFaults(faults)}
}

func sortFaults(faults []Fault) []Fault {
	for _, f := range faults {
		if f.Offset < 0 {
			panic(fmt.Sprintf("fuzz: Fault at negative offset %d", f.Offset))
		}
	}
	faults = slices.Clone(faults)
	slices.SortStableFunc(faults, func(a, b Fault) int { return cmp.Compare(a.Offset, b.Offset) })
	return faults
}

// Offset returns how many bytes the reader has delivered.
func (r *FaultReader) Offset() int64 { return r.n }

// Read reads from the underlying reader, up to the next fault's offset, and
// returns the fault's error when it is due. A read into an empty buffer
// does not set a fault off: it returns (0, nil), or the sticky error.
func (r *FaultReader) Read(p []byte) (int, error) {
	if r.stuck != nil {
		return 0, r.stuck
	}
	if len(p) == 0 {
		if r.pending != nil || len(r.faults) > 0 && r.faults[0].Offset == r.n {
			return 0, nil
		}
		return r.r.Read(p)
	}
	if len(r.faults) > 0 && r.faults[0].Offset == r.n {
		return 0, r.fire()
	}
	if r.pending != nil {
		err := r.pending
		r.pending = nil
		return 0, err
	}
	if len(r.faults) > 0 {
		if room := r.faults[0].Offset - r.n; int64(len(p)) > room {
			p = p[:room]
		}
	}
	n, err := r.r.Read(p)
	r.n += int64(n)
	if n > 0 && len(r.faults) > 0 && r.faults[0].Offset == r.n {
		// This read reached the next fault: the source's error (io.EOF
		// with the last bytes, say) waits until the faults here are out.
		r.pending = err
		if r.faults[0].WithData {
			return n, r.fire()
		}
		return n, nil
	}
	return n, err
}

// fire returns the next fault's error and drops the fault, or keeps it
// for good if it is sticky.
func (r *FaultReader) fire() error {
	f := r.faults[0]
	r.faults = r.faults[1:]
	err := f.err()
	if f.Sticky {
		r.stuck = err
	}
	return err
}
