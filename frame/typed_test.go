package frame_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/frame"
)

// PostgreSQL's protocol 3.0 (Frontend/Backend Protocol, Message Formats):
// the startup message is a 4-byte length that counts itself, and the body;
// every later message a type byte, that length, and the body.
var (
	pgStartup  = frame.LengthPrefixed{Size: 4, Adjust: -4}
	pgTyped    = frame.LengthPrefixed{Offset: 1, Size: 4, Adjust: -4}
	pgTypedKH  = frame.LengthPrefixed{Offset: 1, Size: 4, Adjust: -4, Strip: frame.KeepHeader}
	pgParams   = "\x00\x03\x00\x00user\x00alice\x00database\x00shop\x00\x00" // protocol 3.0
	pgStartupW = "\x00\x00\x00\x22" + pgParams                               // 34 bytes
)

// pgConversation is a client's side: the startup message, a simple query,
// Terminate.
func pgConversation(w *frame.Writer) error {
	if err := w.WriteFrameWith(pgStartup, []byte(pgParams)); err != nil {
		return err
	}
	if err := w.WriteTyped('Q', []byte("SELECT 1;\x00")); err != nil {
		return err
	}
	if err := w.WriteTyped('X', nil); err != nil {
		return err
	}
	return w.Flush()
}

var pgConversationWire = pgStartupW + "Q\x00\x00\x00\x0eSELECT 1;\x00" + "X\x00\x00\x00\x04"

// TestWriteTypedPostgres: the startup message and typed messages, on one
// Writer, in order, with no placeholder bytes; Split with the header kept,
// and two Readers over one bufio2.Reader, read them back.
func TestWriteTypedPostgres(t *testing.T) {
	for _, size := range []int{1, 8, 40, frame.DefaultWriterSize} {
		var conn bytes.Buffer
		if err := pgConversation(frame.NewWriterSize(&conn, pgTyped, size)); err != nil {
			t.Fatal(err)
		}
		if got := conn.String(); got != pgConversationWire {
			t.Errorf("buffer %d: wrote %q; want %q", size, got, pgConversationWire)
		}
	}

	// Split, the header kept.
	data := []byte(pgConversationWire[len(pgStartupW):])
	var msgs []string
	for len(data) > 0 {
		adv, tok, err := pgTypedKH.Split(data, true)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, string(tok))
		data = data[adv:]
	}
	if diff := cmp.Diff([]string{"Q\x00\x00\x00\x0eSELECT 1;\x00", "X\x00\x00\x00\x04"}, msgs); diff != "" {
		t.Errorf("Split (-want +got):\n%s", diff)
	}

	// The server's side: the startup message with one Reader, then the
	// typed messages with another over the same bufio2.Reader.
	br := bufio2.NewReader(strings.NewReader(pgConversationWire))
	startup, err := frame.NewReader(br, pgStartup).Next()
	if err != nil || string(startup) != pgParams {
		t.Fatalf("startup message %q, %v; want %q", startup, err, pgParams)
	}
	got := readAll(t, br, pgTypedKH, frame.StopOversized)
	want := []event{frameEvent("Q\x00\x00\x00\x0eSELECT 1;\x00"), frameEvent("X\x00\x00\x00\x04")}
	if diff := eventsDiff(want, got); diff != "" {
		t.Errorf("typed messages (-want +got):\n%s", diff)
	}
}

// TestWriteTypedPostgresReplies: a server writes AuthenticationOk,
// ParameterStatus, ReadyForQuery.
func TestWriteTypedPostgresReplies(t *testing.T) {
	var conn bytes.Buffer
	w := frame.NewWriter(&conn, pgTyped)
	w.WriteTyped('R', []byte("\x00\x00\x00\x00"))
	w.WriteTyped('S', []byte("server_version\x0017.0\x00"))
	w.WriteTyped('Z', []byte("I"))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "R\x00\x00\x00\x08\x00\x00\x00\x00" + "S\x00\x00\x00\x18server_version\x0017.0\x00" + "Z\x00\x00\x00\x05I"
	if got := conn.String(); got != want {
		t.Errorf("wrote %q; want %q", got, want)
	}
}

