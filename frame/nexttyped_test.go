package frame_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/frame"
	"github.com/streamkit/streamkit/fuzz"
)

// TestNextTypedPostgres: the server's side of pgConversation, read with
// NextTyped after the untyped startup message, on one bufio2.Reader.
func TestNextTypedPostgres(t *testing.T) {
	br := bufio2.NewReader(strings.NewReader(pgConversationWire))
	startup, err := frame.NewReader(br, pgStartup).Next()
	if err != nil || string(startup) != pgParams {
		t.Fatalf("startup: %q, %v", startup, err)
	}
	for _, c := range []frame.Codec{pgTyped, pgTypedKH} { // whatever Strip says
		br := bufio2.NewReader(strings.NewReader(pgConversationWire[len(pgStartupW):]))
		fr := frame.NewReader(br, c)
		typ, body, err := fr.NextTyped()
		if err != nil || typ != 'Q' || string(body) != "SELECT 1;\x00" {
			t.Errorf("%#v: NextTyped() = %q, %q, %v; want 'Q', the query", c, typ, body, err)
		}
		typ, body, err = fr.NextTyped()
		if err != nil || typ != 'X' || len(body) != 0 {
			t.Errorf("%#v: NextTyped() = %q, %q, %v; want 'X' and no body", c, typ, body, err)
		}
		if _, _, err := fr.NextTyped(); err != io.EOF {
			t.Errorf("%#v: at the end: %v, want io.EOF", c, err)
		}
	}
}

// TestNextTypedNotTyped: a codec that does not frame typed messages gives
// ErrNotTyped, and the Reader reads nothing.
func TestNextTypedNotTyped(t *testing.T) {
	for _, c := range []frame.Codec{frame.Lines{}, frame.LengthPrefixed{}, frame.Uvarint{}, frame.Netstring{}} {
		br := bufio2.NewReader(strings.NewReader("3:abc,\n"))
		fr := frame.NewReader(br, c)
		if _, _, err := fr.NextTyped(); !errors.Is(err, frame.ErrNotTyped) {
			t.Errorf("%#v: NextTyped() error %v, want ErrNotTyped", c, err)
		}
		if br.Buffered() != 0 {
			t.Errorf("%#v: NextTyped buffered %d bytes", c, br.Buffered())
		}
	}
}

// TestNextTypedErrors: an oversized typed message is skipped as Next skips
// it, and a message cut by the end is an IncompleteReadError.
func TestNextTypedErrors(t *testing.T) {
	c := frame.LengthPrefixed{Offset: 1, Size: 4, Adjust: -4, Max: 8}
	wire := "A\x00\x00\x00\x0dtoo long!" + "B\x00\x00\x00\x06ok" + "C\x00\x00\x00\x09cut"
	fr := frame.NewReader(strings.NewReader(wire), c)
	fr.SetOversized(frame.SkipOversized)
	var tl *errs.FrameTooLargeError
	if _, _, err := fr.NextTyped(); !errors.As(err, &tl) {
		t.Fatalf("oversized: %v, want *errs.FrameTooLargeError", err)
	}
	if typ, body, err := fr.NextTyped(); err != nil || typ != 'B' || string(body) != "ok" {
		t.Fatalf("after the skip: %q, %q, %v; want 'B', \"ok\"", typ, body, err)
	}
	if _, _, err := fr.NextTyped(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("cut message: %v, want io.ErrUnexpectedEOF", err)
	}
}

// TestNextTypedRoundTrip: typed messages written with WriteTyped come back
// from NextTyped, mixed with Next, whatever the chunking.
func TestNextTypedRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := genTypedCodec(t)
		var out bytes.Buffer
		w := frame.NewWriterSize(&out, c, rapid.IntRange(1, 64).Draw(t, "wsize"))
		type msg struct {
			typ  byte
			body []byte
		}
		var sent []msg
		for range rapid.IntRange(0, 10).Draw(t, "messages") {
			m := msg{rapid.Byte().Draw(t, "type"), genBytes(0, 80).Draw(t, "body")}
			if err := w.WriteTyped(m.typ, m.body); err == nil {
				sent = append(sent, m)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		data := out.Bytes()
		fr := frame.NewReader(fuzz.Chunking{Sizes: genChunks(t)}.Reader(data), c)
		pos := 0
		for i, m := range sent {
			hdr, n, err := frame.TypedFrame(c, data[pos:], true)
			if err != nil {
				t.Fatal(err)
			}
			// Next gives the payload that Split gives, where Split takes
			// the frame (a Strip past the frame's end does not).
			_, want, serr := c.Split(data[pos:pos+n], true)
			if serr == nil && rapid.Bool().Draw(t, "next") {
				got, err := fr.Next()
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("message %d: Next() = %q, %v; want %q", i, got, err, want)
				}
			} else {
				typ, body, err := fr.NextTyped()
				if err != nil || typ != m.typ || !bytes.Equal(body, m.body) || !bytes.Equal(body, data[pos+hdr:pos+n]) {
					t.Fatalf("message %d: NextTyped() = %q, %q, %v; want %q, %q", i, typ, body, err, m.typ, m.body)
				}
			}
			pos += n
		}
		if _, _, err := fr.NextTyped(); err != io.EOF {
			t.Fatalf("at the end: %v, want io.EOF", err)
		}
	})
}

// TestNextTypedAllocatesNothing: reading a typed message allocates nothing.
func TestNextTypedAllocatesNothing(t *testing.T) {
	var wire bytes.Buffer
	w := frame.NewWriter(&wire, pgTyped)
	for range 200 {
		w.WriteTyped('D', []byte("a data row of some length"))
	}
	w.Flush()
	rd := bytes.NewReader(wire.Bytes())
	br := bufio2.NewReader(rd)
	fr := frame.NewReader(br, pgTyped)
	fr.NextTyped() // the buffer
	allocs := testing.AllocsPerRun(100, func() {
		if typ, _, err := fr.NextTyped(); err != nil || typ != 'D' {
			t.Fatalf("NextTyped: %q, %v", typ, err)
		}
	})
	if allocs != 0 {
		t.Errorf("NextTyped allocates %v times per message, want 0", allocs)
	}
}
