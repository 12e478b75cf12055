// The tests of the remaining length, and against an in-process fake
// server over net.Pipe, for what mosquitto does not do on demand: packets
// cut at every place, varints of five bytes, packets cut short, lengths
// that lie.
package mqtt_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/examples/internal/mqtt"
	"github.com/streamkit/streamkit/frame"
	"github.com/streamkit/streamkit/fuzz"
	"github.com/streamkit/streamkit/internal/testenv"
	"github.com/streamkit/streamkit/netx"
)

// The MQTT 3.1.1 spec's table of remaining lengths (section 2.2.3), at
// the edges of each size.
var remainingLengths = []struct {
	n   int
	enc []byte
}{
	{0, []byte{0x00}},
	{127, []byte{0x7f}},
	{128, []byte{0x80, 0x01}},
	{16383, []byte{0xff, 0x7f}},
	{16384, []byte{0x80, 0x80, 0x01}},
	{2097151, []byte{0xff, 0xff, 0x7f}},
	{2097152, []byte{0x80, 0x80, 0x80, 0x01}},
	{268435455, []byte{0xff, 0xff, 0xff, 0x7f}},
}

// TestRemainingLength encodes each length of the table as the client does
// (frame.Writer.WriteTyped on frame.Uvarint{Offset: 1}) and decodes it as
// the client does (frame.Reader.Next, then the fixed header's checks).
func TestRemainingLength(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	codec := frame.Uvarint{Offset: 1, Strip: frame.KeepHeader, Max: mqtt.MaxRemaining}
	for _, tc := range remainingLengths {
		header := append([]byte{0x30}, tc.enc...)
		typ, n, hdr, err := mqtt.ParseFixedHeader(header)
		if err != nil || typ != 0x30 || n != tc.n || hdr != len(header) {
			t.Errorf("header % x: type %#x, length %d, header %d bytes, %v; want %d in %d bytes", header, typ, n, hdr, err, tc.n, len(header))
		}
		if tc.n > 2<<20 {
			// 256 MiB is too large to write here: the varint alone.
			if got := binary.AppendUvarint(nil, uint64(tc.n)); !bytes.Equal(got, tc.enc) {
				t.Errorf("%d encodes as % x, want % x", tc.n, got, tc.enc)
			}
			continue
		}
		var buf bytes.Buffer
		w := frame.NewWriter(&buf, codec)
		if err := w.WriteTyped(0x30, make([]byte, tc.n)); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		if got := buf.Bytes()[:len(header)]; !bytes.Equal(got, header) {
			t.Errorf("%d bytes: header % x, want % x", tc.n, got, header)
		}
		p, err := frame.NewReader(&buf, codec).Next()
		if err != nil || len(p) != len(header)+tc.n {
			t.Fatalf("%d bytes: read %d bytes, %v", tc.n, len(p), err)
		}
		if _, n, hdr, err := mqtt.ParseFixedHeader(p); n != tc.n || hdr != len(header) || err != nil {
			t.Errorf("%d bytes read back as %d, header %d bytes, %v", tc.n, n, hdr, err)
		}
	}
}

// TestFiveByteLength: a remaining length of five bytes is rejected, by
// the fixed header's check when its value is small (a varint longer than
// it need be, which frame's Uvarint accepts), by frame's Max when it is
// over MaxRemaining.
func TestFiveByteLength(t *testing.T) {
	for _, header := range [][]byte{
		{0x30, 0x80, 0x80, 0x80, 0x80, 0x01}, // 268 435 456
		{0x30, 0x80, 0x80, 0x80, 0x80, 0x00}, // 0, in five bytes
		{0x30, 0xff, 0xff, 0xff, 0xff, 0x7f},
	} {
		_, _, _, err := mqtt.ParseFixedHeader(header)
		var pe *mqtt.ProtocolError
		if !errors.As(err, &pe) {
			t.Errorf("header % x: %v, want a *mqtt.ProtocolError", header, err)
		}
	}
	_, _, err := frame.Uvarint{Offset: 1, Max: mqtt.MaxRemaining}.Split([]byte{0x30, 0x80, 0x80, 0x80, 0x80, 0x01}, false)
	var tooLarge *errs.FrameTooLargeError
	if !errors.As(err, &tooLarge) || tooLarge.Size != mqtt.MaxRemaining+1 {
		t.Errorf("frame.Uvarint on 268 435 456: %v, want a *errs.FrameTooLargeError", err)
	}
	// A header cut short asks for more.
	if _, _, hdr, err := mqtt.ParseFixedHeader([]byte{0x30, 0x80, 0x80}); hdr != 0 || err != nil {
		t.Errorf("a header cut short: %d, %v; want 0, nil", hdr, err)
	}
}

