// Command loadgen measures echo servers from the outside: one load
// generator, the same for every server, against each server in turn, each
// server in a process of its own, so that the server's CPU time and system
// calls can be read from /proc/<pid>/stat and /proc/<pid>/io (Linux).
//
//	go run ./internal/loadgen                 # every server, the default trials
//	go run ./internal/loadgen -trials 5 -conns 1,64,1000
//
// The servers echo newline-terminated lines:
//
//	bufio                one goroutine per connection, 64 KiB bufio.Reader and
//	                     bufio.Writer, flushing when the read buffer is empty
//	netx=ReadLine        a netx.Server handler doing ReadLine, Write, Drain
//	netx=ReadLineSlice   the same with the zero-copy ReadLineSlice
//	netx=ReadLineSlice-noDrain  ReadLineSlice and Write only
//
// The client pipelines: on each connection one goroutine writes rounds of
// 64-byte lines through a 64 KiB bufio.Writer (flushed once per round)
// while another reads the echoes through a 64 KiB bufio.Reader. Trials are
// interleaved (server A, B, C, A, B, C, ...) and the table gives medians:
// messages per second, the server's CPU seconds per million messages, and
// the server's read and write system calls per thousand messages. Traffic
// goes to 127.0.0.1 only.
//
// LOADGEN_PROFILES=DIR writes each server's CPU profile to DIR.
//
// With -serve NAME the command is one of the servers: it listens on
// 127.0.0.1 (or -network unix, a path), prints its address, and serves
// until its standard input ends.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/netx"
)

const lineSize = 64

var servers = []string{"bufio", "netx=ReadLine", "netx=ReadLineSlice", "netx=ReadLineSlice-noDrain"}

func main() {
	serve := flag.String("serve", "", "run as the named server")
	network := flag.String("network", "tcp", "tcp or unix")
	connList := flag.String("conns", "1,64,1000", "connection counts, comma-separated")
	trials := flag.Int("trials", 5, "trials per server and connection count")
	msgs := flag.Int("msgs", 2_000_000, "messages per trial")
	only := flag.String("servers", strings.Join(servers, ","), "servers to measure, comma-separated")
	profile := flag.String("cpuprofile", "", "with -serve: write the server's CPU profile to this file")
	flag.Parse()
	if *serve != "" && *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	if *serve != "" {
		if err := runServer(*serve, *network); err != nil {
			log.Print(err)
		}
		return
	}
	var conns []int
	for _, f := range strings.Split(*connList, ",") {
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			log.Fatalf("bad -conns %q", *connList)
		}
		conns = append(conns, n)
	}
	if err := run(strings.Split(*only, ","), *network, conns, *trials, *msgs); err != nil {
		log.Fatal(err)
	}
}

// runServer serves until stdin ends.
func runServer(name, network string) error {
	addr := "127.0.0.1:0"
	if network == "unix" {
		dir, err := os.MkdirTemp("", "loadgen")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		addr = filepath.Join(dir, "s")
	}
	var stop func()
	switch {
	case name == "bufio":
		l, err := net.Listen(network, addr)
		if err != nil {
			return err
		}
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				go bufioEcho(c)
			}
		}()
		addr = l.Addr().String()
		stop = func() { l.Close() }
	case strings.HasPrefix(name, "netx="):
		read, drain := (*bufio2.Reader).ReadLine, true
		switch name {
		case "netx=ReadLine":
		case "netx=ReadLineSlice":
			read = (*bufio2.Reader).ReadLineSlice
		case "netx=ReadLineSlice-noDrain":
			read, drain = (*bufio2.Reader).ReadLineSlice, false
		default:
			return fmt.Errorf("unknown server %q", name)
		}
		s, err := netx.Listen(context.Background(), network, addr, func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
			for {
				line, err := read(r)
				if err != nil {
					return
				}
				if _, err := w.Write(line); err != nil {
					return
				}
				if !drain {
					continue
				}
				if err := w.Drain(ctx); err != nil {
					return
				}
			}
		})
		if err != nil {
			return err
		}
		addr = s.Addr().String()
		stop = func() { s.Close() }
	default:
		return fmt.Errorf("unknown server %q", name)
	}
	fmt.Println(addr)
	io.Copy(io.Discard, os.Stdin)
	stop()
	return nil
}

