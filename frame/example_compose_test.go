package frame_test

import (
	"bytes"
	"fmt"
	"log"
	"strings"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/frame"
)

// A protocol that changes its framing part way: a head of text lines, an
// empty line, then length-prefixed binary frames, as an HTTP head and its
// body. The frame.Reader decodes in the bufio2.Reader's buffer, so nothing
// the head's reads buffered is lost to it, and after the frames the
// bufio2.Reader goes on where the last frame ended.
func ExampleNewReader_switchFraming() {
	stream := "HELLO 1\nframes: 2\n\n" +
		"\x00\x00\x00\x05hello" + "\x00\x00\x00\x05world" +
		"BYE\n"
	br := bufio2.NewReader(strings.NewReader(stream))
	for {
		line, err := br.ReadLineTrimmed()
		if err != nil {
			log.Fatal(err)
		}
		if len(line) == 0 {
			break // the end of the head
		}
		fmt.Printf("head %q\n", line)
	}
	fr := frame.NewReader(br, frame.LengthPrefixed{})
	for range 2 {
		p, err := fr.Next()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("frame %q\n", p)
	}
	line, err := br.ReadLine()
	fmt.Printf("then %q %v\n", line, err)
	// Output:
	// head "HELLO 1"
	// head "frames: 2"
	// frame "hello"
	// frame "world"
	// then "BYE\n" <nil>
}

// PostgreSQL's wire protocol starts with an untyped message (the startup
// message: a length that counts itself, then the body) and goes on with
// typed ones (a type byte, the same length, the body). One Writer writes
// both, in order (WriteFrameWith, WriteTyped); two frame.Readers over one
// bufio2.Reader read the two framings in turn (Next, NextTyped), with
// nothing buffered twice and no placeholder bytes: a Reader costs no buffer
// of its own.
func ExampleNewReader_postgres() {
	startup := frame.LengthPrefixed{Adjust: -4}          // the length counts itself
	typed := frame.LengthPrefixed{Offset: 1, Adjust: -4} // a type byte first

	// What a client sends: the startup message, then a query ('Q').
	var conn bytes.Buffer
	w := frame.NewWriter(&conn, typed)
	if err := w.WriteFrameWith(startup, []byte("\x00\x03\x00\x00user\x00alice\x00\x00")); err != nil {
		log.Fatal(err)
	}
	if err := w.WriteTyped('Q', []byte("SELECT 1\x00")); err != nil {
		log.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}

	// What the server reads.
	br := bufio2.NewReader(&conn)
	body, err := frame.NewReader(br, startup).Next()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("startup: protocol %d.%d, %q\n", body[1], body[3], body[4:])
	typ, body, err := frame.NewReader(br, typed).NextTyped()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("type %q: %q\n", typ, body)
	// Output:
	// startup: protocol 3.0, "user\x00alice\x00\x00"
	// type 'Q': "SELECT 1\x00"
}
