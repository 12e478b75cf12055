// Command echo-server is the seed's "TCP echo server using streams": it
// serves on 127.0.0.1:8888 and, for each connection, reads up to 100 bytes,
// prints them, sends them back and closes the connection.
//
//	$ go run ./examples/echo-server
//	Serving on ('127.0.0.1', 8888)
//	Received 'Hello World!' from ('127.0.0.1', 54321)
//	Send: 'Hello World!'
//	Close the client socket
//
// It prints what the seed's Python server prints, line for line, and
// serves the seed's Python client (or examples/echo-client). Ctrl+C (or
// SIGTERM) stops it gracefully: it stops accepting, closes at once the
// connections that wait for their first bytes, and waits, at most -grace,
// for those being served; a second Ctrl+C closes them at once.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/streamkit/streamkit/examples/internal/echo"
	"github.com/streamkit/streamkit/examples/internal/pyrepr"
	"github.com/streamkit/streamkit/netx"
)

func main() {
	network := flag.String("network", "tcp", `"tcp" or "unix"`)
	addr := flag.String("addr", echo.Address, "address to serve on: host:port, or a socket path for unix")
	grace := flag.Duration("grace", 10*time.Second, "how long Ctrl+C waits for the connections being served")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("echo-server: ")

	// Serve requests until Ctrl+C is pressed.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := netx.Listen(ctx, *network, *addr, echo.Handler(os.Stdout, nil))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("Serving on %s\n", pyrepr.AddrStr(srv.Addr()))
	<-ctx.Done()
	stop()

	// Close the server: stop accepting, close the idle connections, let the
	// other handlers finish, and close what is left once -grace has passed
	// or on a second Ctrl+C.
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	ctx, cancelGrace := context.WithTimeout(ctx, *grace)
	defer cancelGrace()
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(ctx) }()
	<-srv.Closing()
	log.Printf("shutting down; waiting up to %v for open connections (Ctrl+C again to close them now)", *grace)
	if err := <-done; err != nil {
		log.Printf("closed the connections still open: %v", err)
	}
}
