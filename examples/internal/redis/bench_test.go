package redis_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/streamkit/streamkit/examples/internal/realserver"
	"github.com/streamkit/streamkit/examples/internal/redis"
)

// pipelineDepth is how many commands BenchmarkPipeline sends before it
// reads their replies.
const pipelineDepth = 10000

// BenchmarkPipeline pipelines GET or SET in batches of 10,000 commands
// against the real server. One op is one command: allocs/op is per
// command, and ops/s counts commands.
func BenchmarkPipeline(b *testing.B) {
	for _, network := range []string{"tcp", "unix"} {
		for _, cmd := range []string{"GET", "SET"} {
			b.Run(network+"/"+cmd, func(b *testing.B) {
				c := dialNetwork(b, network)
				p := prefix(b, c)
				keys := make([]string, pipelineDepth)
				for i := range keys {
					keys[i] = p + strconv.Itoa(i%1000)
				}
				value := "a value of some thirty-two bytes"
				for _, k := range keys[:1000] {
					c.Send("SET", k, value)
				}
				c.Flush()
				for range 1000 {
					c.ReadReplySlice()
				}
				b.ReportAllocs()
				b.ResetTimer()
				for done := 0; done < b.N; {
					n := min(pipelineDepth, b.N-done)
					for _, k := range keys[:n] {
						var err error
						if cmd == "GET" {
							err = c.Send("GET", k)
						} else {
							err = c.Send("SET", k, value)
						}
						if err != nil {
							b.Fatal(err)
						}
					}
					if err := c.Flush(); err != nil {
						b.Fatal(err)
					}
					for range n {
						if _, err := c.ReadReplySlice(); err != nil {
							b.Fatal(err)
						}
					}
					done += n
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
			})
		}
	}
}

// BenchmarkDo is one GET at a time with Do: a round trip per command, and
// the reply copied.
func BenchmarkDo(b *testing.B) {
	c := dial(b, 0)
	p := prefix(b, c)
	do(b, c, "SET", p+"k", "a value of some thirty-two bytes")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := c.Do(ctx, "GET", p+"k"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkLargeGet reads a 1 MiB value, 16 times the Reader's limit, with
// ReadReplySlice.
func BenchmarkLargeGet(b *testing.B) {
	c := dial(b, 0)
	p := prefix(b, c)
	value := make([]byte, 1<<20)
	for i := range value {
		value[i] = byte(i)
	}
	if err := c.SendBytes([]byte("SET"), []byte(p+"big"), value); err != nil {
		b.Fatal(err)
	}
	c.Flush()
	if _, err := c.ReadReply(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(value)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		c.Send("GET", p+"big")
		c.Flush()
		v, err := c.ReadReplySlice()
		if err != nil || len(v.Str) != len(value) {
			b.Fatalf("GET: %d bytes, %v", len(v.Str), err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

func dialNetwork(b *testing.B, network string) *redis.Client {
	if network == "tcp" {
		return dial(b, 0)
	}
	c, err := redis.Dial(context.Background(), "unix", realserver.Addr(b, realserver.RedisSocket))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}