// The server's side: the same codec, read with NextTyped.
var serverCodec = frame.Uvarint{Offset: 1, Max: mqtt.MaxRemaining}

// pkt encodes one packet.
func pkt(typ byte, body ...[]byte) []byte {
	var b bytes.Buffer
	w := frame.NewWriter(&b, serverCodec)
	if err := w.WriteTyped(typ, bytes.Join(body, nil)); err != nil {
		panic(err)
	}
	w.Flush()
	return b.Bytes()
}

func u16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func str(s string) []byte { return append(u16(uint16(len(s))), s...) }

var connackOK = pkt(0x20, []byte{0, 0})

// fakeServer is the server's end of a net.Pipe.
type fakeServer struct {
	conn net.Conn
	fr   *frame.Reader
	cut  fuzz.Chunking
}

func (s *fakeServer) read() (byte, []byte, error) { return s.fr.NextTyped() }

// expect reads a packet of type typ and returns its body.
func (s *fakeServer) expect(typ byte) ([]byte, error) {
	got, body, err := s.read()
	if err == nil && got != typ {
		err = fmt.Errorf("packet type %#x, want %#x", got, typ)
	}
	return body, err
}

// send writes data, one Write per piece of the server's Chunking.
func (s *fakeServer) send(data ...[]byte) error {
	for _, p := range s.cut.Split(bytes.Join(data, nil)) {
		if _, err := s.conn.Write(p); err != nil {
			return err
		}
	}
	return nil
}

// fake starts a fake server that reads CONNECT, runs script, then reads
// on until the client closes; it returns the client's end as a netx pair.
func fake(t *testing.T, cut fuzz.Chunking, script func(s *fakeServer) error) (*bufio2.Reader, *netx.Writer) {
	t.Helper()
	client, server := net.Pipe()
	s := &fakeServer{conn: server, cut: cut}
	br := bufio2.NewReader(server)
	s.fr = frame.NewReader(br, serverCodec)
	done := make(chan error, 1)
	go func() {
		defer server.Close()
		_, err := s.expect(0x10)
		if err == nil {
			err = script(s)
		}
		if err == nil {
			_, err = io.Copy(io.Discard, br)
		}
		done <- err
	}()
	r, w := netx.Wrap(client, 0)
	t.Cleanup(func() {
		w.Close()
		if err := <-done; err != nil && !errors.Is(err, io.ErrClosedPipe) {
			t.Errorf("fake server: %v", err)
		}
	})
	return r, w
}

func connect(t *testing.T, r *bufio2.Reader, w *netx.Writer) (*mqtt.Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return mqtt.New(ctx, r, w, mqtt.Config{ClientID: "c"})
}

type outcome struct {
	Granted  byte
	Messages []mqtt.Message
	Errs     []string
}

