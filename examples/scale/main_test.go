package main

import (
	"bytes"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestMain lets the test binary be the server's child process too, as the
// command is: measureServer starts os.Executable with serverEnv set.
func TestMain(m *testing.M) {
	if role := os.Getenv(serverEnv); role != "" {
		os.Exit(serverMain(role, os.Stdin, os.Stdout))
	}
	os.Exit(m.Run())
}

var resultLine = regexp.MustCompile(`^(netx|bufio) +n=(\d+) +accept=\S+ \(\d+/s\) rss/conn=(\S+) heap/conn=([\d.]+)KB .* echo-after-idle=(\d+)/(\d+) in `)

// TestScale runs the command on a few hundred connections and checks what
// it reports: every connection served before and after it went idle, a
// netx connection's heap a few KB where the bufio.Reader baseline's holds
// its 64 KiB buffer, and the growth lines.
func TestScale(t *testing.T) {
	n := 200
	if testing.Short() {
		n = 50
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-done:
		case <-time.After(3 * time.Minute):
			panic("TestScale: no result after 3 minutes")
		}
	}()
	var stdout, stderr bytes.Buffer
	args := []string{"-n", strconv.Itoa(n/2) + "," + strconv.Itoa(n), "-parallel", "20"}
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("scale %v: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, &stdout, &stderr)
	}
	out := stdout.String()
	t.Logf("scale %v:\n%s", args, out)

	seen := map[string]int{}
	for _, line := range strings.Split(out, "\n") {
		m := resultLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		server := m[1]
		count, _ := strconv.Atoi(m[2])
		heap, _ := strconv.ParseFloat(m[4], 64)
		echoed, _ := strconv.Atoi(m[5])
		seen[server]++
		if m[6] != m[2] || echoed != count {
			t.Errorf("%s with %d connections: %d echoed after idle, want all", server, count, echoed)
		}
		if m[3] == "unavailable" && rssAvailable() {
			t.Errorf("%s: rss unavailable although /proc/self/status is readable", server)
		}
		switch server {
		case "netx":
			if heap > 16 {
				t.Errorf("netx with %d connections: %.1f KB of heap per idle connection, want under 16 KB (no read buffer)", count, heap)
			}
		case "bufio":
			if heap < 60 {
				t.Errorf("bufio with %d connections: %.1f KB of heap per idle connection, want its 64 KiB buffer", count, heap)
			}
		}
	}
	if diff := cmp.Diff(map[string]int{"netx": 2, "bufio": 2}, seen); diff != "" {
		t.Errorf("result lines per server (-want +got):\n%s", diff)
	}
	for _, want := range []string{"open files: ", "growth from ", "netx  ", "bufio "} {
		if !strings.Contains(out, want) {
			t.Errorf("output has no %q", want)
		}
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-n", "0"},
		{"-n", "ten"},
		{"-servers", "nginx"},
		{"-line", "1"},
		{"-line", "-1"},
		{"-bufio", "8"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 2 {
			t.Errorf("run(%q) = %d, want 2", args, code)
		}
		if stderr.Len() == 0 {
			t.Errorf("run(%q) said nothing on stderr", args)
		}
	}
}

func TestFitLine(t *testing.T) {
	slope, intercept, r2 := fitLine([]float64{1000, 2000, 4000}, []float64{3000 + 7000, 3000 + 14000, 3000 + 28000})
	if math.Abs(slope-7) > 1e-9 || math.Abs(intercept-3000) > 1e-6 || math.Abs(r2-1) > 1e-12 {
		t.Errorf("fitLine = %v, %v, %v; want 7, 3000, 1", slope, intercept, r2)
	}
}

func TestCapCounts(t *testing.T) {
	for _, tc := range []struct {
		counts []int
		fit    int
		want   []int
	}{
		{[]int{1000, 10000}, 20000, []int{1000, 10000}},
		{[]int{1000, 10000}, 4000, []int{1000, 4000}},
		{[]int{1000, 10000}, 500, []int{500}},
		{[]int{1000}, 0, nil},
	} {
		if got := capCounts(tc.counts, tc.fit); !cmp.Equal(got, tc.want) {
			t.Errorf("capCounts(%v, %d) = %v, want %v", tc.counts, tc.fit, got, tc.want)
		}
	}
}
