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
// After an error from the underlying writer, every later call returns it,
// as with bufio.Writer. A Writer is not safe for concurrent use.
type Writer struct {
	w    io.Writer
	add  func(dst, payload []byte) ([]byte, error) // c.Append
	env  enveloper
	buf  []byte // len: the buffered bytes; cap: the buffer size
	size int
	err  error
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
	if w.err != nil {
		return w.err
	}
	if len(w.buf)+len(payload)+slack <= w.size {
		out, err := w.add(w.buf, payload)
		if err != nil {
			return err
		}
		return w.keep(out)
	}
	if w.env != nil {
		switch err := w.writeThrough(payload); err {
		case errNoEnvelope:
		default:
			return err
		}
	}
	// Flush first, then encode into the empty buffer.
	if err := w.Flush(); err != nil {
		return err
	}
	out, err := w.add(w.buf, payload)
	if err != nil {
		return err
	}
	return w.keep(out)
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
func (w *Writer) writeThrough(payload []byte) error {
	if len(w.buf)+slack > w.size {
		if err := w.Flush(); err != nil {
			return err
		}
	}
	out, trailer, err := w.env.envelope(w.buf, payload)
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
