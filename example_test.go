package streamkit_test

// The tutorial's examples (doc.go), runnable.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"strings"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/frame"
	"github.com/streamkit/streamkit/fuzz"
	"github.com/streamkit/streamkit/netx"
)

// Reading a line protocol with a limit: the overlong line is reported and
// skipped, and reading goes on.
func Example_lineProtocol() {
	src := strings.NewReader("HELO me\nDATA " + strings.Repeat("x", 2000) + "\nQUIT\n")
	r := bufio2.NewReaderLimit(src, 1024)
	for line, err := range r.Lines() {
		var over *errs.LimitOverrunError
		if errors.As(err, &over) {
			fmt.Println("skipped a line over", over.Limit, "bytes")
			continue
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%q\n", line)
	}
	// Output:
	// "HELO me\n"
	// skipped a line over 1024 bytes
	// "QUIT\n"
}

// Writing and reading a length-prefixed protocol: a 4-byte big-endian
// length, then the payload.
func Example_lengthPrefixed() {
	codec := frame.LengthPrefixed{Max: 1 << 20}
	var stream bytes.Buffer
	w := frame.NewWriter(&stream, codec)
	for _, msg := range []string{"hello", "", "world"} {
		w.WriteFrame([]byte(msg))
	}
	w.Flush()
	fmt.Printf("% x\n", stream.Bytes()[:9])

	r := frame.NewReader(&stream, codec)
	for payload, err := range r.All() {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%q\n", payload)
	}
	// Output:
	// 00 00 00 05 68 65 6c 6c 6f
	// "hello"
	// ""
	// "world"
}

// Serving and dialing: a framed request/response protocol over TCP on
// loopback. The server upper-cases each request.
func Example_serveAndDial() {
	codec := frame.LengthPrefixed{Max: 64 << 10}
	ctx := context.Background()
	srv, err := netx.Listen(ctx, "tcp", "127.0.0.1:0", func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		replies := frame.NewWriter(w, codec)
		for req, err := range frame.NewReader(r, codec).All() {
			if err != nil {
				return
			}
			replies.WriteFrame(bytes.ToUpper(req))
			replies.Flush()
		}
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Shutdown(ctx)

	r, w, err := netx.Dial(ctx, "tcp", srv.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	requests, replies := frame.NewWriter(w, codec), frame.NewReader(r, codec)
	for _, q := range []string{"ping", "streamkit"} {
		requests.WriteFrame([]byte(q))
		requests.Flush()
		reply, err := replies.Next()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s -> %s\n", q, reply)
	}
	w.WriteEOF()
	if _, err := replies.Next(); err == io.EOF {
		fmt.Println("server closed the stream")
	}
	// Output:
	// ping -> PING
	// streamkit -> STREAMKIT
	// server closed the stream
}

// printTB stands in for a *testing.T in the fuzzing example: it prints the
// first line of what a check reports.
type printTB struct{}

func (printTB) Helper() {}
func (printTB) Errorf(format string, args ...any) {
	msg, _, _ := strings.Cut(fmt.Sprintf(format, args...), "\n")
	fmt.Println(msg)
}

// Fuzzing a parser: one that trusts a single Read to return a whole header
// works on a bytes.Reader, and fuzz.CheckChunking catches it; the same
// protocol parsed with frame passes, whatever the chunking.
func Example_fuzzChunking() {
	// A 2-byte big-endian length, then the payload.
	naive := func(r io.Reader) (string, error) {
		hdr := make([]byte, 2)
		if _, err := r.Read(hdr); err != nil { // wrong: a Read may return less
			return "", err
		}
		payload := make([]byte, int(hdr[0])<<8|int(hdr[1]))
		_, err := io.ReadFull(r, payload)
		return string(payload), err
	}
	framed := func(r io.Reader) (string, error) {
		payload, err := frame.NewReader(r, frame.LengthPrefixed{Size: 2}).Next()
		return string(payload), err
	}
	input := []byte("\x00\x05hello")
	fmt.Println("naive passes:", fuzz.CheckChunking(printTB{}, input, naive))
	fmt.Println("framed passes:", fuzz.CheckChunking(printTB{}, input, framed))
	// Output:
	// fuzz: parse depends on how its input is chunked: under one byte a read
	// naive passes: false
	// framed passes: true
}