func bufioEcho(c net.Conn) {
	defer c.Close()
	br := bufio.NewReaderSize(c, 64<<10)
	bw := bufio.NewWriterSize(c, 64<<10)
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

// server is a server process and the client's connections to it.
type server struct {
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	addr  string
	conns []net.Conn
}

func start(name, network string) (*server, error) {
	args := []string{"-serve", name, "-network", network}
	if dir := os.Getenv("LOADGEN_PROFILES"); dir != "" {
		args = append(args, "-cpuprofile", filepath.Join(dir, strings.NewReplacer("=", "-", ",", "-").Replace(name)+".prof"))
	}
	cmd := exec.Command(os.Args[0], args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("%s: no address: %v", name, err)
	}
	return &server{name: name, cmd: cmd, stdin: stdin, addr: strings.TrimSpace(addr)}, nil
}

func (s *server) stop() {
	for _, c := range s.conns {
		c.Close()
	}
	s.stdin.Close()
	s.cmd.Wait()
}

// dial makes the server's connections number n.
func (s *server) dial(network string, n int) error {
	for _, c := range s.conns {
		c.Close()
	}
	s.conns = s.conns[:0]
	for range n {
		c, err := net.Dial(network, s.addr)
		if err != nil {
			return err
		}
		s.conns = append(s.conns, c)
	}
	return nil
}

// usage is what /proc says of a process.
type usage struct {
	cpu           time.Duration // user + system
	reads, writes int64         // syscr, syscw
}

func procUsage(pid int) (usage, error) {
	var u usage
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return u, err
	}
	// The fields after the command name, which is in parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return u, errors.New("bad /proc/pid/stat")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const tick = 10 * time.Millisecond // USER_HZ = 100 on Linux
	u.cpu = time.Duration(ut+st) * tick
	b, err = os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return u, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		n, _ := strconv.ParseInt(v, 10, 64)
		switch k {
		case "syscr":
			u.reads = n
		case "syscw":
			u.writes = n
		}
	}
	return u, nil
}

// result is one trial.
type result struct {
	msgsPerSec         float64
	cpuPerMillion      float64 // server CPU seconds per million messages
	readsPerK, writesK float64 // server system calls per thousand messages
}

// trial pipelines msgs messages over the server's connections, in rounds
// of 64 KiB of lines per connection at most.
func (s *server) trial(msgs int) (result, error) {
	line := bytes.Repeat([]byte("x"), lineSize)
	line[lineSize-1] = '\n'
	conns := len(s.conns)
	perConn := msgs / conns
	round := min(perConn, 20000)
	before, err := procUsage(s.cmd.Process.Pid)
	if err != nil {
		return result{}, err
	}
	t0 := time.Now()
	var wg sync.WaitGroup
	errc := make(chan error, 2*conns)
	for _, c := range s.conns {
		wg.Add(2)
		go func() {
			defer wg.Done()
			bw := bufio.NewWriterSize(c, 64<<10)
			for left := perConn; left > 0; left -= round {
				for range min(left, round) {
					bw.Write(line)
				}
				if err := bw.Flush(); err != nil {
					errc <- err
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			br := bufio.NewReaderSize(c, 64<<10)
			for range perConn {
				if _, err := br.ReadSlice('\n'); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	d := time.Since(t0)
	close(errc)
	if err := <-errc; err != nil {
		return result{}, err
	}
	after, err := procUsage(s.cmd.Process.Pid)
	if err != nil {
		return result{}, err
	}
	n := float64(perConn * conns)
	return result{
		msgsPerSec:    n / d.Seconds(),
		cpuPerMillion: (after.cpu - before.cpu).Seconds() / n * 1e6,
		readsPerK:     float64(after.reads-before.reads) / n * 1e3,
		writesK:       float64(after.writes-before.writes) / n * 1e3,
	}, nil
}

func run(names []string, network string, connCounts []int, trials, msgs int) error {
	var ss []*server
	defer func() {
		for _, s := range ss {
			s.stop()
		}
	}()
	for _, name := range names {
		s, err := start(name, network)
		if err != nil {
			return err
		}
		ss = append(ss, s)
	}
	results := map[string]map[int][]result{}
	for _, s := range ss {
		results[s.name] = map[int][]result{}
	}
	for _, conns := range connCounts {
		for _, s := range ss {
			if err := s.dial(network, conns); err != nil {
				return err
			}
			// Warm up: the server's goroutines, buffers and pools.
			if _, err := s.trial(min(msgs/4, 200_000) / conns * conns); err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
		}
		for t := range trials {
			for i := range ss {
				s := ss[(i+t)%len(ss)]
				r, err := s.trial(msgs)
				if err != nil {
					return fmt.Errorf("%s, %d conns: %w", s.name, conns, err)
				}
				results[s.name][conns] = append(results[s.name][conns], r)
			}
		}
		for _, s := range ss {
			s.dial(network, 0)
		}
	}
	fmt.Printf("%s, 64-byte lines pipelined, %d trials of %d messages, medians\n\n", network, trials, msgs)
	head := "| server |"
	rule := "|---|"
	for _, c := range connCounts {
		head += fmt.Sprintf(" %d conns: M msgs/s | CPU s / 1M msgs | reads / writes per 1,000 |", c)
		rule += "---|---|---|"
	}
	fmt.Println(head)
	fmt.Println(rule)
	for _, s := range ss {
		row := "| " + s.name + " |"
		for _, c := range connCounts {
			rs := results[s.name][c]
			row += fmt.Sprintf(" %.2f | %.3f | %.1f / %.1f |",
				med(rs, func(r result) float64 { return r.msgsPerSec })/1e6,
				med(rs, func(r result) float64 { return r.cpuPerMillion }),
				med(rs, func(r result) float64 { return r.readsPerK }),
				med(rs, func(r result) float64 { return r.writesK }))
		}
		fmt.Println(row)
	}
	return nil
}

func med(rs []result, f func(result) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	if len(v) == 0 {
		return 0
	}
	return v[len(v)/2]
}
