package netx_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/internal/testenv"
	"github.com/streamkit/streamkit/netx"
)

// The benchmarks compare netx with hand-written standard-library code in
// the same run (BASELINES.md has the figures of the baselines and the
// commands that give them); compare the ratios, not the absolute figures:
//
//	go test ./netx -run '^$' -bench 'PipelinedEcho|PingPong|LargeEcho' -count 5 | go run ./internal/benchratio
//
// Each op is one message echoed: b.SetBytes gives MB/s, msgs/s counts
// messages per second, and cpu-ns/op is the CPU time (both ends, all
// goroutines) per message, which a busy machine disturbs less than the wall
// clock.
//
// NETX_SWEEP=<duration> changes how long bytes written while the reader is
// between reads wait for that reader before a flusher starts (default
// 1ms; 0 starts a flusher at once for every burst of writes), to compare
// the two designs.

func init() {
	if s := os.Getenv("NETX_SWEEP"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			panic(err)
		}
		netx.SetSweepInterval(d)
	}
}

const benchLine = 64 // bytes per line, '\n' included

func benchPayload() []byte {
	line := bytes.Repeat([]byte("x"), benchLine)
	line[benchLine-1] = '\n'
	return line
}

// benchAddr returns a fresh address for network: loopback TCP, or a socket
// path in a short temporary directory (socket paths are limited to ~100
// bytes).
func benchAddr(tb testing.TB, network string) string {
	if network != "unix" {
		return "127.0.0.1:0"
	}
	dir, err := os.MkdirTemp("", "netx")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "s")
}

// stdServer is the baseline server: one goroutine per connection running
// serve on the accepted conn.
type stdServer struct {
	l  net.Listener
	wg sync.WaitGroup
	mu sync.Mutex
	cs []net.Conn
}

