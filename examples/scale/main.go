// Command scale measures what an idle connection costs a netx server, beside
// a goroutine-per-connection server with a 64 KiB bufio.Reader (-bufio sets
// its size). BASELINES.md's "Idle connections" table gives the command for
// each of its rows (-servers bufio, -line 0 for connections that send
// nothing).
//
//	go run ./examples/scale                       # 1,000 and 10,000 connections
//	go run ./examples/scale -n 1000,2500,5000,10000
//	go run ./examples/scale -servers bufio -n 10000 -line 4096 -bufio 4096
//
// For each server and each count N, N clients connect on loopback and each
// sends one 60 KiB line, which the server's handler reads whole (netx:
// ReadLineSlice with the default 64 KiB limit; the baseline:
// bufio.Reader.ReadSlice) and echoes; once every client has its echo back,
// the connections are idle, and the server's memory is measured. Then every
// connection echoes one more short line, to show that all of them are still
// served.
//
// The server runs in a child process (this program, started again), so
// that its RSS is its own: the clients, in this process, do not count.
// Memory is measured after the connections went idle and two garbage
// collections ran (so that pooled buffers nobody uses are freed) and the
// freed pages were returned to the operating system
// (debug.FreeOSMemory); per connection is the growth over the same server
// before any connection, divided by N. With several counts, the slope of a
// least-squares line through them says how memory grows with N. RSS comes
// from /proc/self/status (Linux); elsewhere it is reported as unavailable
// and only the Go runtime's figures are shown.
//
// Each process needs an open file per connection: the command raises its
// open-file limit to the hard limit (or higher, if it may), and if the
// limit is still too low, it says so and runs with as many connections as
// fit. KB and MB are 10^3 and 10^6 bytes.
package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// serverEnv names the server a child process runs: "netx", "frame" or
// "bufio".
const serverEnv = "STREAMKIT_SCALE_SERVER"

// fdSlack is how many open files a process needs besides its connections.
const fdSlack = 64

