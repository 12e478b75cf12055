package frame

import (
	"bytes"
	"fmt"
)

// Delimited is the codec of frames that end with any of one or more
// separators. The payload is the data before the separator. When several
// separators match, the match that ends first wins, and of two that end at
// the same byte, the shorter ([bufio2.Reader.ReadUntilAny]'s rule).
//
//	Seps: "\r\n", "\x00"
//	stream:  P I N G \r \n a \x00 b <EOF>
//	         +--------+----+---+----+---+
//	         | "PING" |\r\n|"a"|\x00|"b"| <- no separator: incomplete
//	         +--------+----+---+----+---+
//	frames:  "PING"        "a"       *errs.IncompleteReadError{Partial: "b", Expected: -1}
//
// Unlike [Lines], data that the stream ends with and no separator is not a
// frame: Split returns *errs.IncompleteReadError holding it.
//
// A payload longer than Max fails with *errs.FrameTooLargeError as soon as
// that is certain (Max plus the longest separator bytes without a match, a
// match that starts after Max bytes, or more than Max bytes at the end of
// the stream), with Size Max+1 and AtLeast set; a [Reader] that skips
// oversized frames discards it through its separator.
//
// The zero value is ready to use and separates with "\n". The methods have
// value receivers, so a literal such as
// frame.Delimited{Seps: [][]byte{[]byte("\r\n")}} is a [Codec].
type Delimited struct {
	// Seps are the separators. Append ends frames with Seps[0]. If empty,
	// "\n" alone is used. Each separator must be non-empty.
	Seps [][]byte
	// Max is the longest payload, in bytes. If zero, DefaultMaxDelimited is
	// used.
	Max int
}

var (
	_ Limited   = Delimited{}
	_ Resyncer  = Delimited{}
	_ enveloper = Delimited{}
	_ compiler  = Delimited{}
	_ delimiter = Delimited{}
)

var newlineSeps = [][]byte{[]byte("\n")}

func (c Delimited) max() int { return maxOr(c.Max, DefaultMaxDelimited, "Delimited") }

// seps returns the separators and the longest one's length. It panics if a
// separator is empty.
func (c Delimited) seps() ([][]byte, int) {
	seps := c.Seps
	if len(seps) == 0 {
		seps = newlineSeps
	}
	longest := 0
	for _, s := range seps {
		if len(s) == 0 {
			panic("frame: Delimited has an empty separator")
		}
		longest = max(longest, len(s))
	}
	return seps, longest
}

// MaxFrame returns Max plus the longest separator's length.
func (c Delimited) MaxFrame() int {
	_, longest := c.seps()
	return c.max() + longest
}

// match returns the start and end of the winning separator match in data:
// the one that ends first, the shortest of those that end at the same
// byte. It returns -1, -1 if there is none.
func match(data []byte, seps [][]byte) (start, end int) {
	start, end = -1, -1
	for _, s := range seps {
		limit := len(data)
		if end >= 0 {
			limit = end // a match that ends later cannot win
		}
		i := bytes.Index(data[:limit], s)
		if i < 0 {
			continue
		}
		if e := i + len(s); end < 0 || e < end || e == end && len(s) < end-start {
			start, end = i, e
		}
	}
	return start, end
}

// Split returns the payload before the first separator. It looks at no
// more than MaxFrame bytes of data.
func (c Delimited) Split(data []byte, atEOF bool) (advance int, token []byte, err error) {
	seps, longest := c.seps()
	return splitDelimited(data, atEOF, seps, longest, c.max())
}

func (c Delimited) compile() (func([]byte, bool) (int, []byte, error), func([]byte) int) {
	seps, longest := c.seps()
	max := c.max()
	return func(data []byte, atEOF bool) (int, []byte, error) {
		return splitDelimited(data, atEOF, seps, longest, max)
	}, nil
}

func splitDelimited(data []byte, atEOF bool, seps [][]byte, longest, max int) (advance int, token []byte, err error) {
	window := data
	if len(window) > max+longest {
		window = window[:max+longest]
	}
	// Every match that starts within Max ends within the window.
	if start, end := match(window, seps); start >= 0 {
		if start > max {
			return 0, nil, tooLong(max, "Delimited.Max")
		}
		return end, data[:start], nil
	}
	if len(window) == max+longest {
		// Any match yet to come starts after Max.
		return 0, nil, tooLong(max, "Delimited.Max")
	}
	if atEOF && len(data) > max {
		// No separator is coming: the payload would be all of it.
		return 0, nil, tooLong(max, "Delimited.Max")
	}
	if atEOF && len(data) > 0 {
		return 0, nil, incomplete(data, -1, "frame.Delimited.Split")
	}
	return 0, nil, nil
}

// Resync discards through the first separator match.
func (c Delimited) Resync(data []byte, atEOF bool) (advance int, done bool) {
	seps, longest := c.seps()
	if _, end := match(data, seps); end >= 0 {
		return end, true
	}
	if atEOF {
		return len(data), true
	}
	// Keep what could be the start of a separator that is yet to end.
	return max(0, len(data)-(longest-1)), false
}

// Append appends payload and Seps[0] to dst. It fails if Split would not
// give payload back: if payload holds a separator, or if its end and
// Seps[0] together hold a match that wins over Seps[0] (with Seps "\r\n"
// and "\n", every frame that Append ends with "\r\n" would decode with a
// trailing '\r', so Append fails).
func (c Delimited) Append(dst, payload []byte) ([]byte, error) {
	out, trailer, err := c.envelope(dst, payload)
	return finish(dst, payload, out, trailer, err)
}

func (c Delimited) envelope(dst, payload []byte) ([]byte, []byte, error) {
	if max := c.max(); len(payload) > max {
		return dst, nil, tooLarge(int64(len(payload)), max, "Delimited.Max")
	}
	seps, longest := c.seps()
	if start, _ := match(payload, seps); start >= 0 {
		return dst, nil, fmt.Errorf("%w: Delimited: payload holds a separator at index %d", ErrInvalidPayload, start)
	}
	// The payload holds no match, so a match that beats seps[0] must
	// straddle the payload's end: it lies in the payload's last longest-1
	// bytes and seps[0].
	sep := seps[0]
	tail := payload[max(0, len(payload)-(longest-1)):]
	var stack [64]byte
	joined := append(append(stack[:0], tail...), sep...)
	if start, end := match(joined, seps); start != len(tail) || end != len(joined) {
		return dst, nil, fmt.Errorf("%w: Delimited: the payload's end and the separator %q decode as a shorter frame", ErrInvalidPayload, sep)
	}
	return dst, sep, nil
}

func (c Delimited) separators() [][]byte {
	seps, _ := c.seps()
	return seps
}
