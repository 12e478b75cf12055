// Command echo-client is the seed's "TCP echo client using streams": it
// connects to 127.0.0.1:8888, sends 'Hello World!', reads up to 100 bytes
// of reply and closes the connection.
//
//	$ go run ./examples/echo-client
//	Send: 'Hello World!'
//	Received: 'Hello World!'
//	Close the socket
//
// It prints what the seed's Python client prints, line for line, and talks
// to the seed's Python server (or examples/echo-server).
package main

import (
	"context"
	"flag"
	"log"
	"os"

	"github.com/streamkit/streamkit/examples/internal/echo"
)

func main() {
	network := flag.String("network", "tcp", `"tcp" or "unix"`)
	addr := flag.String("addr", echo.Address, "address to connect to: host:port, or a socket path for unix")
	message := flag.String("message", echo.Message, "the message to send")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("echo-client: ")

	if err := echo.Client(context.Background(), os.Stdout, *network, *addr, *message); err != nil {
		log.Fatal(err)
	}
}
