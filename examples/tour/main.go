// Command tour runs streamkit end to end and prints what each part does.
// Each step names the streamkit calls it makes and the file to open to
// read it: bufio2 on its own, three more codecs and a framing switch,
// package fuzz checking two parsers, the seed's four examples (the echo
// pair, over TCP and over a Unix socket, the HTTP headers client against an
// HTTP and an HTTPS server of its own, wait-for-data), a length-prefixed
// request/response protocol with frame over netx, flow control with Write
// and Drain, and a server's operator settings with Shutdown and Stats. It
// needs no arguments and no network beyond loopback, and its output is the
// same at every run (ports and temporary paths are written <port> and
// $TMPDIR).
//
//	go run ./examples/tour
package main

import (
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"strings"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/errs"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("tour: ")
	for _, step := range []struct {
		title, calls, file string
		run                func(w io.Writer) error
	}{
		{"bufio2: lines with a limit", "bufio2.NewReaderLimit, Reader.Lines", "examples/tour/main.go (lines)", lines},
		{"bufio2: the first of several separators", "Reader.ReadUntilAny", "examples/tour/main.go (untilAny)", untilAny},
		{"bufio2: recovering from a limit overrun", "Reader.ReadUntil, Reader.ReadExactly", "examples/tour/main.go (overrun)", overrun},
		{"bufio2: a hand-fed stream", "bufio2.NewFeed, Feed.SetFlowControl, Feed.Write", "examples/tour/main.go (feed)", feed},
		{"frame: three more codecs, and three framings on one stream", "frame.Netstring, frame.Uvarint{Offset: 1} with Writer.WriteTyped and Reader.NextTyped, frame.OctetCounting{NonTransparent: true}", "examples/tour/codecs.go", codecs},
		{"fuzz: is a parser indifferent to how its input is chunked?", "fuzz.CheckChunking (in a fuzz target: fuzz.Checker.Check)", "examples/tour/fuzzing.go", fuzzing},
		{"echo-server and echo-client (the seed's echo pair) on a loopback TCP port", "netx.Listen, netx.Dial, Reader.ReadLine, Writer.Write, Writer.Drain", "examples/echo-server, examples/echo-client (examples/internal/echo)", echoTCP},
		{"http-headers: HEAD over HTTP/1.0, then over TLS, against servers in this process", "netx.Dialer{TLSConfig}, Reader.ReadLine", "examples/http-headers (examples/internal/httpheaders)", httpHeaders},
		{"wait-for-data: a socket that already exists, adopted", "netx.Wrap", "examples/wait-for-data (examples/internal/waitfordata)", waitForData},
		{"the echo pair over a Unix socket", "netx.Listen and netx.Dial with \"unix\"", "examples/tour/echo.go", echoUnix},
		{"frame over netx: a length-prefixed request/response protocol", "frame.NewReader over the pair's Reader, Reader.All, frame.SkipOversized, frame.NewWriter, Writer.WriteEOF", "examples/tour/framed.go", framed},
		{"netx: flow control with Write and Drain", "Writer.SetWriteBufferLimits, Writer.Write, Writer.Drain, Writer.Close", "examples/tour/flow.go", flow},
		{"netx: a server an operator runs", "netx.Server{ReadTimeout, IdleTimeout, MaxConns}, Server.Shutdown, Server.Stats", "examples/tour/operator.go (and examples/prod-server)", operator},
	} {
		fmt.Printf("== %s\n", step.title)
		fmt.Printf("   calls: %s\n   read:  %s\n", step.calls, step.file)
		if err := step.run(os.Stdout); err != nil {
			log.Fatalf("%s: %v", step.title, err)
		}
		fmt.Println()
	}
	fmt.Println("tour complete")
}

// lines reads a line protocol with a 16-byte limit: the overlong line is
// reported and skipped, and reading goes on with the next line.
func lines(w io.Writer) error {
	src := strings.NewReader("HELO client\nDATA this line is far too long for the limit\nQUIT\n")
	r := bufio2.NewReaderLimit(src, 16)
	for line, err := range r.Lines() {
		var over *errs.LimitOverrunError
		switch {
		case errors.As(err, &over):
			fmt.Fprintf(w, "skipped an overlong line (limit %d)\n", over.Limit)
		case err != nil:
			return err
		default:
			fmt.Fprintf(w, "line %q\n", line)
		}
	}
	return nil
}

// untilAny splits records that end in "\n", "\r\n" or ";": the match that
// ends first wins.
func untilAny(w io.Writer) error {
	r := bufio2.NewReader(strings.NewReader("a=1;b=2\r\nc=3\nd=4"))
	seps := [][]byte{[]byte("\n"), []byte("\r\n"), []byte(";")}
	for {
		rec, err := r.ReadUntilAny(seps...)
		var short *errs.IncompleteReadError
		switch {
		case err == io.EOF:
			return nil
		case errors.As(err, &short):
			fmt.Fprintf(w, "unterminated tail %q\n", short.Partial)
			return nil
		case err != nil:
			return err
		}
		fmt.Fprintf(w, "record %q\n", rec)
	}
}

// overrun shows that ReadUntil leaves the data buffered when it overruns, so
// that it can be read another way.
func overrun(w io.Writer) error {
	r := bufio2.NewReaderLimit(strings.NewReader("0123456789ABCDEF|rest|"), 8)
	_, err := r.ReadUntil([]byte("|"))
	var over *errs.LimitOverrunError
	if !errors.As(err, &over) {
		return fmt.Errorf("want a limit overrun, got %v", err)
	}
	fmt.Fprintf(w, "overrun: %v\n", err)
	head, err := r.ReadExactly(over.Consumed)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "read the %d bytes instead: %q\n", len(head), head)
	next, err := r.ReadUntil([]byte("|"))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "and went on: %q\n", next)
	return nil
}

// feed fills a Feed by hand, in chunks that split lines at odd places, and
// shows asyncio's flow control: the producer is told to pause when more than
// twice the reader's limit is waiting, and to resume once it drains to the
// limit.
func feed(w io.Writer) error {
	f := bufio2.NewFeed()
	r := bufio2.NewReaderLimit(f, 8)
	f.SetFlowControl(r.Limit(),
		func() { fmt.Fprintf(w, "producer told to pause\n") },
		func() { fmt.Fprintf(w, "producer told to resume\n") })

	for _, chunk := range []string{"HEL", "O\nQU", "IT\nPING 1\nPING 2\nPING 3\n"} {
		fmt.Fprintf(w, "feed %q\n", chunk)
		if _, err := f.Write([]byte(chunk)); err != nil {
			return err
		}
	}
	f.Close()
	for line, err := range r.Lines() {
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "line %q\n", line)
	}
	return nil
}
