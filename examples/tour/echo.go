package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/streamkit/streamkit/examples/internal/echo"
	"github.com/streamkit/streamkit/examples/internal/pyrepr"
	"github.com/streamkit/streamkit/netx"
)

// echoTCP runs examples/echo-server and examples/echo-client against each
// other on a free loopback port.
func echoTCP(w io.Writer) error {
	fmt.Fprintln(w, "(The seed's programs print what the Python examples print, Python's repr and")
	fmt.Fprintln(w, "address tuples included, so that the tests can run the Python originals against")
	fmt.Fprintln(w, "them and compare the output line for line.)")
	return echoPair(w, "tcp", "127.0.0.1:0", func(s string) string { return s })
}

// echoUnix runs the same pair over a Unix socket (asyncio's
// start_unix_server and open_unix_connection) in a temporary directory.
func echoUnix(w io.Writer) error {
	dir, err := os.MkdirTemp("", "streamkit-tour")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	return echoPair(w, "unix", filepath.Join(dir, "echo.sock"), func(s string) string {
		return strings.ReplaceAll(s, dir, "$TMPDIR")
	})
}

// echoPair serves the seed's echo handler on network and address, runs
// the seed's client against it, shuts the server down gracefully, and
// prints what each side printed. Ports and the temporary directory
// (hide) vary from run to run, so they are written <port> and $TMPDIR.
func echoPair(w io.Writer, network, address string, hide func(string) string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var server, client bytes.Buffer // the handler writes server until Shutdown returns
	srv, err := netx.Listen(ctx, network, address, echo.Handler(&server, hiddenAddr))
	if err != nil {
		return err
	}
	defer srv.Close()
	serving := fmt.Sprintf("Serving on %s\n", hide(hiddenAddrStr(srv.Addr())))

	if err := echo.Client(ctx, &client, network, srv.Addr().String(), echo.Message); err != nil {
		return err
	}
	if err := srv.Shutdown(ctx); err != nil {
		return err
	}
	prefix(w, "echo-server| ", serving+server.String())
	prefix(w, "echo-client| ", client.String())
	fmt.Fprintf(w, "the server shut down gracefully\n")
	return nil
}

// hiddenAddr is pyrepr.Addr with the port written <port>.
func hiddenAddr(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok && t.IP.To4() != nil {
		return fmt.Sprintf("(%s, <port>)", pyrepr.Str(t.IP.String()))
	}
	return pyrepr.Addr(a)
}

// hiddenAddrStr is pyrepr.AddrStr with the port written <port>.
func hiddenAddrStr(a net.Addr) string {
	if _, ok := a.(*net.TCPAddr); ok {
		return hiddenAddr(a)
	}
	return pyrepr.AddrStr(a)
}

// prefix writes each line of text to w, after p.
func prefix(w io.Writer, p, text string) {
	for _, line := range strings.SplitAfter(text, "\n") {
		if line != "" {
			fmt.Fprintf(w, "%s%s", p, line)
		}
	}
}
