package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/streamkit/streamkit/examples/internal/postgres"
	"github.com/streamkit/streamkit/examples/internal/realserver"
	"github.com/streamkit/streamkit/internal/testenv"
)

// discard is a QueryFunc callback that keeps nothing.
func discard([]postgres.Column, [][]byte) error { return nil }

// BenchmarkQueryFunc runs SELECT 1 against the real server, one round
// trip per op, reading the row in place.
func BenchmarkQueryFunc(b *testing.B) {
	benchQuery(b, "SELECT 1", true)
}

// BenchmarkQuery is BenchmarkQueryFunc with the Result copied.
func BenchmarkQuery(b *testing.B) {
	benchQuery(b, "SELECT 1", false)
}

// BenchmarkRows reads 1,000 rows of two columns per op, in place.
func BenchmarkRows(b *testing.B) {
	benchQuery(b, "SELECT i, 'row ' || i FROM generate_series(1, 1000) AS i", true)
}

func benchQuery(b *testing.B, sql string, inPlace bool) {
	c := dial(b, nil)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		var err error
		if inPlace {
			err = c.QueryFunc(ctx, sql, discard)
		} else {
			_, err = c.Query(ctx, sql)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// TestQueryFuncAllocs: a repeated QueryFunc allocates nothing, its rows
// read in the connection's buffer and its columns those of the last query.
func TestQueryFuncAllocs(t *testing.T) {
	if realserver.Race {
		t.Skip("allocations are not counted under the race detector")
	}
	testenv.Watchdog(t, time.Minute)
	c := dial(t, nil)
	ctx := context.Background()
	const sql = "SELECT i, 'row ' || i FROM generate_series(1, 100) AS i"
	if err := c.QueryFunc(ctx, sql, discard); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(20, func() {
		if err := c.QueryFunc(ctx, sql, discard); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per QueryFunc of 100 rows, want 0", allocs)
	}
}