// session subscribes, publishes at QoS 1 (a message arrives before the
// PUBACK), pings, and reads two more messages, under the server's cuts.
func session(t *testing.T, cut fuzz.Chunking) outcome {
	big := bytes.Repeat([]byte("0123456789"), 2000) // 20 000 bytes: a three-byte remaining length
	r, w := fake(t, cut, func(s *fakeServer) error {
		if err := s.send(connackOK); err != nil {
			return err
		}
		body, err := s.expect(0x82)
		if err != nil || !bytes.Equal(body, append(append(u16(1), str("t/#")...), 1)) {
			return fmt.Errorf("SUBSCRIBE % x, %v", body, err)
		}
		if err := s.send(pkt(0x90, u16(1), []byte{1})); err != nil {
			return err
		}
		body, err = s.expect(0x32)
		if err != nil || !bytes.Equal(body, append(append(str("t/a"), u16(2)...), "hi"...)) {
			return fmt.Errorf("PUBLISH % x, %v", body, err)
		}
		if err := s.send(pkt(0x32, str("t/a"), u16(9), []byte("hi")), pkt(0x40, u16(2))); err != nil {
			return err
		}
		if body, err := s.expect(0x40); err != nil || !bytes.Equal(body, u16(9)) {
			return fmt.Errorf("PUBACK % x, %v", body, err)
		}
		if _, err := s.expect(0xc0); err != nil {
			return err
		}
		if err := s.send(pkt(0xd0), pkt(0x31, str("t/b"), big), pkt(0x30, str("t/c"))); err != nil {
			return err
		}
		_, err = s.expect(0xe0)
		return err
	})
	c, err := connect(t, r, w)
	if err != nil {
		t.Fatalf("%v: connect: %v", cut, err)
	}
	var o outcome
	note := func(err error) {
		if err != nil {
			o.Errs = append(o.Errs, err.Error())
		}
	}
	ctx := context.Background()
	o.Granted, err = c.Subscribe(ctx, "t/#", 1)
	note(err)
	note(c.Publish(ctx, "t/a", []byte("hi"), 1, false))
	note(c.Ping(ctx))
	for range 3 {
		m, err := c.ReadMessage(ctx)
		note(err)
		o.Messages = append(o.Messages, m)
	}
	note(c.Close())
	return o
}

// bytesEqual compares byte slices at once: cmp.Diff compares them by
// reflection, a byte at a time, too slowly for large payloads.
var bytesEqual = cmp.Comparer(bytes.Equal)

// TestChunking runs a session with the server's packets cut into writes
// at every place: the client reads the same whatever the cuts.
func TestChunking(t *testing.T) {
	testenv.Watchdog(t, 2*time.Minute)
	want := session(t, fuzz.Chunking{})
	wantMessages := []mqtt.Message{
		{Topic: []byte("t/a"), Payload: []byte("hi"), QoS: 1, ID: 9},
		{Topic: []byte("t/b"), Payload: bytes.Repeat([]byte("0123456789"), 2000), Retain: true},
		{Topic: []byte("t/c"), Payload: []byte{}},
	}
	if diff := cmp.Diff(outcome{Granted: 1, Messages: wantMessages}, want); diff != "" {
		t.Fatalf("the session in one write (-want +got):\n%s", diff)
	}
	cuts := []fuzz.Chunking{fuzz.OneByte(), fuzz.Halves(20030), {Rest: 7}}
	for i := range 40 {
		cuts = append(cuts, fuzz.Cut(i))
	}
	for seed := range uint64(8) {
		cuts = append(cuts, fuzz.Random(20030, seed))
	}
	for _, cut := range cuts {
		if diff := cmp.Diff(want, session(t, cut), bytesEqual); diff != "" {
			t.Fatalf("written as %v (-one write +cut):\n%s", cut, diff)
		}
	}
}

func TestConnackRefusedFake(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	r, w := fake(t, fuzz.OneByte(), func(s *fakeServer) error {
		return s.send(pkt(0x20, []byte{0, 5}))
	})
	_, err := connect(t, r, w)
	var ce *mqtt.ConnectError
	if !errors.As(err, &ce) || ce.Code != 5 {
		t.Errorf("CONNACK 5: %v, want *mqtt.ConnectError{5}", err)
	}
}

