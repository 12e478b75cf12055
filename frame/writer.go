package frame

import "io"

// DefaultWriterSize is the buffer size of a [Writer] made by [NewWriter]:
// 4 KiB, as bufio.Writer's.
const DefaultWriterSize = 4096

// Writer writes frames to a stream, encoded by a [Codec]. It batches them:
// [Writer.WriteFrame] encodes each frame into a buffer, and the buffer goes
// to the underlying writer in one Write when the next frame would not fit
// in it, or on [Writer.Flush]. A frame larger than the buffer is written
// through: its header joins the buffered data, and the payload follows in
// a Write of its own, without being copied.
//
// Besides the frames of its codec, a Writer writes typed messages
// ([Writer.WriteTyped]) when its codec frames them, and single frames of
// another codec ([Writer.WriteFrameWith]), all in the order of the calls.
//
// After an error from the underlying writer, every later call returns it,
// as with bufio.Writer. A Writer is not safe for concurrent use.
type Writer struct {
	w     io.Writer
	add   func(dst, payload []byte) ([]byte, error) // c.Append
	env   enveloper
	typed typed  // the codec, if it may frame typed messages
	buf   []byte // len: the buffered bytes; cap: the buffer size
	size  int
	err   error
}

// NewWriter returns a Writer of the frames that c encodes, to w, with a
// buffer of [DefaultWriterSize] bytes.
func NewWriter(w io.Writer, c Codec) *Writer { return NewWriterSize(w, c, DefaultWriterSize) }

// NewWriterSize is [NewWriter] with a buffer of size bytes. It panics if
// size <= 0.
func NewWriterSize(w io.Writer, c Codec, size int) *Writer {
	if c == nil {
		panic("frame: NewWriter: nil Codec")
	}
	if size <= 0 {
		panic("frame: NewWriterSize: size must be positive")
	}
	fw := &Writer{w: w, buf: make([]byte, 0, size), size: size}
	fw.add = c.Append
	if cc, ok := c.(interface {
		compileAppend() func(dst, payload []byte) ([]byte, error)
	}); ok {
		fw.add = cc.compileAppend()
	}
	fw.env, _ = c.(enveloper)
	fw.typed, _ = c.(typed)
	return fw
}

// slack is room kept in the buffer for a frame's header and trailer, so
// that a frame that fits is encoded in place.
const slack = 32

// WriteFrame encodes payload as one frame and buffers it, writing the
// buffer out first if the frame would not fit. It returns the codec's error
// for a payload it cannot encode (and writes nothing), or the underlying
// writer's error. The Writer does not keep payload after WriteFrame
// returns.
func (w *Writer) WriteFrame(payload []byte) error {
	if w.err == nil && len(w.buf)+len(payload)+slack <= w.size {
		// The common case, kept small: the frame fits in the buffer.
		out, err := w.add(w.buf, payload)
		if err != nil {
			return err
		}
		return w.keep(out)
	}
	return w.writeFrame(nil, w.env, payload)
}

// WriteFrameWith is [Writer.WriteFrame] with c instead of the Writer's
// codec, for this one frame: it is written in order with the frames before
// and after it. It serves protocols whose first message is framed apart,
// such as PostgreSQL's startup message, which has no type byte, before the
// typed messages written by [Writer.WriteTyped]. It panics if c is nil.
//
// Like WriteFrame, it does not allocate, as long as c is not boxed anew
// at each call: pass a literal, or a variable of type Codec made once.
func (w *Writer) WriteFrameWith(c Codec, payload []byte) error {
	if c == nil {
		panic("frame: WriteFrameWith: nil Codec")
	}
	env, _ := c.(enveloper)
	return w.writeFrame(c, env, payload)
}

