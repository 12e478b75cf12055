// Package waitfordata is the seed's "Register an open socket to wait for
// data using streams", written once for the wait-for-data example and the
// tour.
package waitfordata

import (
	"fmt"
	"io"

	"github.com/streamkit/streamkit/netx"
)

// Run is the seed's wait_for_data:
//
//	rsock, wsock = socketpair()
//	reader, writer = yield from asyncio.open_connection(sock=rsock, loop=loop)
//	loop.call_soon(wsock.send, 'abc'.encode())
//	data = yield from reader.read(100)
//	print("Received:", data.decode())
//	writer.close()
//	wsock.close()
//
// It prints to out.
func Run(out io.Writer) error {
	// Create a pair of connected sockets.
	rsock, wsock, err := Socketpair()
	if err != nil {
		return err
	}
	defer wsock.Close()

	// Register the open socket to wait for data.
	reader, writer := netx.Wrap(rsock, 0)
	defer writer.Close()

	// Simulate the reception of data from the network: the send runs
	// soon, while the read below waits.
	sent := make(chan error, 1)
	go func() {
		_, err := wsock.Write([]byte("abc"))
		sent <- err
	}()

	// Wait for data.
	data := make([]byte, 100)
	n, err := reader.Read(data)
	if err != nil {
		return err
	}
	if err := <-sent; err != nil {
		return err
	}

	// Got data, we are done: close the socket.
	fmt.Fprintln(out, "Received:", string(data[:n]))
	if err := writer.Close(); err != nil {
		return err
	}

	// Close the second socket.
	return wsock.Close()
}
