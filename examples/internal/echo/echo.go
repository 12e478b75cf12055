// Package echo is the seed's TCP echo pair (asyncio's "TCP echo client
// using streams" and "TCP echo server using streams"), written once for
// the echo-client and echo-server examples and the tour.
package echo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/examples/internal/pyrepr"
	"github.com/streamkit/streamkit/netx"
)

const (
	// Address is the seed's address: '127.0.0.1', 8888.
	Address = "127.0.0.1:8888"
	// Message is what the seed's client sends.
	Message = "Hello World!"
	// ReadSize is the seed's read(100): each side reads once, at most
	// this many bytes.
	ReadSize = 100
)

// Handler returns the seed's handle_echo as a [netx.Handler]:
//
//	data = yield from reader.read(100)
//	message = data.decode()
//	addr = writer.get_extra_info('peername')
//	print("Received %r from %r" % (message, addr))
//	print("Send: %r" % message)
//	writer.write(data)
//	yield from writer.drain()
//	print("Close the client socket")
//	writer.close()
//
// It prints to out, which must be safe for concurrent use if connections
// are served at once (os.Stdout is). peer formats the peer's address; if
// nil, [pyrepr.Addr] is used, which prints what Python prints.
func Handler(out io.Writer, peer func(net.Addr) string) netx.Handler {
	if peer == nil {
		peer = pyrepr.Addr
	}
	return func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		buf := make([]byte, ReadSize)
		n, err := r.Read(buf) // asyncio's read(100): what is there, at most 100 bytes
		if errors.Is(err, netx.ErrServerClosed) {
			return // Shutdown closed the connection while it waited: not a failure
		}
		if err != nil && err != io.EOF {
			// asyncio's read raises here, and the handler dies.
			log.Printf("echo: reading from %v: %v", w.RemoteAddr(), err)
			return
		}
		data := buf[:n] // at EOF, asyncio's read returns b'', and so do we
		message := pyrepr.Str(string(data))
		fmt.Fprintf(out, "Received %s from %s\n", message, peer(w.RemoteAddr()))

		fmt.Fprintf(out, "Send: %s\n", message)
		w.Write(data)
		if err := w.Drain(ctx); err != nil {
			log.Printf("echo: writing to %v: %v", w.RemoteAddr(), err)
			return
		}

		fmt.Fprintf(out, "Close the client socket\n")
		w.Close()
	}
}

// Client is the seed's tcp_echo_client:
//
//	reader, writer = yield from asyncio.open_connection('127.0.0.1', 8888)
//	print('Send: %r' % message)
//	writer.write(message.encode())
//	data = yield from reader.read(100)
//	print('Received: %r' % data.decode())
//	print('Close the socket')
//	writer.close()
//
// It dials address on network ("tcp" or "unix") and prints to out.
func Client(ctx context.Context, out io.Writer, network, address, message string) error {
	r, w, err := netx.Dial(ctx, network, address)
	if err != nil {
		return err
	}
	defer w.Abort() // on an early return; after Close it does nothing

	fmt.Fprintf(out, "Send: %s\n", pyrepr.Str(message))
	if _, err := w.Write([]byte(message)); err != nil { // sent promptly: no Drain needed before reading
		return err
	}

	buf := make([]byte, ReadSize)
	n, err := r.Read(buf)
	if err != nil && err != io.EOF { // at EOF, asyncio's read returns b''
		return err
	}
	fmt.Fprintf(out, "Received: %s\n", pyrepr.Str(string(buf[:n])))

	fmt.Fprintf(out, "Close the socket\n")
	return w.Close()
}
