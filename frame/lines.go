package frame

import (
	"bytes"
	"fmt"
)

// Lines is the codec of text lines: each frame ends with "\n", and its
// payload is the line without the "\n" and without a "\r" just before it.
// A last line that the stream ends without "\n" is a frame too, as with
// [bufio.ScanLines].
//
//	stream:  h e l l o \r \n w o r l d \n l a s t <EOF>
//	         +---------+-----+---------+--+-------+
//	         | "hello" |\r\n | "world" |\n| "last"|
//	         +---------+-----+---------+--+-------+
//	frames:  "hello"         "world"        "last"
//
// A line whose payload is longer than Max fails with
// *errs.FrameTooLargeError as soon as Max+1 bytes of it are seen, with
// Size Max+1 and AtLeast set; a [Reader] that skips oversized frames
// discards it through its "\n".
//
// The zero value is ready to use. The methods have value receivers, so a
// literal such as frame.Lines{Max: 1 << 20} is a [Codec].
type Lines struct {
	// Max is the longest payload, in bytes. If zero, DefaultMaxDelimited is
	// used.
	Max int
	// CRLF makes Append end each line with "\r\n". If false, "\n" is used.
	// Split accepts both either way.
	CRLF bool
}

var (
	_ Limited   = Lines{}
	_ Resyncer  = Lines{}
	_ enveloper = Lines{}
	_ compiler  = Lines{}
	_ delimiter = Lines{}
)

func (c Lines) max() int { return maxOr(c.Max, DefaultMaxDelimited, "Lines") }

// MaxFrame returns Max plus 2, for "\r\n".
func (c Lines) MaxFrame() int { return c.max() + 2 }

// Split returns the next line without its line ending. It looks at no more
// than MaxFrame bytes of data.
func (c Lines) Split(data []byte, atEOF bool) (advance int, token []byte, err error) {
	return splitLine(data, atEOF, c.max())
}

// compile returns Split with Max worked out once. (A Reader's Next splits
// the common case, a whole line within Max, itself.)
func (c Lines) compile() (func([]byte, bool) (int, []byte, error), func([]byte) int) {
	max := c.max()
	return func(data []byte, atEOF bool) (int, []byte, error) {
		return splitLine(data, atEOF, max)
	}, nil
}

func splitLine(data []byte, atEOF bool, max int) (advance int, token []byte, err error) {
	window := data
	if len(window) > max+2 {
		window = window[:max+2]
	}
	if i := bytes.IndexByte(window, '\n'); i >= 0 {
		line := dropCR(data[:i])
		if len(line) > max {
			return 0, nil, tooLong(max, "Lines.Max")
		}
		return i + 1, line, nil
	}
	// No '\n' in window: the payload is at least len(window) bytes, or one
	// less if the window ends with the '\r' of a "\r\n".
	if len(window) > max+1 || len(window) == max+1 && window[max] != '\r' {
		return 0, nil, tooLong(max, "Lines.Max")
	}
	if atEOF && len(data) > 0 {
		return len(data), dropCR(data), nil
	}
	return 0, nil, nil
}

func dropCR(line []byte) []byte {
	if len(line) > 0 && line[len(line)-1] == '\r' {
		return line[:len(line)-1]
	}
	return line
}

// Resync discards through the next "\n".
func (c Lines) Resync(data []byte, atEOF bool) (advance int, done bool) {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return i + 1, true
	}
	return len(data), atEOF
}

// Append appends payload and a line ending to dst. The payload must not
// hold '\n' nor end with '\r' (Split would drop it).
func (c Lines) Append(dst, payload []byte) ([]byte, error) {
	out, trailer, err := c.envelope(dst, payload)
	return finish(dst, payload, out, trailer, err)
}

var (
	lf   = []byte("\n")
	crlf = []byte("\r\n")
)

func (c Lines) envelope(dst, payload []byte) ([]byte, []byte, error) {
	if max := c.max(); len(payload) > max {
		return dst, nil, tooLarge(int64(len(payload)), max, "Lines.Max")
	}
	if i := bytes.IndexByte(payload, '\n'); i >= 0 {
		return dst, nil, fmt.Errorf("%w: Lines: payload holds '\\n' at index %d", ErrInvalidPayload, i)
	}
	if len(payload) > 0 && payload[len(payload)-1] == '\r' {
		return dst, nil, fmt.Errorf("%w: Lines: payload ends with '\\r'", ErrInvalidPayload)
	}
	if c.CRLF {
		return dst, crlf, nil
	}
	return dst, lf, nil
}

var lfSeps = [][]byte{lf}

func (c Lines) separators() [][]byte { return lfSeps }
