package memcache_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/streamkit/streamkit/examples/internal/memcache"
)

const value = "a value of some thirty-two bytes"

// BenchmarkGet is one get of one key at a time: a round trip per op.
func BenchmarkGet(b *testing.B) {
	c := dial(b, 0)
	k := prefix(b) + "k"
	set(b, c, memcache.Item{Key: k, Value: []byte(value)})
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for _, err := range c.GetSlice(ctx, k) {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkSet is one set at a time.
func BenchmarkSet(b *testing.B) {
	c := dial(b, 0)
	it := memcache.Item{Key: prefix(b) + "k", Value: []byte(value)}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := c.Set(ctx, it, exptime); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkMultiGet gets 100 keys in each request, through GetSlice and
// through Get (which copies). One op is one key: allocs/op is per key, and
// ops/s counts keys.
func BenchmarkMultiGet(b *testing.B) {
	c := dial(b, 0)
	p := prefix(b)
	keys := make([]string, 100)
	for i := range keys {
		keys[i] = p + strconv.Itoa(i)
		set(b, c, memcache.Item{Key: keys[i], Value: []byte(value)})
	}
	ctx := context.Background()
	b.Run("GetSlice", func(b *testing.B) {
		b.ReportAllocs()
		for done := 0; done < b.N; done += len(keys) {
			for _, err := range c.GetSlice(ctx, keys[:min(len(keys), b.N-done)]...) {
				if err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	})
	b.Run("Get", func(b *testing.B) {
		b.ReportAllocs()
		for done := 0; done < b.N; done += len(keys) {
			if _, err := c.Get(ctx, keys[:min(len(keys), b.N-done)]...); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	})
}
