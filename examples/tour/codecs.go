package main

import (
	"bytes"
	"fmt"
	"io"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/frame"
)

// codecs decodes three more framings, each from one stream in memory: a
// netstring, MQTT packets (a type byte, then a varint length) read as typed
// messages, and syslog over TCP, where one stream mixes octet-counted and
// LF-terminated messages (RFC 6587). Each frame.Reader decodes in the
// buffer of the bufio2.Reader under it, so one stream can switch framing
// mid-way and lose nothing: the last part reads a line with bufio2, then
// netstrings with frame, then a line again.
func codecs(w io.Writer) error {
	// Netstring: "<length>:<bytes>,".
	ns, err := frame.Netstring{}.Append(nil, []byte("hello"))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "netstring of \"hello\" on the wire: %q\n", ns)

	// MQTT 3.1.1: CONNACK (type 0x20, remaining length 2) and a PUBLISH
	// (0x30) whose body is the topic and the payload. Writer.WriteTyped
	// writes the header; Reader.NextTyped reads type byte and body.
	var mqtt bytes.Buffer
	mw := frame.NewWriter(&mqtt, frame.Uvarint{Offset: 1})
	mw.WriteTyped(0x20, []byte{0, 0})
	mw.WriteTyped(0x30, append([]byte("\x00\x0bsensors/one"), "21.5"...))
	if err := mw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "MQTT packets on the wire: % x\n", mqtt.Bytes())
	mr := frame.NewReader(&mqtt, frame.Uvarint{Offset: 1})
	for {
		typ, body, err := mr.NextTyped()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "MQTT packet type %#x, %d-byte body %q\n", typ, len(body), body)
	}

	// syslog over TCP: octet counting ("<length> <message>") and, told
	// apart per frame, non-transparent framing (a message ending in LF).
	counted := "<34>1 - host app - - - hello"
	syslog := fmt.Sprintf("%d %s", len(counted), counted) + "<13>1 - host app - - - world\n"
	sr := frame.NewReader(bytes.NewReader([]byte(syslog)), frame.OctetCounting{NonTransparent: true})
	for msg, err := range sr.All() {
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "syslog message %q\n", msg)
	}

	// A framing switch on one bufio2.Reader.
	br := bufio2.NewReader(bytes.NewReader([]byte("HEAD\n3:abc,3:def,tail line\n")))
	head, _ := br.ReadLine()
	nr := frame.NewReader(br, frame.Netstring{})
	a, _ := nr.ReadFrame()
	b, _ := nr.ReadFrame()
	tail, err := br.ReadLine()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "one stream, three framings: %q, then %q %q, then %q\n", head, a, b, tail)
	return nil
}