// writeFrame writes a frame of payload encoded by c, or by the Writer's
// codec if c is nil; env is c's enveloper, or nil.
func (w *Writer) writeFrame(c Codec, env enveloper, payload []byte) error {
	if w.err != nil {
		return w.err
	}
	if len(w.buf)+len(payload)+slack <= w.size {
		out, err := w.encode(c, payload)
		if err != nil {
			return err
		}
		return w.keep(out)
	}
	if env != nil {
		switch err := w.writeThrough(env, payload); err {
		case errNoEnvelope:
		default:
			return err
		}
	}
	// Flush first, then encode into the empty buffer.
	if err := w.Flush(); err != nil {
		return err
	}
	out, err := w.encode(c, payload)
	if err != nil {
		return err
	}
	return w.keep(out)
}

// encode appends the frame of payload, encoded by c or, if c is nil, by
// the Writer's codec, to the buffer and returns the extended slice.
func (w *Writer) encode(c Codec, payload []byte) ([]byte, error) {
	if c == nil {
		return w.add(w.buf, payload)
	}
	return c.Append(w.buf, payload)
}

// WriteTyped writes one typed message: the type byte typ, the length of
// body, and body, as the Writer's codec frames them. The codec must be a
// [LengthPrefixed] or a [Uvarint] whose Offset is 1: typ is the byte
// before the length field, and body everything after it, as in
// PostgreSQL's messages (LengthPrefixed{Offset: 1, Size: 4, Adjust: -4})
// and MQTT's packets (Uvarint{Offset: 1}). The codec's Strip plays no part,
// and no placeholder bytes are needed. WriteTyped returns ErrNotTyped for
// any other codec, the codec's error for a body it cannot frame (it then
// writes nothing), or the underlying writer's error. It batches as
// WriteFrame does, writes a large body through without copying it, and
// does not allocate; the Writer does not keep body after WriteTyped
// returns.
func (w *Writer) WriteTyped(typ byte, body []byte) error {
	if w.err != nil {
		return w.err
	}
	if w.typed == nil {
		return ErrNotTyped
	}
	if len(w.buf)+len(body)+slack <= w.size {
		out, err := w.typed.appendTyped(w.buf, typ, body)
		if err != nil {
			return err
		}
		return w.keep(out)
	}
	// A large body: the header joins the buffered data, the body follows.
	if len(w.buf)+slack > w.size {
		if err := w.Flush(); err != nil {
			return err
		}
	}
	out, err := w.typed.typedHeader(w.buf, typ, len(body))
	if err != nil {
		return err
	}
	if len(out)+len(body) <= w.size {
		return w.keep(append(out, body...))
	}
	w.buf = w.buf[:0]
	if err := w.write(out); err != nil {
		return err
	}
	return w.write(body)
}

// keep makes out, the buffer with a frame appended, the buffer. If it is
// more than the buffer holds, it is written out at once, and the buffer
// keeps its size.
func (w *Writer) keep(out []byte) error {
	if len(out) <= w.size {
		w.buf = out
		return nil
	}
	w.buf = w.buf[:0]
	return w.write(out)
}

// writeThrough writes a frame of a codec that frames payloads as they are.
func (w *Writer) writeThrough(env enveloper, payload []byte) error {
	if len(w.buf)+slack > w.size {
		if err := w.Flush(); err != nil {
			return err
		}
	}
	out, trailer, err := env.envelope(w.buf, payload)
	if err != nil {
		return err
	}
	if len(out)+len(payload)+len(trailer) <= w.size {
		out = append(out, payload...)
		return w.keep(append(out, trailer...))
	}
	w.buf = w.buf[:0]
	if err := w.write(out); err != nil {
		return err
	}
	if err := w.write(payload); err != nil {
		return err
	}
	return w.keep(append(w.buf, trailer...))
}

// write writes p to the underlying writer.
func (w *Writer) write(p []byte) error {
	n, err := w.w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		w.err = err
	}
	return err
}

// Flush writes the buffered frames to the underlying writer.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if len(w.buf) == 0 {
		return nil
	}
	err := w.write(w.buf)
	w.buf = w.buf[:0]
	return err
}

// Buffered returns the number of bytes buffered and not yet written.
func (w *Writer) Buffered() int { return len(w.buf) }
