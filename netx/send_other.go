//go:build !linux

package netx

import (
	"net"
	"syscall"
)

// rawConnOf returns nil: non-blocking sends are implemented on Linux only;
// elsewhere every write goes through the buffer and a flusher.
func rawConnOf(net.Conn) syscall.RawConn { return nil }

type rawSender struct{}

func (w *Writer) sendNow([][]byte) (int, error) { panic("netx: sendNow without a raw connection") }
