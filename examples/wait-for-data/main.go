// Command wait-for-data is the seed's "Register an open socket to wait
// for data using streams": it makes a pair of connected sockets, adopts
// one with netx.Wrap (asyncio's open_connection(sock=...)), has the other
// send "abc", and waits for it.
//
//	$ go run ./examples/wait-for-data
//	Received: abc
package main

import (
	"log"
	"os"

	"github.com/streamkit/streamkit/examples/internal/waitfordata"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("wait-for-data: ")
	if err := waitfordata.Run(os.Stdout); err != nil {
		log.Fatal(err)
	}
}
