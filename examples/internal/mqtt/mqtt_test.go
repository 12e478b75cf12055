// The tests against a real mosquitto: .ci/servers starts one and names it
// in STREAMKIT_MOSQUITTO_ADDR (anonymous); without it they skip.
package mqtt_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/streamkit/streamkit/examples/internal/mqtt"
	"github.com/streamkit/streamkit/examples/internal/realserver"
	"github.com/streamkit/streamkit/internal/testenv"
)

// dial connects to the real server, and closes the connection at the end
// of the test.
func dial(t testing.TB, cfg mqtt.Config) *mqtt.Client {
	t.Helper()
	addr := realserver.Addr(t, realserver.Mosquitto)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := mqtt.Dial(ctx, "tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// topic returns a topic of the test's own, so that tests running at once
// against one server never share one.
func topic(t testing.TB) string {
	return fmt.Sprintf("streamkit/%s/%d/%d", t.Name(), os.Getpid(), rand.Uint64())
}

func timeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}

func TestConnectAndPing(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	c := dial(t, mqtt.Config{ClientID: "streamkit-" + t.Name(), KeepAlive: 30 * time.Second})
	if c.SessionPresent() {
		t.Error("a clean session is present")
	}
	ctx, cancel := timeout()
	defer cancel()
	for range 3 {
		if err := c.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// A client without an identifier gets one from the server.
	anon := dial(t, mqtt.Config{})
	if err := anon.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestPublishSubscribe publishes at QoS 0 and 1 from one client and
// receives on another, with payloads whose remaining lengths take one to
// four bytes.
func TestPublishSubscribe(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	sub := dial(t, mqtt.Config{})
	pub := dial(t, mqtt.Config{})
	tp := topic(t)
	ctx, cancel := timeout()
	defer cancel()
	granted, err := sub.Subscribe(ctx, tp+"/#", 1)
	if err != nil || granted != 1 {
		t.Fatalf("Subscribe: QoS %d, %v; want 1", granted, err)
	}
	sizes := []int{0, 5, 127 - 20, 200, 16383 - 30, 20000, 2100000} // remaining length: 1, 1, 1, 2, 2, 3, 4 bytes
	var want []mqtt.Message
	for _, qos := range []byte{0, 1} {
		for i, n := range sizes {
			payload := make([]byte, n)
			for j := range payload {
				payload[j] = byte(j*31 + i + int(qos))
			}
			name := fmt.Sprintf("%s/qos%d/%d", tp, qos, n)
			if err := pub.Publish(ctx, name, payload, qos, false); err != nil {
				t.Fatalf("Publish %d bytes at QoS %d: %v", n, qos, err)
			}
			want = append(want, mqtt.Message{Topic: []byte(name), Payload: payload, QoS: qos})
		}
	}
	for i, w := range want {
		m, err := sub.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if w.QoS == 1 && m.ID == 0 {
			t.Errorf("message %d at QoS 1 has no packet identifier", i)
		}
		m.ID = 0
		if !bytes.Equal(w.Payload, m.Payload) {
			t.Fatalf("message %d, %s: %d bytes, want the %d bytes published", i, w.Topic, len(m.Payload), len(w.Payload))
		}
		// (cmp.Diff compares byte slices by reflection, too slowly for 2 MB.)
		w.Payload, m.Payload = nil, nil
		if diff := cmp.Diff(w, m); diff != "" {
			t.Fatalf("message %d, %s (-want +got):\n%s", i, w.Topic, diff)
		}
	}
	// The subscriber acknowledged the QoS 1 messages, and is still in step.
	if err := sub.Ping(ctx); err != nil {
		t.Errorf("Ping after the messages: %v", err)
	}
}

// TestQueued: a message that arrives while the Client waits for a PUBACK
// is kept for ReadMessage.
func TestQueued(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	c := dial(t, mqtt.Config{})
	tp := topic(t)
	ctx, cancel := timeout()
	defer cancel()
	if _, err := c.Subscribe(ctx, tp, 1); err != nil {
		t.Fatal(err)
	}
	// Publishing to its own subscription, the Client gets the message
	// back, before or after the PUBACK.
	for i := range 3 {
		if err := c.Publish(ctx, tp, []byte{byte(i)}, 1, false); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		m, err := c.ReadMessage(ctx)
		if err != nil || !bytes.Equal(m.Payload, []byte{byte(i)}) || string(m.Topic) != tp {
			t.Fatalf("message %d: %q on %q, %v", i, m.Payload, m.Topic, err)
		}
	}
}

// TestRetain: a retained message reaches a later subscriber, flagged.
func TestRetain(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	pub := dial(t, mqtt.Config{})
	tp := topic(t)
	ctx, cancel := timeout()
	defer cancel()
	if err := pub.Publish(ctx, tp, []byte("kept"), 1, true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pub.Publish(context.Background(), tp, nil, 1, true) }) // clears it
	sub := dial(t, mqtt.Config{})
	if _, err := sub.Subscribe(ctx, tp, 0); err != nil {
		t.Fatal(err)
	}
	m, err := sub.ReadMessage(ctx)
	if err != nil || !m.Retain || string(m.Payload) != "kept" || m.QoS != 0 {
		t.Errorf("the retained message: %+v, %v", m, err)
	}
}

// TestRefused: CONNACK's refusals are *mqtt.ConnectError with the return
// code.
func TestRefused(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	addr := realserver.Addr(t, realserver.Mosquitto)
	for _, tc := range []struct {
		name string
		cfg  mqtt.Config
		code byte
	}{
		{"protocol level 9", mqtt.Config{ProtocolLevel: 9}, 1},
		{"persistent session without identifier", mqtt.Config{Persistent: true}, 2},
	} {
		ctx, cancel := timeout()
		c, err := mqtt.Dial(ctx, "tcp", addr, tc.cfg)
		cancel()
		var ce *mqtt.ConnectError
		if !errors.As(err, &ce) || ce.Code != tc.code {
			if c != nil {
				c.Close()
			}
			t.Errorf("%s: %v, want a *mqtt.ConnectError with code %d", tc.name, err, tc.code)
		}
	}
}

// TestSubscribeRefused: a filter that breaks the rules ('#' not last) is
// refused: MQTT 3.1.1 lets the server answer 0x80 in SUBACK, a
// *mqtt.SubscribeError, or close the connection, which mosquitto does.
func TestSubscribeRefused(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	c := dial(t, mqtt.Config{})
	ctx, cancel := timeout()
	defer cancel()
	_, err := c.Subscribe(ctx, "a/#/b", 0)
	var se *mqtt.SubscribeError
	switch {
	case errors.As(err, &se):
		if err := c.Ping(ctx); err != nil {
			t.Errorf("Ping after the refusal: %v", err)
		}
	case errors.Is(err, io.ErrUnexpectedEOF):
		if err := c.Ping(ctx); !mqtt.IsBroken(err) {
			t.Errorf("Ping after the server closed the connection: %v, want ErrBroken", err)
		}
	default:
		t.Errorf("Subscribe to a/#/b: %v, want a *mqtt.SubscribeError or io.ErrUnexpectedEOF", err)
	}
}

// TestReadContext: a ReadMessage whose ctx ends returns its error and
// breaks the Client.
func TestReadContext(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	c := dial(t, mqtt.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.ReadMessage(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ReadMessage with nothing to read: %v, want context.DeadlineExceeded", err)
	}
	if err := c.Ping(context.Background()); !mqtt.IsBroken(err) {
		t.Errorf("Ping after the interrupted read: %v, want ErrBroken", err)
	}
}
