package netx_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/internal/testenv"
	"github.com/streamkit/streamkit/netx"
)

// TestAsyncioClients: 50 asyncio clients (open_connection, write, drain,
// readline) against a netx echo server.
func TestAsyncioClients(t *testing.T) {
	python := testenv.Python(t, "3.13.0")
	testenv.Watchdog(t, 120*time.Second)
	const clients, lines = 50, 500
	var served, servedBytes atomic.Int64
	s := &netx.Server{Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		for {
			line, err := r.ReadLineSlice()
			if err != nil {
				return
			}
			if _, err := w.Write(line); err != nil {
				return
			}
			served.Add(1)
			servedBytes.Add(int64(len(line)))
		}
	}}
	addr := serve(t, s, "tcp")
	host, port, _ := strings.Cut(addr, ":")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, filepath.Join("testdata", "asyncio_clients.py"), host, port, fmt.Sprint(clients), fmt.Sprint(lines))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("asyncio clients failed: %v\n%s", err, out)
	}
	var gotClients, gotLines int
	var gotBytes int64
	if _, err := fmt.Sscanf(string(out), "ok %d %d %d", &gotClients, &gotLines, &gotBytes); err != nil {
		t.Fatalf("unexpected output from the asyncio clients: %q", out)
	}
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if gotClients != clients || gotLines != lines {
		t.Errorf("asyncio clients report %d clients × %d lines, want %d × %d", gotClients, gotLines, clients, lines)
	}
	if served.Load() != clients*lines || servedBytes.Load() != gotBytes {
		t.Errorf("server echoed %d lines, %d bytes; clients got %d lines, %d bytes", served.Load(), servedBytes.Load(), clients*lines, gotBytes)
	}
}

// TestAsyncioServer: netx clients against an asyncio start_server.
func TestAsyncioServer(t *testing.T) {
	python := testenv.Python(t, "3.13.0")
	testenv.Watchdog(t, 120*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, filepath.Join("testdata", "asyncio_server.py"))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	out := bufio.NewReader(stdout)
	port, err := out.ReadString('\n')
	if err != nil {
		t.Fatalf("no port from the asyncio server: %v", err)
	}
	addr := "127.0.0.1:" + strings.TrimSpace(port)

	const clients, lines = 10, 1000
	var sentBytes atomic.Int64
	var wg sync.WaitGroup
	for id := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, w, err := netx.Dial(ctx, "tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer w.Close()
			go func() {
				for i := range lines {
					w.Write([]byte(testLine(id, i)))
					sentBytes.Add(int64(len(testLine(id, i))))
				}
				w.WriteEOF()
			}()
			for i := range lines {
				line, err := r.ReadLine()
				if err != nil || string(line) != testLine(id, i) {
					t.Errorf("client %d: echo %d = %q, %v", id, i, line, err)
					return
				}
			}
			bye, err := r.ReadLine()
			if want := fmt.Sprintf("bye %d\n", lines); err != nil || string(bye) != want {
				t.Errorf("client %d: %q, %v; want %q", id, bye, err, want)
			}
			if _, err := r.ReadLine(); err != io.EOF {
				t.Errorf("client %d: after bye: %v, want io.EOF", id, err)
			}
		}()
	}
	wg.Wait()
	stdin.Close()
	summary, err := out.ReadString('\n')
	if err != nil {
		t.Fatalf("no summary from the asyncio server: %v", err)
	}
	var served, servedBytes int64
	if _, err := fmt.Sscanf(summary, "served %d %d", &served, &servedBytes); err != nil {
		t.Fatalf("unexpected summary %q", summary)
	}
	if served != clients*lines || servedBytes != sentBytes.Load() {
		t.Errorf("asyncio server echoed %d lines, %d bytes; want %d lines, %d bytes", served, servedBytes, clients*lines, sentBytes.Load())
	}
}
