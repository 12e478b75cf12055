package frame_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/frame"
)

func Example() {
	// A line protocol: each frame is a line, without its line ending.
	r := frame.NewReader(strings.NewReader("HELO example.com\r\nMAIL FROM:<a@example.com>\r\nQUIT\r\n"), frame.Lines{})
	for line, err := range r.All() {
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Printf("%q\n", line)
	}
	// Output:
	// "HELO example.com"
	// "MAIL FROM:<a@example.com>"
	// "QUIT"
}

func ExampleWriter() {
	var stream bytes.Buffer
	w := frame.NewWriter(&stream, frame.LengthPrefixed{Size: 2})
	for _, msg := range []string{"hello", "", "world"} {
		if err := w.WriteFrame([]byte(msg)); err != nil {
			fmt.Println(err)
		}
	}
	if err := w.Flush(); err != nil {
		fmt.Println(err)
	}
	fmt.Printf("% x\n", stream.Bytes())

	r := frame.NewReader(&stream, frame.LengthPrefixed{Size: 2})
	for p, err := range r.All() {
		fmt.Printf("%q %v\n", p, err)
	}
	// Output:
	// 00 05 68 65 6c 6c 6f 00 00 00 05 77 6f 72 6c 64
	// "hello" <nil>
	// "" <nil>
	// "world" <nil>
}

func ExampleReader_Next() {
	r := frame.NewReader(strings.NewReader("one\ntwo\nthree"), frame.Lines{})
	var kept [][]byte
	for {
		p, err := r.Next()
		if err != nil {
			fmt.Println(err) // io.EOF at the end
			break
		}
		// p is valid until the next call: copy what you keep.
		kept = append(kept, bytes.Clone(p))
	}
	fmt.Printf("%q\n", kept)
	// Output:
	// EOF
	// ["one" "two" "three"]
}

func ExampleReader_SetOversized() {
	// The second frame declares 1000 bytes, over Max.
	stream := "\x00\x02hi" + "\x03\xe8" + strings.Repeat("x", 1000) + "\x00\x03bye"
	r := frame.NewReader(strings.NewReader(stream), frame.LengthPrefixed{Size: 2, Max: 100})
	r.SetOversized(frame.SkipOversized)
	for p, err := range r.All() {
		var tl *errs.FrameTooLargeError
		if errors.As(err, &tl) {
			fmt.Printf("skipped a frame of %d bytes at offset %d (max %d)\n", tl.Size, tl.Offset, tl.Max)
			continue
		}
		fmt.Printf("%q\n", p)
	}
	// Output:
	// "hi"
	// skipped a frame of 1000 bytes at offset 4 (max 100)
	// "bye"
}

func ExampleLengthPrefixed_netty() {
	// Netty's LengthFieldBasedFrameDecoder example: a one-byte header
	// (HDR1), a 2-byte length that counts the whole frame, a one-byte
	// header (HDR2), the content; HDR1 and the length are stripped.
	c := frame.LengthPrefixed{Offset: 1, Size: 2, Adjust: -3, Strip: 3}
	r := frame.NewReader(strings.NewReader("\xca\x00\x10\xfeHELLO, WORLD"), c)
	p, err := r.Next()
	fmt.Printf("%q %v\n", p, err)
	// Output:
	// "\xfeHELLO, WORLD" <nil>
}

func ExampleLengthPrefixed_keepHeader() {
	// With the header kept, the payload is the whole frame; Append fills
	// in the length field's place.
	c := frame.LengthPrefixed{Size: 2, Strip: frame.KeepHeader}
	enc, err := c.Append(nil, []byte("__HELLO, WORLD"))
	fmt.Printf("%q %v\n", enc, err)
	// Output:
	// "\x00\fHELLO, WORLD" <nil>
}

func ExampleNetstring() {
	r := frame.NewReader(strings.NewReader("12:hello world!,0:,05:oops,"), frame.Netstring{})
	for p, err := range r.All() {
		fmt.Printf("%q %v\n", p, err)
	}
	// Output:
	// "hello world!" <nil>
	// "" <nil>
	// "" frame.Netstring: malformed frame at offset 20: the length has a leading zero
}

func ExampleOctetCounting() {
	enc, _ := frame.OctetCounting{}.Append(nil, []byte("<34>1 - - su - ID47 - failed"))
	fmt.Printf("%q\n", enc)
	// Output:
	// "28 <34>1 - - su - ID47 - failed"
}

func ExampleUvarint() {
	enc, _ := frame.Uvarint{}.Append(nil, bytes.Repeat([]byte{'x'}, 300))
	fmt.Printf("% x\n", enc[:2]) // 300 as a varint
	// Output:
	// ac 02
}

func ExampleDelimited() {
	c := frame.Delimited{Seps: [][]byte{[]byte("\r\n"), []byte("\x00")}}
	r := frame.NewReader(strings.NewReader("PING\r\nPONG\x00tail"), c)
	for p, err := range r.All() {
		fmt.Printf("%q %v\n", p, err)
	}
	// Output:
	// "PING" <nil>
	// "PONG" <nil>
	// "" frame.Reader.Next: the stream ended after 4 bytes without a separator (at offset 11); the bytes read are in Partial
}

