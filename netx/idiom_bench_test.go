package netx_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/netx"
)

// The benchmarks of this file measure what users write against the best
// plain-Go code, both ends in this process (issue 12's targets):
//
//	go test ./netx -run '^$' -bench 'Idiom' -count 5 | go run ./internal/benchratio
//
// The netx side is asyncio's idiom on both ends: the server does ReadLine,
// Write, Drain per line; the client writes and drains each line from one
// goroutine while a second goroutine reads the echoes. The baseline is a
// 64 KiB bufio.Reader and bufio.Writer on both ends: the server flushes when
// its read buffer is empty, the client once per round (and whenever its
// buffer fills). Each op is one message echoed. Besides msgs/s the
// benchmarks report the CPU time (user + system, both ends) per message and
// the read and write system calls per message (both ends, from
// /proc/self/io), so that a ratio comes with its cost.

// idiomRound is the number of lines one round sends on one connection, by
// the number of connections: 20,000 on one, 2,000 on each of 64.
func idiomRound(conns int) int {
	if conns == 1 {
		return 20000
	}
	return 2000
}

const stdBufSize = 64 << 10

// stdIdiomServer is the baseline server: 64 KiB bufio.Reader and
// bufio.Writer, flushing when the read buffer is empty.
func stdIdiomServer(c net.Conn) {
	br := bufio.NewReaderSize(c, stdBufSize)
	bw := bufio.NewWriterSize(c, stdBufSize)
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return
		}
		bw.Write(line)
		if br.Buffered() == 0 {
			if bw.Flush() != nil {
				return
			}
		}
	}
}

// netxIdiomServer is the idiom: ReadLine, Write, Drain.
func netxIdiomServer(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
	idiomServer(ctx, r, w, (*bufio2.Reader).ReadLine)
}

// netxIdiomSliceServer is the idiom with the zero-copy ReadLineSlice.
func netxIdiomSliceServer(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
	idiomServer(ctx, r, w, (*bufio2.Reader).ReadLineSlice)
}

func idiomServer(ctx context.Context, r *bufio2.Reader, w *netx.Writer, readLine func(*bufio2.Reader) ([]byte, error)) {
	for {
		line, err := readLine(r)
		if err != nil {
			return
		}
		if _, err := w.Write(line); err != nil {
			return
		}
		if err := w.Drain(ctx); err != nil {
			return
		}
	}
}

// measureIO is measure with the system calls counted: it reports reads/op
// and writes/op besides msgs/s and cpu-ns/op.
func measureIO(b *testing.B) (stop func()) {
	r0, w0 := syscallCounts()
	m := measure(b)
	return func() {
		m()
		r1, w1 := syscallCounts()
		b.ReportMetric(float64(r1-r0)/float64(b.N), "reads/op")
		b.ReportMetric(float64(w1-w0)/float64(b.N), "writes/op")
	}
}

// rounds runs b.N messages split among conns connections as rounds of
// idiomRound(conns) messages per connection; round(i, n) runs n messages
// on connection i and returns when their echoes are read.
func rounds(b *testing.B, conns int, round func(i, n int)) {
	per := idiomRound(conns)
	for left := b.N; left > 0; {
		total := min(left, per*conns)
		left -= total
		var wg sync.WaitGroup
		for i := range conns {
			n := split(total, conns, i)
			if n == 0 {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				round(i, n)
			}()
		}
		wg.Wait()
	}
}

func dialStd(b *testing.B, network, addr string, conns int) []net.Conn {
	cs := make([]net.Conn, conns)
	for i := range cs {
		c, err := net.Dial(network, addr)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		cs[i] = c
	}
	return cs
}

type netxPair struct {
	r *bufio2.Reader
	w *netx.Writer
}

func dialNetx(b *testing.B, network, addr string, conns int) []netxPair {
	ps := make([]netxPair, conns)
	for i := range ps {
		r, w, err := netx.Dial(context.Background(), network, addr)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { w.Close() })
		ps[i] = netxPair{r, w}
	}
	return ps
}