func main() {
	if role := os.Getenv(serverEnv); role != "" {
		os.Exit(serverMain(role, os.Stdin, os.Stdout))
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type config struct {
	counts   []int
	lineSize int
	bufSize  int
	parallel int
	servers  []string
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scale", flag.ContinueOnError)
	fs.SetOutput(stderr)
	counts := fs.String("n", "1000,10000", "connection counts, comma-separated")
	lineSize := fs.Int("line", 60<<10, "bytes per line, '\\n' included; 0: send nothing before idling")
	parallel := fs.Int("parallel", 100, "clients dialing or sending at once")
	servers := fs.String("servers", "netx,frame,bufio", "servers to measure, comma-separated: netx, frame, bufio")
	bufSize := fs.Int("bufio", baselineBuffer, "the bufio server's bufio.Reader size")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg := config{lineSize: *lineSize, bufSize: *bufSize, parallel: max(*parallel, 1)}
	for _, f := range strings.Split(*counts, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			fmt.Fprintf(stderr, "scale: -n: %q is not a positive count\n", f)
			return 2
		}
		cfg.counts = append(cfg.counts, n)
	}
	slices.Sort(cfg.counts)
	cfg.counts = slices.Compact(cfg.counts)
	for _, s := range strings.Split(*servers, ",") {
		s = strings.TrimSpace(s)
		if s != "netx" && s != "frame" && s != "bufio" {
			fmt.Fprintf(stderr, "scale: -servers: unknown server %q\n", s)
			return 2
		}
		cfg.servers = append(cfg.servers, s)
	}
	if cfg.bufSize < 16 {
		fmt.Fprintln(stderr, "scale: -bufio must be at least 16")
		return 2
	}
	if cfg.lineSize != 0 && cfg.lineSize < 2 {
		fmt.Fprintln(stderr, "scale: -line must be 0 or at least 2")
		return 2
	}

	// Open files: this process holds the clients' ends.
	most := cfg.counts[len(cfg.counts)-1]
	lim := raiseOpenFiles(uint64(most + fdSlack))
	fmt.Fprintf(stdout, "open files: %s\n", lim.describe())
	if fit := lim.fit(); fit < most {
		fmt.Fprintf(stdout, "open files: the limit fits %d connections, not %d: running with at most %d\n", fit, most, fit)
		cfg.counts = capCounts(cfg.counts, fit)
		if len(cfg.counts) == 0 {
			fmt.Fprintln(stderr, "scale: no connection fits the open-file limit")
			return 1
		}
	}
	if cfg.lineSize == 0 {
		fmt.Fprintln(stdout, "workload: each connection connects and sends nothing; then idle")
	} else {
		fmt.Fprintf(stdout, "workload: each connection sends one %d-byte line (frame: a length-prefixed frame), read whole and echoed; then idle\n", cfg.lineSize)
	}
	fmt.Fprintln(stdout, "server: a child process, so that its RSS is its own; clients: this process, on loopback")
	fmt.Fprintln(stdout, "memory: after two GCs and debug.FreeOSMemory, growth over the same server with no connection, per connection")
	if !rssAvailable() {
		fmt.Fprintln(stdout, "rss: unavailable on this system (no /proc/self/status); the Go runtime's heap and stack figures stand in")
	}

	results := map[string][]result{}
	for _, server := range cfg.servers {
		for _, n := range cfg.counts {
			res, err := measureServer(server, n, cfg, stdout)
			if err != nil {
				fmt.Fprintf(stderr, "scale: %s, %d connections: %v\n", server, n, err)
				return 1
			}
			fmt.Fprintln(stdout, res.String())
			results[server] = append(results[server], res)
		}
	}
	if len(cfg.counts) > 1 {
		fmt.Fprintf(stdout, "growth from %d to %d connections (least squares over %d counts):\n", cfg.counts[0], cfg.counts[len(cfg.counts)-1], len(cfg.counts))
		for _, server := range cfg.servers {
			fmt.Fprintln(stdout, growth(server, results[server]))
		}
	}
	return 0
}

// capCounts drops the counts above fit, keeping fit itself if one was
// dropped.
func capCounts(counts []int, fit int) []int {
	var out []int
	for _, n := range counts {
		if n < fit {
			out = append(out, n)
		}
	}
	if fit > 0 && len(out) < len(counts) {
		out = append(out, fit)
	}
	return out
}

// A result is one server's figures with n idle connections.
type result struct {
	server     string
	n          int
	accept     time.Duration
	base, idle memStats
	echoed     int
	echoTime   time.Duration
}

func (r result) perConn(f func(memStats) int64) float64 {
	return float64(f(r.idle)-f(r.base)) / float64(r.n)
}

func (r result) String() string {
	rss, kept := "unavailable", "unavailable"
	if r.idle.rss >= 0 && r.base.rss >= 0 {
		rss = kb(r.perConn(func(m memStats) int64 { return m.rss }))
		kept = kb(r.perConn(func(m memStats) int64 { return m.kept }))
	}
	peak := "unavailable"
	if r.idle.peak >= 0 {
		peak = mb(float64(r.idle.peak))
	}
	return fmt.Sprintf("%-5s n=%-6d accept=%v (%.0f/s) rss/conn=%s heap/conn=%s stack/conn=%s kept-rss/conn=%s goroutines=%d peak-rss=%s echo-after-idle=%d/%d in %v",
		r.server, r.n, r.accept.Round(time.Millisecond), float64(r.n)/r.accept.Seconds(),
		rss,
		kb(r.perConn(func(m memStats) int64 { return m.heap })),
		kb(r.perConn(func(m memStats) int64 { return m.stacks })),
		kept, r.idle.goroutines, peak, r.echoed, r.n, r.echoTime.Round(time.Millisecond))
}

func kb(b float64) string { return fmt.Sprintf("%.1fKB", b/1e3) }
func mb(b float64) string { return fmt.Sprintf("%.1fMB", b/1e6) }

// growth fits memory = intercept + slope*n through a server's results.
func growth(server string, rs []result) string {
	field, what := func(m memStats) int64 { return m.rss }, "rss"
	if rs[0].idle.rss < 0 {
		field, what = func(m memStats) int64 { return m.heap + m.stacks }, "heap+stacks"
	}
	xs := make([]float64, len(rs))
	ys := make([]float64, len(rs))
	for i, r := range rs {
		xs[i] = float64(r.n)
		ys[i] = float64(field(r.idle) - field(r.base))
	}
	slope, intercept, r2 := fitLine(xs, ys)
	return fmt.Sprintf("%-5s %s slope=%s/conn intercept=%s r2=%.4f", server, what, kb(slope), mb(intercept), r2)
}

// fitLine returns the least-squares line through the points and its r².
func fitLine(xs, ys []float64) (slope, intercept, r2 float64) {
	n := float64(len(xs))
	var sx, sy, sxx, sxy float64
	for i := range xs {
		sx += xs[i]
		sy += ys[i]
		sxx += xs[i] * xs[i]
		sxy += xs[i] * ys[i]
	}
	slope = (n*sxy - sx*sy) / (n*sxx - sx*sx)
	intercept = (sy - slope*sx) / n
	mean := sy / n
	var ssRes, ssTot float64
	for i := range xs {
		d := ys[i] - (intercept + slope*xs[i])
		ssRes += d * d
		ssTot += (ys[i] - mean) * (ys[i] - mean)
	}
	r2 = 1
	if ssTot > 0 {
		r2 = 1 - ssRes/ssTot
	}
	return slope, intercept, r2
}

// measureServer starts the server in a child process and runs n clients
// against it.
func measureServer(server string, n int, cfg config, stdout io.Writer) (result, error) {
	res := result{server: server, n: n}
	exe, err := os.Executable()
	if err != nil {
		return res, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), serverEnv+"="+server, fmt.Sprintf("%s_FILES=%d", serverEnv, n+fdSlack), fmt.Sprintf("%s_BUFIO=%d", serverEnv, cfg.bufSize))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return res, err
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return res, err
	}
	if err := cmd.Start(); err != nil {
		return res, err
	}
	child := &childServer{cmd: cmd, in: in, out: bufio.NewScanner(outPipe)}
	defer child.stop()

	hello, err := child.reply()
	if err != nil {
		return res, fmt.Errorf("server did not start: %w", err)
	}
	var addr string
	var fits int
	if _, err := fmt.Sscanf(hello, "addr %s fits %d", &addr, &fits); err != nil {
		return res, fmt.Errorf("server said %q: %w", hello, err)
	}
	if fits < n {
		return res, fmt.Errorf("the server's open-file limit fits %d connections, not %d", fits, n)
	}
	if res.base, err = child.mem(); err != nil {
		return res, err
	}

	// Connect.
	conns := make([]net.Conn, n)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	start := time.Now()
	err = parallel(n, cfg.parallel, func(i int) error {
		c, err := net.Dial("tcp", addr)
		conns[i] = c
		return err
	})
	if err != nil {
		return res, fmt.Errorf("dial: %w", err)
	}
	if err := child.ask(fmt.Sprintf("accepted %d", n)); err != nil {
		return res, err
	}
	res.accept = time.Since(start)

	// One long line each (a length-prefixed frame for the frame server),
	// echoed; with -line 0, nothing.
	if cfg.lineSize > 0 {
		if err := sendLines(conns, server, cfg, child); err != nil {
			return res, err
		}
	}
	if res.idle, err = child.mem(); err != nil {
		return res, err
	}

	// Still served: a short line each.
	var echoed atomic.Int64
	start = time.Now()
	parallel(n, cfg.parallel, func(i int) error {
		ping := message(server, 5)
		buf := make([]byte, len(ping))
		if _, err := conns[i].Write(ping); err != nil {
			return nil
		}
		if _, err := io.ReadFull(conns[i], buf); err == nil && bytes.Equal(buf, ping) {
			echoed.Add(1)
		}
		return nil
	})
	res.echoTime = time.Since(start)
	res.echoed = int(echoed.Load())
	return res, nil
}

