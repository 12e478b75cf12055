package mqtt_test

import (
	"context"
	"testing"
	"time"

	"github.com/streamkit/streamkit/examples/internal/mqtt"
	"github.com/streamkit/streamkit/examples/internal/realserver"
	"github.com/streamkit/streamkit/internal/testenv"
)

var payload32 = []byte("a payload of some thirty-two by.")

// BenchmarkPublishQoS0 publishes 32-byte messages at QoS 0 to mosquitto,
// with no subscriber, and ends with a Ping, whose PINGRESP comes after
// the server read them all. One op is one message.
func BenchmarkPublishQoS0(b *testing.B) {
	testenv.Watchdog(b, 5*time.Minute)
	c := dial(b, mqtt.Config{})
	tp := topic(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := c.Publish(ctx, tp, payload32, 0, false); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.Ping(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkDeliverQoS0 publishes 32-byte messages at QoS 0 and receives
// them on a second connection with ReadMessageSlice, in a goroutine. One
// op is one message published and delivered.
func BenchmarkDeliverQoS0(b *testing.B) {
	testenv.Watchdog(b, 5*time.Minute)
	sub := dial(b, mqtt.Config{})
	pub := dial(b, mqtt.Config{})
	tp := topic(b)
	ctx := context.Background()
	if _, err := sub.Subscribe(ctx, tp, 0); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	done := make(chan error, 1)
	go func() {
		for range b.N {
			if _, err := sub.ReadMessageSlice(ctx); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for range b.N {
		if err := pub.Publish(ctx, tp, payload32, 0, false); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkPublishQoS1 publishes 32-byte messages at QoS 1, each waiting
// for its PUBACK: one round trip per op.
func BenchmarkPublishQoS1(b *testing.B) {
	testenv.Watchdog(b, 5*time.Minute)
	c := dial(b, mqtt.Config{})
	tp := topic(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := c.Publish(ctx, tp, payload32, 1, false); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkPing is a PINGREQ and its PINGRESP per op.
func BenchmarkPing(b *testing.B) {
	testenv.Watchdog(b, 5*time.Minute)
	c := dial(b, mqtt.Config{})
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := c.Ping(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// TestAllocs: publishing at QoS 0 and 1 and reading a message in place
// allocate nothing.
func TestAllocs(t *testing.T) {
	if realserver.Race {
		t.Skip("allocations are not counted under the race detector")
	}
	testenv.Watchdog(t, time.Minute)
	c := dial(t, mqtt.Config{})
	tp := topic(t)
	ctx := context.Background()
	if _, err := c.Subscribe(ctx, tp, 0); err != nil {
		t.Fatal(err)
	}
	// QoS 0 to its own subscription: the message comes back, read in place.
	allocs := testing.AllocsPerRun(100, func() {
		if err := c.Publish(ctx, tp, payload32, 0, false); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ReadMessageSlice(ctx); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per Publish at QoS 0 and ReadMessageSlice, want 0", allocs)
	}
	// QoS 1 from a client that subscribes to nothing: a PUBACK per op.
	p := dial(t, mqtt.Config{})
	nobody := tp + "/nobody"
	allocs = testing.AllocsPerRun(100, func() {
		if err := p.Publish(ctx, nobody, payload32, 1, false); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per Publish at QoS 1, want 0", allocs)
	}
}
