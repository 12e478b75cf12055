package dns_test

import (
	"context"
	"testing"

	"github.com/streamkit/streamkit/examples/internal/dns"
)

// BenchmarkLookupA is one query at a time against the real dnsmasq: a round
// trip per op. dnsmasq closes each connection after 100 queries, so the
// cost of connecting again is in the figure, once per 100 ops.
func BenchmarkLookupA(b *testing.B) {
	c := dial(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := c.LookupA(ctx, "example.test"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkPipelined sends 100 queries (dnsmasq's most per connection)
// per Lookup. One op is one query: ops/s counts queries, allocs/op is per
// query.
func BenchmarkPipelined(b *testing.B) {
	c := dial(b)
	names := make([]string, 100)
	for i := range names {
		names[i] = "example.test"
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(len(names), b.N-done)
		if _, err := c.Lookup(ctx, dns.TypeA, names[:n]...); err != nil {
			b.Fatal(err)
		}
		done += n
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}