// BenchmarkIdiomPipelined: rounds of 64-byte lines, written by one goroutine
// per connection while another reads the echoes.
func BenchmarkIdiomPipelined(b *testing.B) {
	for _, network := range []string{"tcp", "unix"} {
		for _, conns := range []int{1, 64} {
			b.Run(fmt.Sprintf("%s/conns=%d/std=bufio", network, conns), func(b *testing.B) {
				s := startStdServer(b, network, stdIdiomServer)
				cs := dialStd(b, network, s.l.Addr().String(), conns)
				bws := make([]*bufio.Writer, conns)
				brs := make([]*bufio.Reader, conns)
				for i, c := range cs {
					bws[i] = bufio.NewWriterSize(c, stdBufSize)
					brs[i] = bufio.NewReaderSize(c, stdBufSize)
				}
				line := benchPayload()
				b.SetBytes(benchLine)
				stop := measureIO(b)
				rounds(b, conns, func(i, n int) {
					done := make(chan struct{})
					go func() {
						defer close(done)
						for range n {
							bws[i].Write(line)
						}
						if err := bws[i].Flush(); err != nil {
							b.Error(err)
						}
					}()
					for range n {
						if _, err := brs[i].ReadSlice('\n'); err != nil {
							b.Error(err)
							break
						}
					}
					<-done
				})
				stop()
			})
			for _, slice := range []bool{false, true} {
				name, h, readLine := "netx=ReadLine", netxIdiomServer, (*bufio2.Reader).ReadLine
				if slice {
					name, h, readLine = "netx=ReadLineSlice", netxIdiomSliceServer, (*bufio2.Reader).ReadLineSlice
				}
				b.Run(fmt.Sprintf("%s/conns=%d/%s", network, conns, name), func(b *testing.B) {
					s := startNetxServer(b, network, h)
					ps := dialNetx(b, network, s.Addr().String(), conns)
					line := benchPayload()
					b.SetBytes(benchLine)
					stop := measureIO(b)
					rounds(b, conns, func(i, n int) { idiomClientRound(b, ps[i], line, n, readLine) })
					stop()
				})
			}
		}
	}
}