// TestBadPackets: packets that break the protocol or the limits fail
// the call with a typed error, at once, and break the Client.
func TestBadPackets(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	for _, tc := range []struct {
		name  string
		reply []byte
		check func(error) bool
	}{
		{"five-byte remaining length", []byte{0xd0, 0x80, 0x80, 0x80, 0x80, 0x00}, isProtocolError},
		{"remaining length over the maximum", []byte{0xd0, 0xff, 0xff, 0xff, 0x7f}, isTooLarge},
		{"varint past 10 bytes", []byte{0xd0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, isMalformed},
		{"topic past the body", pkt(0x30, u16(10), []byte("abc")), isProtocolError},
		{"QoS 2", pkt(0x34, str("t"), u16(1)), isProtocolError},
		{"QoS 1 without identifier", pkt(0x32, str("t"), []byte{1}), isProtocolError},
		{"CONNACK in session", pkt(0x20, []byte{0, 0}), isProtocolError},
		{"PINGRESP with flags", pkt(0xd1), isProtocolError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, w := fake(t, fuzz.Chunking{}, func(s *fakeServer) error {
				if err := s.send(connackOK); err != nil {
					return err
				}
				if _, err := s.expect(0xc0); err != nil {
					return err
				}
				return s.send(tc.reply)
			})
			c, err := connect(t, r, w)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Ping(context.Background()); !tc.check(err) {
				t.Errorf("Ping answered by % x: %v (%T)", tc.reply, err, err)
			}
			if err := c.Ping(context.Background()); !mqtt.IsBroken(err) {
				t.Errorf("the next Ping: %v, want ErrBroken", err)
			}
		})
	}
}

func isProtocolError(err error) bool {
	var pe *mqtt.ProtocolError
	return errors.As(err, &pe)
}

func isTooLarge(err error) bool {
	var e *errs.FrameTooLargeError
	return errors.As(err, &e) && e.Max == mqtt.DefaultMaxPacket
}

func isMalformed(err error) bool {
	var e *errs.MalformedFrameError
	return errors.As(err, &e)
}

// TestTruncated: a stream that ends inside a packet is an
// *errs.IncompleteReadError; one that ends between packets,
// io.ErrUnexpectedEOF. Both break the Client.
func TestTruncated(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	for _, tc := range []struct {
		name    string
		reply   []byte
		partial bool
	}{
		{"inside a PUBLISH", pkt(0x30, str("t"), make([]byte, 100))[:50], true},
		{"inside a header", []byte{0x30, 0x80}, true},
		{"between packets", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, w := fake(t, fuzz.Chunking{}, func(s *fakeServer) error {
				if err := s.send(connackOK, tc.reply); err != nil {
					return err
				}
				return s.conn.Close()
			})
			c, err := connect(t, r, w)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.ReadMessage(context.Background())
			var incomplete *errs.IncompleteReadError
			if !errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &incomplete) != tc.partial {
				t.Errorf("ReadMessage: %v (%T); want io.ErrUnexpectedEOF, an *errs.IncompleteReadError: %v", err, err, tc.partial)
			}
			if _, err := c.ReadMessage(context.Background()); !mqtt.IsBroken(err) {
				t.Errorf("the next ReadMessage: %v, want ErrBroken", err)
			}
		})
	}
}

// TestLyingLength: a remaining length under MaxPacket that the server
// does not follow up costs the bytes that came, and the ctx ends the wait.
func TestLyingLength(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	r, w := fake(t, fuzz.Chunking{}, func(s *fakeServer) error {
		// A PUBLISH that says 15 MiB, of which a topic and 3 bytes come.
		return s.send(connackOK, []byte{0x30, 0x80, 0x80, 0x80, 0x07}, str("t"), []byte("abc"))
	})
	c, err := connect(t, r, w)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = c.ReadMessage(ctx)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a 14 MiB PUBLISH of which 6 bytes came: %v, want the ctx's deadline", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("a 14 MiB PUBLISH of which 6 bytes came took %d bytes of memory, want under 1 MiB", grew)
	}
}