// sendLines sends one cfg.lineSize message on each connection, checks its
// echo and waits until the server's handlers wait again.
func sendLines(conns []net.Conn, server string, cfg config, child *childServer) error {
	n := len(conns)
	line := message(server, cfg.lineSize)
	bufs := make(chan []byte, cfg.parallel) // one for each client at work
	for range cfg.parallel {
		bufs <- make([]byte, len(line))
	}
	err := parallel(n, cfg.parallel, func(i int) error {
		buf := <-bufs
		defer func() { bufs <- buf }()
		if _, err := conns[i].Write(line); err != nil {
			return err
		}
		if _, err := io.ReadFull(conns[i], buf); err != nil {
			return fmt.Errorf("reading the echo: %w", err)
		}
		if !bytes.Equal(buf, line) {
			return errors.New("the echo differs from the line sent")
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("connection %w", err)
	}
	return child.ask(fmt.Sprintf("idle %d", n))
}

// message returns what a client sends the server: a line of size bytes,
// '\n' included, or for the frame server a frame of size bytes in all, with
// LengthPrefixed's 4-byte big-endian header.
func message(server string, size int) []byte {
	m := bytes.Repeat([]byte("x"), size)
	if server == "frame" {
		binary.BigEndian.PutUint32(m, uint32(size-4))
		return m
	}
	m[len(m)-1] = '\n'
	return m
}

// parallel calls f(i) for i in [0, n) from at most p goroutines and
// returns the first error.
func parallel(n, p int, f func(i int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range min(p, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					once.Do(func() { first = fmt.Errorf("%d: %w", i, err) })
					next.Store(int64(n))
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// childServer is the server process, driven through its stdin and stdout.
type childServer struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func (c *childServer) reply() (string, error) {
	if !c.out.Scan() {
		if err := c.out.Err(); err != nil {
			return "", err
		}
		return "", io.ErrUnexpectedEOF
	}
	line := c.out.Text()
	if msg, ok := strings.CutPrefix(line, "error "); ok {
		return "", errors.New(msg)
	}
	return line, nil
}

// ask sends a command and waits for "ok".
func (c *childServer) ask(cmd string) error {
	if _, err := fmt.Fprintln(c.in, cmd); err != nil {
		return err
	}
	reply, err := c.reply()
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	if reply != "ok" {
		return fmt.Errorf("%s: server said %q", cmd, reply)
	}
	return nil
}

func (c *childServer) mem() (memStats, error) {
	if _, err := fmt.Fprintln(c.in, "mem"); err != nil {
		return memStats{}, err
	}
	reply, err := c.reply()
	if err != nil {
		return memStats{}, fmt.Errorf("mem: %w", err)
	}
	return parseMem(reply)
}

// stop closes the child's stdin, which makes it exit, and waits for it.
func (c *childServer) stop() {
	c.in.Close()
	done := make(chan struct{})
	go func() {
		c.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
}