func startStdServer(tb testing.TB, network string, serve func(net.Conn)) *stdServer {
	l, err := net.Listen(network, benchAddr(tb, network))
	if err != nil {
		tb.Fatal(err)
	}
	s := &stdServer{l: l}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.cs = append(s.cs, c)
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				serve(c)
			}()
		}
	}()
	tb.Cleanup(func() {
		l.Close()
		s.mu.Lock()
		for _, c := range s.cs {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

// stdEchoBuffered is the fast echo server of BASELINES.md's echo table:
// bufio.Reader + bufio.Writer, flushing when nothing is buffered (its
// figures there are internal/loadgen's, with the client in another process).
func stdEchoBuffered(c net.Conn) {
	br := bufio.NewReader(c)
	bw := bufio.NewWriter(c)
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

// stdEchoDirect answers each line with its own conn.Write: the slow server
// of BASELINES.md's echo table.
func stdEchoDirect(c net.Conn) {
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return
		}
		if _, err := c.Write(line); err != nil {
			return
		}
	}
}

func netxEcho(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
	for {
		line, err := r.ReadLineSlice()
		if err != nil {
			return
		}
		if _, err := w.Write(line); err != nil {
			return
		}
	}
}

func startNetxServer(tb testing.TB, network string, h netx.Handler) *netx.Server {
	s, err := netx.Listen(context.Background(), network, benchAddr(tb, network), h)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// split divides n messages among conns clients.
func split(n, conns, i int) int {
	k := n / conns
	if i < n%conns {
		k++
	}
	return k
}

// measure starts the clock of a benchmark: the returned function reports
// messages per second and the CPU time (user + system, all goroutines, both
// ends) per message, which a busy machine disturbs less than the wall
// clock.
func measure(b *testing.B) (stop func()) {
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	return func() {
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkPipelinedEcho: each client writes its share of 64-byte lines
// from one goroutine while another reads the echoes.
func BenchmarkPipelinedEcho(b *testing.B) {
	for _, network := range []string{"tcp", "unix"} {
		for _, conns := range []int{1, 64} {
			b.Run(fmt.Sprintf("%s/conns=%d/std=bufio", network, conns), func(b *testing.B) {
				s := startStdServer(b, network, stdEchoBuffered)
				benchPipelinedStd(b, network, s.l.Addr().String(), conns)
			})
			b.Run(fmt.Sprintf("%s/conns=%d/netx", network, conns), func(b *testing.B) {
				s := startNetxServer(b, network, netxEcho)
				benchPipelinedNetx(b, network, s.Addr().String(), conns)
			})
			// The slow baseline: one conn.Write per message.
			b.Run(fmt.Sprintf("%s/conns=%d/conn.Write", network, conns), func(b *testing.B) {
				s := startStdServer(b, network, stdEchoDirect)
				benchPipelinedStd(b, network, s.l.Addr().String(), conns)
			})
		}
	}
}

func benchPipelinedStd(b *testing.B, network, addr string, conns int) {
	cs := make([]net.Conn, conns)
	for i := range cs {
		c, err := net.Dial(network, addr)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		cs[i] = c
	}
	line := benchPayload()
	b.SetBytes(benchLine)
	stop := measure(b)
	var wg sync.WaitGroup
	for i, c := range cs {
		n := split(b.N, conns, i)
		wg.Add(2)
		go func() {
			defer wg.Done()
			bw := bufio.NewWriter(c)
			for range n {
				bw.Write(line)
			}
			if err := bw.Flush(); err != nil {
				b.Error(err)
			}
		}()
		go func() {
			defer wg.Done()
			br := bufio.NewReader(c)
			for range n {
				if _, err := br.ReadSlice('\n'); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	stop()
}

func benchPipelinedNetx(b *testing.B, network, addr string, conns int) {
	type pair struct {
		r *bufio2.Reader
		w *netx.Writer
	}
	ps := make([]pair, conns)
	for i := range ps {
		r, w, err := netx.Dial(context.Background(), network, addr)
		if err != nil {
			b.Fatal(err)
		}
		defer w.Close()
		ps[i] = pair{r, w}
	}
	line := benchPayload()
	b.SetBytes(benchLine)
	stop := measure(b)
	var wg sync.WaitGroup
	for i, p := range ps {
		n := split(b.N, conns, i)
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range n {
				if _, err := p.w.Write(line); err != nil {
					b.Error(err)
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			for range n {
				if _, err := p.r.ReadLineSlice(); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	stop()
}

// BenchmarkVsAsyncio: the pipelined echo of BenchmarkPipelinedEcho, with
// the same bufio client, against CPython 3.13's asyncio start_server
// (readline, write, drain: testdata/asyncio_server.py) and against a netx
// server. Skipped when CPython 3.13 is not installed.
func BenchmarkVsAsyncio(b *testing.B) {
	for _, conns := range []int{1, 64} {
		b.Run(fmt.Sprintf("tcp/conns=%d/std=asyncio", conns), func(b *testing.B) {
			addr := startAsyncioServer(b)
			benchPipelinedStd(b, "tcp", addr, conns)
		})
		b.Run(fmt.Sprintf("tcp/conns=%d/netx", conns), func(b *testing.B) {
			s := startNetxServer(b, "tcp", netxEcho)
			benchPipelinedStd(b, "tcp", s.Addr().String(), conns)
		})
	}
}

// startAsyncioServer runs testdata/asyncio_server.py until the benchmark
// ends and returns its address.
func startAsyncioServer(b *testing.B) string {
	python := testenv.Python(b, "3.13.0")
	cmd := exec.Command(python, filepath.Join("testdata", "asyncio_server.py"))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close() // the server stops when its stdin ends
		io.Copy(io.Discard, stdout)
		cmd.Wait()
	})
	port, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("no port from the asyncio server: %v", err)
	}
	return "127.0.0.1:" + strings.TrimSpace(port)
}

// BenchmarkPingPong: one connection, one 64-byte line in flight.
func BenchmarkPingPong(b *testing.B) {
	for _, network := range []string{"tcp", "unix"} {
		b.Run(network+"/std=conn.Write", func(b *testing.B) {
			s := startStdServer(b, network, stdEchoDirect)
			c, err := net.Dial(network, s.l.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			br := bufio.NewReader(c)
			line := benchPayload()
			b.SetBytes(benchLine)
			stop := measure(b)
			for range b.N {
				if _, err := c.Write(line); err != nil {
					b.Fatal(err)
				}
				if _, err := br.ReadSlice('\n'); err != nil {
					b.Fatal(err)
				}
			}
			stop()
		})
		b.Run(network+"/netx", func(b *testing.B) {
			s := startNetxServer(b, network, netxEcho)
			r, w, err := netx.Dial(context.Background(), network, s.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			line := benchPayload()
			b.SetBytes(benchLine)
			stop := measure(b)
			for range b.N {
				if _, err := w.Write(line); err != nil {
					b.Fatal(err)
				}
				if _, err := r.ReadLineSlice(); err != nil {
					b.Fatal(err)
				}
			}
			stop()
		})
	}
}

const bigMsg = 64 << 10

// stdEchoLarge and netxEchoLarge echo bigMsg-byte messages.
func stdEchoLarge(c net.Conn) {
	buf := make([]byte, bigMsg)
	for {
		if _, err := io.ReadFull(c, buf); err != nil {
			return
		}
		if _, err := c.Write(buf); err != nil {
			return
		}
	}
}

func netxEchoLarge(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
	buf := make([]byte, bigMsg)
	for {
		if _, err := r.ReadExactlyInto(buf); err != nil {
			return
		}
		if _, err := w.Write(buf); err != nil {
			return
		}
	}
}

// BenchmarkLargeEcho: 64 KiB messages echoed on one connection, the client
// writing from one goroutine and reading in another.
func BenchmarkLargeEcho(b *testing.B) {
	for _, network := range []string{"tcp", "unix"} {
		b.Run(network+"/std=conn.Write", func(b *testing.B) {
			s := startStdServer(b, network, stdEchoLarge)
			c, err := net.Dial(network, s.l.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			msg := make([]byte, bigMsg)
			b.SetBytes(bigMsg)
			stop := measure(b)
			done := make(chan struct{})
			go func() {
				defer close(done)
				buf := make([]byte, bigMsg)
				for range b.N {
					if _, err := io.ReadFull(c, buf); err != nil {
						b.Error(err)
						return
					}
				}
			}()
			for range b.N {
				if _, err := c.Write(msg); err != nil {
					b.Fatal(err)
				}
			}
			<-done
			stop()
		})
		b.Run(network+"/netx", func(b *testing.B) {
			s := startNetxServer(b, network, netxEchoLarge)
			r, w, err := netx.Dial(context.Background(), network, s.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			msg := make([]byte, bigMsg)
			b.SetBytes(bigMsg)
			stop := measure(b)
			done := make(chan struct{})
			go func() {
				defer close(done)
				buf := make([]byte, bigMsg)
				for range b.N {
					if _, err := r.ReadExactlyInto(buf); err != nil {
						b.Error(err)
						return
					}
				}
			}()
			for range b.N {
				if _, err := w.Write(msg); err != nil {
					b.Fatal(err)
				}
			}
			<-done
			stop()
		})
	}
}

// BenchmarkInterleaved runs netx and its baseline in alternating slices on
// connections that stay open, so that a busy machine slows both alike: each
// op is one slice of each (b.N slices; -benchtime=60x is a good size), and
// the metrics are the throughputs and their ratio netx/std, the figure to
// compare with the targets.
func BenchmarkInterleaved(b *testing.B) {
	for _, network := range []string{"tcp", "unix"} {
		b.Run(network+"/PingPong", func(b *testing.B) {
			std := startStdServer(b, network, stdEchoDirect)
			c, err := net.Dial(network, std.l.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			br := bufio.NewReader(c)
			r, w := dialNetxEcho(b, network)
			line := benchPayload()
			interleave(b, 300, func(n int) {
				for range n {
					c.Write(line)
					br.ReadSlice('\n')
				}
			}, netxPingPong(b, r, w, line))
		})
		b.Run(network+"/Pipelined", func(b *testing.B) {
			std := startStdServer(b, network, stdEchoBuffered)
			c, err := net.Dial(network, std.l.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			bw, br := bufio.NewWriter(c), bufio.NewReader(c)
			r, w := dialNetxEcho(b, network)
			line := benchPayload()
			interleave(b, 20000, func(n int) {
				done := make(chan struct{})
				go func() {
					defer close(done)
					for range n {
						bw.Write(line)
					}
					bw.Flush()
				}()
				for range n {
					br.ReadSlice('\n')
				}
				<-done
			}, netxPipelined(r, w, line))
		})
		b.Run(network+"/64KiB", func(b *testing.B) {
			std := startStdServer(b, network, stdEchoLarge)
			c, err := net.Dial(network, std.l.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			s := startNetxServer(b, network, netxEchoLarge)
			r, w, err := netx.Dial(context.Background(), network, s.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			msg := make([]byte, bigMsg)
			interleave(b, 300, func(n int) {
				done := make(chan struct{})
				go func() {
					defer close(done)
					buf := make([]byte, bigMsg)
					for range n {
						io.ReadFull(c, buf)
					}
				}()
				for range n {
					c.Write(msg)
				}
				<-done
			}, func(n int) {
				done := make(chan struct{})
				go func() {
					defer close(done)
					buf := make([]byte, bigMsg)
					for range n {
						r.ReadExactlyInto(buf)
					}
				}()
				for range n {
					w.Write(msg)
				}
				<-done
			})
		})
	}
}

func dialNetxEcho(b *testing.B, network string) (*bufio2.Reader, *netx.Writer) {
	s := startNetxServer(b, network, netxEcho)
	r, w, err := netx.Dial(context.Background(), network, s.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { w.Close() })
	return r, w
}

// interleave runs slices of n messages of std and netx in turn, b.N of
// each, and reports both throughputs, the median of the slices' ratios
// netx/std and the ratio of CPU time std/netx.
func interleave(b *testing.B, n int, std, nx func(n int)) {
	interleaveAs(b, n, "std", std, "netx", nx)
}

// interleaveAs is interleave with the names of the two sides in the
// metrics: base and name stand for "std" and "netx".
func interleaveAs(b *testing.B, n int, base string, std func(n int), name string, nx func(n int)) {
	std(n) // warm up
	nx(n)
	var tStd, tNetx, cStd, cNetx time.Duration
	ratios := make([]float64, 0, b.N)
	run := func(f func(int), t, c *time.Duration) time.Duration {
		c0, t0 := cpuTime(), time.Now()
		f(n)
		d := time.Since(t0)
		*t += d
		*c += cpuTime() - c0
		return d
	}
	b.ResetTimer()
	for i := range b.N {
		var ds, dn time.Duration
		if i%2 == 0 {
			ds = run(std, &tStd, &cStd)
			dn = run(nx, &tNetx, &cNetx)
		} else {
			dn = run(nx, &tNetx, &cNetx)
			ds = run(std, &tStd, &cStd)
		}
		ratios = append(ratios, float64(ds)/float64(dn))
	}
	slices.Sort(ratios)
	msgs := float64(n * b.N)
	b.ReportMetric(msgs/tStd.Seconds(), base+"-msgs/s")
	b.ReportMetric(msgs/tNetx.Seconds(), name+"-msgs/s")
	b.ReportMetric(ratios[len(ratios)/2], name+"/"+base)
	if cNetx > 0 {
		b.ReportMetric(float64(cStd)/float64(cNetx), "cpu-"+base+"/"+name)
	}
	b.ReportMetric(0, "ns/op")
}

// netxPingPong returns one side of an interleaved benchmark: n lines
// written and their echoes read, one at a time.
func netxPingPong(b *testing.B, r *bufio2.Reader, w *netx.Writer, line []byte) func(n int) {
	return func(n int) {
		for range n {
			w.Write(line)
			if _, err := r.ReadLineSlice(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// netxPipelined returns one side of an interleaved benchmark: n lines
// written from one goroutine while their echoes are read in another.
func netxPipelined(r *bufio2.Reader, w *netx.Writer, line []byte) func(n int) {
	return func(n int) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range n {
				w.Write(line)
			}
		}()
		for range n {
			r.ReadLineSlice()
		}
		<-done
	}
}

// BenchmarkLazyReads compares, in the same run, pairs that read through
// the connection's Read holding the Reader's buffer while they wait
// ("plain", netx.SetPlainReads) with pairs that wait holding no buffer
// ("lazy", the default on TCP and Unix): the price of reading through
// syscall.RawConn and of taking a buffer from the pool after each wait.
// Both ends of each connection read the same way. LargeLines echoes 60 KiB
// lines, one in flight: after each wait a lazy Reader starts again from a
// small buffer.
//
//	go test ./netx -run '^$' -bench LazyReads -benchtime=60x -count 3
func BenchmarkLazyReads(b *testing.B) {
	large := append(bytes.Repeat([]byte("y"), 60<<10-1), '\n')
	for _, network := range []string{"tcp", "unix"} {
		pair := func(b *testing.B, plain bool) (*bufio2.Reader, *netx.Writer) {
			defer netx.SetPlainReads(plain)()
			r, w := dialNetxEcho(b, network)
			// The server makes its pair when it accepts: wait for it.
			w.Write([]byte("hello\n"))
			if _, err := r.ReadLine(); err != nil {
				b.Fatal(err)
			}
			return r, w
		}
		b.Run(network+"/PingPong", func(b *testing.B) {
			pr, pw := pair(b, true)
			lr, lw := pair(b, false)
			interleaveAs(b, 300, "plain", netxPingPong(b, pr, pw, benchPayload()), "lazy", netxPingPong(b, lr, lw, benchPayload()))
		})
		b.Run(network+"/Pipelined", func(b *testing.B) {
			pr, pw := pair(b, true)
			lr, lw := pair(b, false)
			interleaveAs(b, 20000, "plain", netxPipelined(pr, pw, benchPayload()), "lazy", netxPipelined(lr, lw, benchPayload()))
		})
		b.Run(network+"/LargeLines", func(b *testing.B) {
			pr, pw := pair(b, true)
			lr, lw := pair(b, false)
			interleaveAs(b, 100, "plain", netxPingPong(b, pr, pw, large), "lazy", netxPingPong(b, lr, lw, large))
		})
	}
}