func ExampleFixed() {
	r := frame.NewReader(strings.NewReader("abcdefgh"), frame.Fixed{Size: 3})
	for p, err := range r.All() {
		fmt.Printf("%q %v\n", p, err)
	}
	// Output:
	// "abc" <nil>
	// "def" <nil>
	// "" frame.Reader.Next: the stream ended after 2 of 3 bytes (at offset 6); the bytes read are in Partial
}

func ExampleSplitFunc() {
	r := frame.NewReader(strings.NewReader("  the quick\tbrown\n fox "), frame.SplitFunc{Func: bufio.ScanWords})
	for word, err := range r.All() {
		fmt.Printf("%q %v\n", word, err)
	}
	// Output:
	// "the" <nil>
	// "quick" <nil>
	// "brown" <nil>
	// "fox" <nil>
}

func ExampleLines_scanner() {
	// Every codec's Split works in a bufio.Scanner.
	sc := bufio.NewScanner(strings.NewReader("3:abc,5:hello,"))
	sc.Split(frame.Netstring{}.Split)
	for sc.Scan() {
		fmt.Printf("%q\n", sc.Text())
	}
	fmt.Println(sc.Err())
	// Output:
	// "abc"
	// "hello"
	// <nil>
}

func ExampleLines_tooLong() {
	r := frame.NewReader(strings.NewReader("short\nmuch too long\n"), frame.Lines{Max: 5})
	for p, err := range r.All() {
		fmt.Printf("%q %v\n", p, err)
	}
	// Output:
	// "short" <nil>
	// "" frame: frame of at least 6 bytes at offset 6 is over the maximum 5 (Lines.Max)
}

func ExampleWriter_WriteTyped() {
	// PostgreSQL's protocol: the client's first message, the startup
	// message, is a length that counts itself and the body; every message
	// after it, either way, is a type byte, that length and the body.
	var startup frame.Codec = frame.LengthPrefixed{Size: 4, Adjust: -4}
	typed := frame.LengthPrefixed{Offset: 1, Size: 4, Adjust: -4}

	var toServer, toClient bytes.Buffer // the two directions of a connection

	// The client: the startup message (protocol 3.0 and its parameters),
	// then a simple query, on one Writer, in order.
	w := frame.NewWriter(&toServer, typed)
	w.WriteFrameWith(startup, []byte("\x00\x03\x00\x00user\x00alice\x00database\x00shop\x00\x00"))
	w.WriteTyped('Q', []byte("SELECT 1;\x00"))
	if err := w.Flush(); err != nil {
		fmt.Println(err)
	}
	fmt.Printf("%q\n", toServer.Next(34))
	fmt.Printf("%q\n", toServer.Bytes())

	// The server: AuthenticationOk, then ReadyForQuery (idle).
	w = frame.NewWriter(&toClient, typed)
	w.WriteTyped('R', []byte{0, 0, 0, 0})
	w.WriteTyped('Z', []byte("I"))
	if err := w.Flush(); err != nil {
		fmt.Println(err)
	}
	fmt.Printf("%q\n", toClient.Bytes())
	// Output:
	// "\x00\x00\x00\"\x00\x03\x00\x00user\x00alice\x00database\x00shop\x00\x00"
	// "Q\x00\x00\x00\x0eSELECT 1;\x00"
	// "R\x00\x00\x00\b\x00\x00\x00\x00Z\x00\x00\x00\x05I"
}

func ExampleUvarint_mqtt() {
	// MQTT 3.1.1's fixed header: a byte of packet type and flags, then
	// the remaining length as a varint of at most four bytes.
	c := frame.Uvarint{Offset: 1, Strip: frame.KeepHeader, MaxLen: 4, Max: 268435455}
	var conn bytes.Buffer
	w := frame.NewWriter(&conn, c)
	w.WriteTyped(0x30, []byte("\x00\x03a/bhello")) // PUBLISH, QoS 0: topic "a/b", "hello"
	w.WriteTyped(0xc0, nil)                        // PINGREQ
	w.Flush()
	fmt.Printf("% x\n", conn.Bytes())

	r := frame.NewReader(&conn, c)
	for p, err := range r.All() {
		fmt.Printf("type %#x, remaining length %d: %q %v\n", p[0], p[1], p[2:], err)
	}
	// Output:
	// 30 0a 00 03 61 2f 62 68 65 6c 6c 6f c0 00
	// type 0x30, remaining length 10: "\x00\x03a/bhello" <nil>
	// type 0xc0, remaining length 0: "" <nil>
}

func ExampleOctetCounting_nonTransparent() {
	// rsyslog's imtcp rule: a frame that starts with a digit is
	// octet-counted, any other ends at the next LF.
	stream := "11 <34>1 hello<13>1 from logger\n\n<14>1 last"
	r := frame.NewReader(strings.NewReader(stream), frame.OctetCounting{NonTransparent: true})
	for msg, err := range r.All() {
		fmt.Printf("%q %v\n", msg, err)
	}
	// Output:
	// "<34>1 hello" <nil>
	// "<13>1 from logger" <nil>
	// "<14>1 last" <nil>
}
