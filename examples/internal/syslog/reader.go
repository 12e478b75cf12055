package syslog

import (
	"errors"
	"io"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/frame"
)

// DefaultMax is the largest message a Reader accepts when its max is zero:
// rsyslog's default maxMessageSize, 8 KiB. (RFC 5425 asks receivers to take
// at least 2048 bytes.)
const DefaultMax = 8 << 10

var lf = []byte("\n")

// Reader reads syslog messages from a stream of RFC 6587 frames, octet
// counted or non-transparent, told apart frame by frame. It is not safe for
// concurrent use.
type Reader struct {
	br    *bufio2.Reader
	codec frame.OctetCounting
	fr    *frame.Reader
	err   error // sticky: the stream cannot be read on
}

// NewReader returns a Reader of the messages in br, of at most max bytes
// each (DefaultMax if max is zero). It decodes in br's buffer and reads
// nothing ahead of the message it returns. It panics if max < 0.
func NewReader(br *bufio2.Reader, max int) *Reader {
	if max < 0 {
		panic("syslog: negative max")
	}
	if max == 0 {
		max = DefaultMax
	}
	c := frame.OctetCounting{Max: max, NonTransparent: true}
	return &Reader{br: br, codec: c, fr: frame.NewReader(br, c)}
}

// Next returns the next message, with its Framing set.
//
// It returns io.EOF at a clean end of the stream. A message over the
// maximum is *errs.FrameTooLargeError, returned once the Reader has skipped
// it (discarding an octet-counted one by its count, a non-transparent one
// through its LF, in O(max) memory either way): the next call returns the
// message after it (or, if the stream ends or fails before the frame's
// end, the error that stopped the skip). A message whose header does not parse is *ParseError,
// and the next call, too, goes on. Any other error (a malformed octet count,
// a stream cut short, the source's error) ends the stream: later calls
// return it again.
func (r *Reader) Next() (Message, error) {
	if r.err != nil {
		return Message{}, r.err
	}
	framing, err := r.framing()
	if err != nil {
		return Message{}, r.fail(err)
	}
	p, err := r.fr.Next()
	if err != nil {
		var tl *errs.FrameTooLargeError
		if !errors.As(err, &tl) {
			return Message{}, r.fail(err)
		}
		// The frame.Reader has stopped, with br at the start of the frame.
		if serr := r.skip(tl); serr != nil {
			r.fail(serr) // for the next call: this one reports the frame
		}
		return Message{}, err
	}
	m, err := Parse(p)
	m.Framing = framing
	return m, err
}

// framing looks at the first byte of the next frame: a digit starts an
// octet count, anything else a non-transparent message. The empty messages
// (LFs alone) that the codec would skip are skipped here.
func (r *Reader) framing() (Framing, error) {
	for {
		b, err := r.br.Peek(1)
		if err != nil {
			return 0, err
		}
		switch {
		case isDigit(b[0]):
			return OctetCounted, nil
		case b[0] != '\n':
			return NonTransparent, nil
		}
		r.br.Discard(1)
	}
}

// skip discards the oversized frame that br stands at the start of, and
// starts a new frame.Reader after it, on the same buffer (a frame.Reader
// holds no buffer of its own).
func (r *Reader) skip(tl *errs.FrameTooLargeError) error {
	if tl.Skip > 0 {
		for n := tl.Skip; n > 0; {
			step := int(min(n, 1<<30))
			if _, err := r.br.Discard(step); err != nil {
				return more(err)
			}
			n -= int64(step)
		}
	} else if _, err := r.br.SkipUntil(lf); err != nil && err != io.EOF {
		return err
	}
	r.fr = frame.NewReader(r.br, r.codec)
	return nil
}

func (r *Reader) fail(err error) error {
	r.err = err
	return err
}

func more(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