// idiomClientRound is one round of the idiom's client: n lines written and
// drained one at a time from one goroutine, their echoes read in this one.
func idiomClientRound(b *testing.B, p netxPair, line []byte, n int, readLine func(*bufio2.Reader) ([]byte, error)) {
	ctx := context.Background()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range n {
			if _, err := p.w.Write(line); err != nil {
				b.Error(err)
				return
			}
			if err := p.w.Drain(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	}()
	for range n {
		if _, err := readLine(p.r); err != nil {
			b.Error(err)
			break
		}
	}
	<-done
}

// BenchmarkIdiomPingPong: one 64-byte line in flight per connection. The
// baseline client writes each line with conn.Write and reads the echo
// through a bufio.Reader; the netx client writes, drains and reads.
func BenchmarkIdiomPingPong(b *testing.B) {
	for _, network := range []string{"tcp", "unix"} {
		for _, conns := range []int{1, 64} {
			b.Run(fmt.Sprintf("%s/conns=%d/std=conn.Write", network, conns), func(b *testing.B) {
				s := startStdServer(b, network, stdIdiomServer)
				cs := dialStd(b, network, s.l.Addr().String(), conns)
				brs := make([]*bufio.Reader, conns)
				for i, c := range cs {
					brs[i] = bufio.NewReaderSize(c, stdBufSize)
				}
				line := benchPayload()
				b.SetBytes(benchLine)
				stop := measureIO(b)
				rounds(b, conns, func(i, n int) {
					for range n {
						if _, err := cs[i].Write(line); err != nil {
							b.Error(err)
							return
						}
						if _, err := brs[i].ReadSlice('\n'); err != nil {
							b.Error(err)
							return
						}
					}
				})
				stop()
			})
			b.Run(fmt.Sprintf("%s/conns=%d/netx", network, conns), func(b *testing.B) {
				s := startNetxServer(b, network, netxIdiomServer)
				ps := dialNetx(b, network, s.Addr().String(), conns)
				line := benchPayload()
				b.SetBytes(benchLine)
				ctx := context.Background()
				stop := measureIO(b)
				rounds(b, conns, func(i, n int) {
					p := ps[i]
					for range n {
						if _, err := p.w.Write(line); err != nil {
							b.Error(err)
							return
						}
						if err := p.w.Drain(ctx); err != nil {
							b.Error(err)
							return
						}
						if _, err := p.r.ReadLine(); err != nil {
							b.Error(err)
							return
						}
					}
				})
				stop()
			})
		}
	}
}

// idiomLargeRound is the number of 64 KiB messages per connection and round.
func idiomLargeRound(conns int) int {
	if conns == 1 {
		return 200
	}
	return 20
}

// BenchmarkIdiomLarge: 64 KiB messages, written by one goroutine per
// connection while another reads the echoes. The baseline writes each
// message with conn.Write on both ends; the netx server does ReadExactly,
// Write, Drain and the client Write, Drain.
func BenchmarkIdiomLarge(b *testing.B) {
	for _, network := range []string{"tcp", "unix"} {
		for _, conns := range []int{1, 64} {
			largeRounds := func(b *testing.B, round func(i, n int)) {
				per := idiomLargeRound(conns)
				for left := b.N; left > 0; {
					total := min(left, per*conns)
					left -= total
					var wg sync.WaitGroup
					for i := range conns {
						if n := split(total, conns, i); n > 0 {
							wg.Add(1)
							go func() { defer wg.Done(); round(i, n) }()
						}
					}
					wg.Wait()
				}
			}
			b.Run(fmt.Sprintf("%s/conns=%d/std=conn.Write", network, conns), func(b *testing.B) {
				s := startStdServer(b, network, stdEchoLarge)
				cs := dialStd(b, network, s.l.Addr().String(), conns)
				b.SetBytes(bigMsg)
				stop := measureIO(b)
				largeRounds(b, func(i, n int) {
					c := cs[i]
					done := make(chan struct{})
					go func() {
						defer close(done)
						msg := make([]byte, bigMsg)
						for range n {
							if _, err := c.Write(msg); err != nil {
								b.Error(err)
								return
							}
						}
					}()
					buf := make([]byte, bigMsg)
					for range n {
						if _, err := io.ReadFull(c, buf); err != nil {
							b.Error(err)
							break
						}
					}
					<-done
				})
				stop()
			})
			b.Run(fmt.Sprintf("%s/conns=%d/netx", network, conns), func(b *testing.B) {
				s := startNetxServer(b, network, netxIdiomLarge)
				ps := dialNetx(b, network, s.Addr().String(), conns)
				b.SetBytes(bigMsg)
				ctx := context.Background()
				stop := measureIO(b)
				largeRounds(b, func(i, n int) {
					p := ps[i]
					done := make(chan struct{})
					go func() {
						defer close(done)
						msg := make([]byte, bigMsg)
						for range n {
							if _, err := p.w.Write(msg); err != nil {
								b.Error(err)
								return
							}
							if err := p.w.Drain(ctx); err != nil {
								b.Error(err)
								return
							}
						}
					}()
					buf := make([]byte, bigMsg)
					for range n {
						if _, err := p.r.ReadExactlyInto(buf); err != nil {
							b.Error(err)
							break
						}
					}
					<-done
				})
				stop()
			})
		}
	}
}

func netxIdiomLarge(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
	buf := make([]byte, bigMsg)
	for {
		if _, err := r.ReadExactlyInto(buf); err != nil {
			return
		}
		if _, err := w.Write(buf); err != nil {
			return
		}
		if err := w.Drain(ctx); err != nil {
			return
		}
	}
}

// BenchmarkIdiomVsAsyncio: the idiom's netx client, pipelining rounds of
// lines, against CPython 3.13's asyncio start_server (readline, write,
// drain: testdata/asyncio_server.py) and against the netx idiom server.
// Skipped when CPython 3.13 is not installed.
func BenchmarkIdiomVsAsyncio(b *testing.B) {
	for _, conns := range []int{1, 64} {
		b.Run(fmt.Sprintf("tcp/conns=%d/std=asyncio", conns), func(b *testing.B) {
			addr := startAsyncioServer(b)
			ps := dialNetx(b, "tcp", addr, conns)
			line := benchPayload()
			b.SetBytes(benchLine)
			stop := measureIO(b)
			rounds(b, conns, func(i, n int) { idiomClientRound(b, ps[i], line, n, (*bufio2.Reader).ReadLine) })
			stop()
		})
		b.Run(fmt.Sprintf("tcp/conns=%d/netx", conns), func(b *testing.B) {
			s := startNetxServer(b, "tcp", netxIdiomServer)
			ps := dialNetx(b, "tcp", s.Addr().String(), conns)
			line := benchPayload()
			b.SetBytes(benchLine)
			stop := measureIO(b)
			rounds(b, conns, func(i, n int) { idiomClientRound(b, ps[i], line, n, (*bufio2.Reader).ReadLine) })
			stop()
		})
	}
}

// BenchmarkWriteSmall: the cost of one 64-byte Write while the reader is
// between reads (the bytes wait for it, or for the sweeper, or go out when
// the buffer reaches the high-water mark), against a bufio.Writer of the
// high-water mark's size on the same connection.
func BenchmarkWriteSmall(b *testing.B) {
	line := benchPayload()
	b.Run("std=bufio.Writer", func(b *testing.B) {
		client, server := connPair(b, "tcp")
		go io.Copy(io.Discard, server)
		bw := bufio.NewWriterSize(client, netx.DefaultHighWater)
		b.SetBytes(benchLine)
		b.ReportAllocs()
		for range b.N {
			bw.Write(line)
		}
		bw.Flush()
	})
	b.Run("netx", func(b *testing.B) {
		client, server := connPair(b, "tcp")
		go func() {
			server.Write([]byte("go\n"))
			io.Copy(io.Discard, server)
		}()
		r, w := netx.Wrap(client, 0)
		defer w.Close()
		if _, err := r.ReadLine(); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(benchLine)
		b.ReportAllocs()
		for range b.N {
			w.Write(line)
		}
	})
}
