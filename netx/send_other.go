//go:build !linux

package netx

// sendsRaw is false: non-blocking sends are implemented on Linux only;
// elsewhere every write goes through the buffer and a flusher.
const sendsRaw = false

// rawSender is only the token holder's scratch vector here (see Writer.snd).
type rawSender struct {
	one  []byte
	bufs [][]byte
}

func (s *rawSender) init() {}

func (w *Writer) sendNow([][]byte) (int, error) { panic("netx: sendNow without a raw connection") }

func (w *Writer) send() (int, error) { panic("netx: send without a raw connection") }
