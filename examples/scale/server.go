package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/frame"
	"github.com/streamkit/streamkit/netx"
)

// baselineBuffer is the baseline server's default bufio.Reader size (the
// -bufio flag): netx's default limit.
const baselineBuffer = 64 << 10

// waitTimeout bounds the server's wait for the clients' connections and
// lines.
const waitTimeout = 5 * time.Minute

// serverMain is the child process: it serves on a loopback port with the
// named server, says where, and answers the parent's commands, one a line
// on in, until in ends:
//
//	mem          memory figures: "rss=... peak=... heap=... stacks=... goroutines=..."
//	accepted N   "ok" once N connections have been accepted and handed to a handler
//	idle N       "ok" once N lines have been read and echoed and the handlers wait
func serverMain(role string, in io.Reader, out io.Writer) int {
	want, _ := strconv.ParseUint(os.Getenv(serverEnv+"_FILES"), 10, 64)
	lim := raiseOpenFiles(want)
	bufSize, err := strconv.Atoi(os.Getenv(serverEnv + "_BUFIO"))
	if err != nil {
		bufSize = baselineBuffer
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(out, "error %v\n", err)
		return 1
	}
	var started, echoed atomic.Int64
	switch role {
	case "netx":
		s := &netx.Server{
			Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
				started.Add(1)
				for {
					line, err := r.ReadLineSlice()
					if err != nil {
						return
					}
					if _, err := w.Write(line); err != nil {
						return
					}
					echoed.Add(1)
				}
			},
			Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)),
		}
		go s.Serve(ln)
	case "frame":
		s := &netx.Server{
			Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
				started.Add(1)
				fr := frame.NewReader(r, frame.LengthPrefixed{})
				var hdr [4]byte
				for {
					p, err := fr.Next()
					if err != nil {
						return
					}
					binary.BigEndian.PutUint32(hdr[:], uint32(len(p)))
					if err := w.WriteLines(hdr[:], p); err != nil {
						return
					}
					echoed.Add(1)
				}
			},
			Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)),
		}
		go s.Serve(ln)
	case "bufio":
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					started.Add(1)
					br := bufio.NewReaderSize(c, bufSize)
					for {
						line, err := br.ReadSlice('\n')
						if err != nil {
							return
						}
						if _, err := c.Write(line); err != nil {
							return
						}
						echoed.Add(1)
					}
				}()
			}
		}()
	default:
		fmt.Fprintf(out, "error unknown server %q\n", role)
		return 1
	}
	fmt.Fprintf(out, "addr %s fits %d\n", ln.Addr(), lim.fit())

	sc := bufio.NewScanner(in)
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(sc.Text(), " ")
		n, _ := strconv.ParseInt(arg, 10, 64)
		switch cmd {
		case "mem":
			fmt.Fprintln(out, measureMem().String())
		case "accepted":
			reply(out, waitCount(&started, n, "connections accepted"))
		case "idle":
			err := waitCount(&echoed, n, "lines echoed")
			if err == nil {
				waitParked(int(n))
			}
			reply(out, err)
		default:
			fmt.Fprintf(out, "error unknown command %q\n", sc.Text())
		}
	}
	return 0
}

func reply(out io.Writer, err error) {
	if err != nil {
		fmt.Fprintf(out, "error %v\n", err)
		return
	}
	fmt.Fprintln(out, "ok")
}

// waitCount waits until c reaches n.
func waitCount(c *atomic.Int64, n int64, what string) error {
	deadline := time.Now().Add(waitTimeout)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for c.Load() < n {
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d %s after %v", c.Load(), n, what, waitTimeout)
		}
		<-tick.C
	}
	return nil
}

// waitParked waits, for a few seconds at most, until no goroutine is
// runnable and at least n wait: the handlers, which have echoed their line,
// have gone back to wait for the next.
func waitParked(n int) {
	s := []metrics.Sample{{Name: "/sched/goroutines/runnable:goroutines"}, {Name: "/sched/goroutines/waiting:goroutines"}}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		metrics.Read(s)
		if s[0].Value.Kind() != metrics.KindUint64 || s[1].Value.Kind() != metrics.KindUint64 {
			// A Go without these metrics: give the handlers a moment.
			time.Sleep(100 * time.Millisecond)
			return
		}
		if s[0].Value.Uint64() == 0 && s[1].Value.Uint64() >= uint64(n) {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// memStats are the server's memory figures in bytes; -1 is unavailable.
type memStats struct {
	rss, peak    int64 // resident set size, now and at its peak
	kept         int64 // resident set size before the freed pages went back to the system
	heap, stacks int64 // live heap objects, goroutine stacks
	goroutines   int64
}

// measureMem collects the garbage (twice, so that sync.Pools drop what
// they hold), returns the freed pages to the system and measures.
func measureMem() memStats {
	runtime.GC()
	runtime.GC()
	kept, _ := readRSS()
	debug.FreeOSMemory()
	s := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/stacks:bytes"},
		{Name: "/memory/classes/os-stacks:bytes"},
		{Name: "/sched/goroutines:goroutines"},
	}
	metrics.Read(s)
	val := func(i int) int64 {
		if s[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return int64(s[i].Value.Uint64())
	}
	m := memStats{heap: val(0), stacks: val(1) + val(2), goroutines: val(3)}
	m.rss, m.peak = readRSS()
	m.kept = kept
	return m
}

func (m memStats) String() string {
	return fmt.Sprintf("rss=%d kept=%d peak=%d heap=%d stacks=%d goroutines=%d", m.rss, m.kept, m.peak, m.heap, m.stacks, m.goroutines)
}

func parseMem(s string) (memStats, error) {
	var m memStats
	_, err := fmt.Sscanf(s, "rss=%d kept=%d peak=%d heap=%d stacks=%d goroutines=%d", &m.rss, &m.kept, &m.peak, &m.heap, &m.stacks, &m.goroutines)
	if err != nil {
		return m, fmt.Errorf("server said %q: %w", s, err)
	}
	return m, nil
}

// rssAvailable reports whether readRSS can tell the RSS.
func rssAvailable() bool {
	rss, _ := readRSS()
	return rss >= 0
}

// readRSS returns the process's resident set size and its peak, from
// /proc/self/status (Linux), or -1 where that is not available.
func readRSS() (rss, peak int64) {
	rss, peak = -1, -1
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return rss, peak
	}
	for _, line := range strings.Split(string(b), "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(val)
		if len(f) != 2 || f[1] != "kB" {
			continue
		}
		v, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			continue
		}
		switch key {
		case "VmRSS":
			rss = v << 10
		case "VmHWM":
			peak = v << 10
		}
	}
	return rss, peak
}