// TestWriteTypedMQTT: MQTT packets written as typed messages are the
// packets of TestUvarintMQTTPackets.
func TestWriteTypedMQTT(t *testing.T) {
	var conn, want bytes.Buffer
	w := frame.NewWriterSize(&conn, frame.Uvarint{Offset: 1}, 8)
	for _, p := range mqttPackets {
		if err := w.WriteTyped(p.header[0], []byte(p.body)); err != nil {
			t.Fatal(err)
		}
		want.WriteString(p.header + p.body)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if conn.String() != want.String() {
		t.Errorf("wrote %q; want %q", conn.Bytes(), want.Bytes())
	}
}

// TestTypedMQTTRemainingLength: the typed header of each boundary of MQTT's
// remaining-length table (without writing the bodies).
func TestTypedMQTTRemainingLength(t *testing.T) {
	c := frame.Uvarint{Offset: 1, Max: mqttMax}
	for _, tc := range mqttRemainingLength {
		got, err := frame.AppendTypedHeader(c, nil, 0x30, tc.n)
		if err != nil || string(got) != "\x30"+tc.want {
			t.Errorf("remaining length %d: header %q, %v; want %q", tc.n, got, err, "\x30"+tc.want)
		}
	}
	var tl *errs.FrameTooLargeError
	if _, err := frame.AppendTypedHeader(c, nil, 0x30, mqttMax+1); !errors.As(err, &tl) || tl.Max != mqttMax || tl.Setting != "Uvarint.Max" {
		t.Errorf("remaining length %d: %v; want *errs.FrameTooLargeError", mqttMax+1, err)
	}
}

// TestWriteTypedErrors: a codec that is not typed gives ErrNotTyped; a body
// the codec cannot frame gives its error, nothing is written, and the
// Writer goes on.
func TestWriteTypedErrors(t *testing.T) {
	for _, c := range []frame.Codec{
		frame.Lines{}, frame.Netstring{}, frame.LengthPrefixed{}, frame.LengthPrefixed{Offset: 2},
		frame.Uvarint{}, frame.Uvarint{Offset: 2}, frame.SplitFunc{},
	} {
		var out bytes.Buffer
		w := frame.NewWriter(&out, c)
		if err := w.WriteTyped('Q', []byte("x")); !errors.Is(err, frame.ErrNotTyped) {
			t.Errorf("%#v: WriteTyped = %v; want ErrNotTyped", c, err)
		}
		if _, _, err := frame.TypedFrame(c, nil, false); !errors.Is(err, frame.ErrNotTyped) {
			t.Errorf("%#v: typedFrame(nil) = %v; want ErrNotTyped", c, err)
		}
		if w.Buffered() != 0 {
			t.Errorf("%#v: %d bytes buffered", c, w.Buffered())
		}
	}

	var out bytes.Buffer
	w := frame.NewWriterSize(&out, frame.LengthPrefixed{Offset: 1, Size: 1, Max: 4}, 16)
	var tl *errs.FrameTooLargeError
	if err := w.WriteTyped('a', []byte("12345")); !errors.As(err, &tl) || tl.Size != 5 || tl.Setting != "LengthPrefixed.Max" {
		t.Errorf("a body over Max: %v", err)
	}
	if err := w.WriteTyped('b', make([]byte, 100)); !errors.As(err, &tl) || tl.Size != 100 {
		t.Errorf("a large body over Max: %v", err)
	}
	if err := w.WriteTyped('c', []byte("ok")); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	if out.String() != "c\x02ok" {
		t.Errorf("wrote %q; want %q", out.String(), "c\x02ok")
	}
	// The field's size bounds the body; a field that counts less than the
	// body it follows cannot frame a short one.
	if _, err := frame.AppendTyped(frame.LengthPrefixed{Offset: 1, Size: 1}, nil, 'a', make([]byte, 256)); !errors.As(err, &tl) || tl.Setting != "LengthPrefixed.Size" {
		t.Errorf("256 bytes after a 1-byte field: %v", err)
	}
	if _, err := frame.AppendTyped(frame.LengthPrefixed{Offset: 1, Size: 1, Adjust: 2}, nil, 'a', []byte("x")); !errors.Is(err, frame.ErrInvalidPayload) {
		t.Errorf("1 byte, Adjust 2: %v; want ErrInvalidPayload", err)
	}
	if got, err := frame.AppendTyped(frame.Uvarint{Offset: 1, Max: 1}, []byte(">"), 'a', []byte("xy")); !errors.As(err, &tl) || string(got) != ">" {
		t.Errorf("Uvarint over Max: %q, %v", got, err)
	}
}

// TestWriteTypedLargeBodyThrough: a body larger than the buffer is written
// through, not copied; the stream is the same.
func TestWriteTypedLargeBodyThrough(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 1<<12) // 64 KiB
	for _, c := range []frame.Codec{pgTyped, frame.Uvarint{Offset: 1}} {
		rec := &recordingWriter{}
		w := frame.NewWriter(rec, c)
		if err := w.WriteTyped('s', []byte("small")); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteTyped('L', body); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		through := false
		for _, p := range rec.writes {
			if len(p) == len(body) && &p[0] == &body[0] {
				through = true
			}
		}
		if !through {
			t.Errorf("%#v: the body was copied, not written through", c)
		}
		want, _ := frame.AppendTyped(c, nil, 's', []byte("small"))
		want, _ = frame.AppendTyped(c, want, 'L', body)
		if !bytes.Equal(rec.all.Bytes(), want) {
			t.Errorf("%#v: the stream differs from appendTyped's", c)
		}
	}
}

// TestWriteTypedAllocatesNothing: typed messages and frames of another
// codec cost no allocation.
func TestWriteTypedAllocatesNothing(t *testing.T) {
	w := frame.NewWriter(io.Discard, pgTyped)
	body := []byte("SELECT 1;\x00")
	var startup frame.Codec = pgStartup
	if n := testing.AllocsPerRun(1000, func() {
		if err := w.WriteTyped('Q', body); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("WriteTyped: %v allocations", n)
	}
	if n := testing.AllocsPerRun(1000, func() {
		if err := w.WriteFrameWith(startup, body); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("WriteFrameWith: %v allocations", n)
	}
}

// genTypedCodec makes a LengthPrefixed or a Uvarint with Offset 1.
func genTypedCodec(t *rapid.T) frame.Codec {
	max := genMax.Draw(t, "max")
	if rapid.Bool().Draw(t, "uvarint") {
		return frame.Uvarint{Offset: 1, Strip: rapid.SampledFrom([]int{0, frame.KeepHeader, 1}).Draw(t, "strip"), Max: max}
	}
	c := genLengthPrefixed(t, max)
	c.Offset = 1
	return c
}

// keepHeader returns the typed codec c with its header kept.
func keepHeader(c frame.Codec) frame.Codec {
	switch c := c.(type) {
	case frame.LengthPrefixed:
		c.Strip = frame.KeepHeader
		return c
	case frame.Uvarint:
		c.Strip = frame.KeepHeader
		return c
	}
	panic("not a typed codec")
}

// typedHeaderLen returns the header length of the typed frame at the start
// of data, by the codec's settings: the type byte and the length field.
func typedHeaderLen(c frame.Codec, data []byte) int {
	switch c := c.(type) {
	case frame.LengthPrefixed:
		if c.Size == 0 {
			return 5
		}
		return 1 + c.Size
	case frame.Uvarint:
		n := 1
		for n < len(data) && data[n] >= 0x80 {
			n++
		}
		return n + 1
	}
	panic("not a typed codec")
}

// TestTypedFrameIsSplitKeepHeader: for any data, typedFrame gives the
// frame that Split with the header kept gives, and the same error.
func TestTypedFrameIsSplitKeepHeader(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := genTypedCodec(t)
		var data []byte
		for range rapid.IntRange(0, 3).Draw(t, "parts") {
			if rapid.Bool().Draw(t, "message") {
				typ := rapid.Byte().Draw(t, "type")
				if enc, err := frame.AppendTyped(c, data, typ, genBytes(0, 24).Draw(t, "body")); err == nil {
					data = enc
					continue
				}
			}
			data = append(data, genBytes(1, 12).Draw(t, "garbage")...)
		}
		data = data[:rapid.IntRange(0, len(data)).Draw(t, "cut")]
		atEOF := rapid.Bool().Draw(t, "atEOF")

		adv, tok, serr := keepHeader(c).Split(data, atEOF)
		hdr, n, terr := frame.TypedFrame(c, data, atEOF)
		if diff := eventDiff(toEvent(tok, serr), toEvent(data[:n], terr)); diff != "" || adv != n {
			t.Fatalf("%#v on %q, atEOF %v: Split advance %d, typedFrame %d (-Split +typedFrame):\n%s", c, data, atEOF, adv, n, diff)
		}
		if n == 0 {
			if hdr != 0 {
				t.Fatalf("no frame, but hdr %d", hdr)
			}
			return
		}
		if want := typedHeaderLen(c, data); hdr != want || hdr > n {
			t.Fatalf("%#v on %q: hdr %d, n %d; want hdr %d", c, data, hdr, n, want)
		}
	})
}

// TestTypedRoundTrip: what WriteTyped writes, typedFrame reads back: the
// type byte and the body, whatever the buffer size, with frames of other
// codecs written in between by WriteFrameWith and WriteFrame.
func TestTypedRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := genTypedCodec(t)
		other := genCodec(t)
		var out bytes.Buffer
		w := frame.NewWriterSize(&out, c, rapid.IntRange(1, 64).Draw(t, "wsize"))
		type sent struct {
			typed   bool
			typ     byte
			payload []byte
			c       frame.Codec
		}
		var want []sent
		var stream []byte // what Append and appendTyped give
		for range rapid.IntRange(0, 10).Draw(t, "messages") {
			switch rapid.IntRange(0, 2).Draw(t, "op") {
			case 0:
				typ, body := rapid.Byte().Draw(t, "type"), genBytes(0, 80).Draw(t, "body")
				enc, aerr := frame.AppendTyped(c, stream, typ, body)
				err := w.WriteTyped(typ, body)
				if (aerr == nil) != (err == nil) {
					t.Fatalf("appendTyped error %v, WriteTyped error %v", aerr, err)
				}
				if err == nil {
					stream = enc
					want = append(want, sent{typed: true, typ: typ, payload: body, c: c})
				}
			case 1:
				p := genPayload(t, other)
				enc, aerr := other.Append(stream, p)
				err := w.WriteFrameWith(other, p)
				if (aerr == nil) != (err == nil) {
					t.Fatalf("Append error %v, WriteFrameWith error %v", aerr, err)
				}
				if err == nil {
					stream = enc
					want = append(want, sent{payload: p, c: other})
				}
			default:
				p := genPayload(t, c)
				enc, aerr := c.Append(stream, p)
				if err := w.WriteFrame(p); (aerr == nil) != (err == nil) {
					t.Fatalf("Append error %v, WriteFrame error %v", aerr, err)
				}
				if aerr == nil {
					stream = enc
					want = append(want, sent{payload: p, c: c})
				}
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), stream) {
			t.Fatalf("the Writer wrote %q; Append and appendTyped give %q", out.Bytes(), stream)
		}
		// Decode each in turn with its codec.
		data := out.Bytes()
		for i, s := range want {
			if s.typed {
				hdr, n, err := frame.TypedFrame(c, data, true)
				if err != nil || n == 0 {
					t.Fatalf("message %d: typedFrame: %d, %v", i, n, err)
				}
				if data[0] != s.typ || !bytes.Equal(data[hdr:n], s.payload) {
					t.Fatalf("message %d: got %q %q; want %q %q", i, data[0], data[hdr:n], s.typ, s.payload)
				}
				data = data[n:]
				continue
			}
			adv, tok, err := s.c.Split(data, true)
			if err != nil || adv == 0 {
				t.Fatalf("message %d (%#v): Split: %d, %v", i, s.c, adv, err)
			}
			if !samePayload(s.c, s.payload, tok) {
				t.Fatalf("message %d (%#v): got %q; want %q", i, s.c, tok, s.payload)
			}
			data = data[adv:]
		}
		if len(data) != 0 {
			t.Fatalf("%d bytes left over", len(data))
		}
	})
}

// TestWriteFrameWithOrder: frames of another codec keep their place among
// the Writer's, across flushes and large payloads.
func TestWriteFrameWithOrder(t *testing.T) {
	big := strings.Repeat("z", 10000)
	for _, size := range []int{1, 16, 4096} {
		var out bytes.Buffer
		w := frame.NewWriterSize(&out, frame.Netstring{}, size)
		w.WriteFrame([]byte("a"))
		w.WriteFrameWith(frame.Lines{}, []byte("line"))
		w.WriteFrame([]byte(big))
		w.WriteFrameWith(frame.Lines{Max: 1 << 20}, []byte(big))
		w.WriteFrame([]byte("b"))
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		want := "1:a," + "line\n" + fmt.Sprintf("%d:%s,", len(big), big) + big + "\n" + "1:b,"
		if out.String() != want {
			t.Errorf("buffer %d: the frames are out of order or wrong", size)
		}
	}
	// A payload the other codec refuses: its error, nothing written.
	var out bytes.Buffer
	w := frame.NewWriter(&out, frame.Netstring{})
	if err := w.WriteFrameWith(frame.Lines{}, []byte("a\nb")); !errors.Is(err, frame.ErrInvalidPayload) {
		t.Errorf("WriteFrameWith of an invalid line = %v; want ErrInvalidPayload", err)
	}
	if w.Buffered() != 0 {
		t.Errorf("%d bytes buffered after a refused frame", w.Buffered())
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("WriteFrameWith(nil, ...): no panic")
			}
		}()
		w.WriteFrameWith(nil, nil)
	}()
}
