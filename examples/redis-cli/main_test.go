package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/streamkit/streamkit/examples/internal/realserver"
	"github.com/streamkit/streamkit/internal/testenv"
)

// cli runs the command with args against the real server and returns what
// it printed.
func cli(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	args = append([]string{"-addr", realserver.Addr(t, realserver.Redis)}, args...)
	if code := run(args, strings.NewReader(stdin), &stdout, &stderr); code != 0 {
		t.Fatalf("redis-cli %q: exit %d, stderr %q", args, code, stderr.String())
	}
	return stdout.String()
}

func TestCommands(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	k := fmt.Sprintf("streamkit:%s:%d:%d:", t.Name(), os.Getpid(), rand.Uint64())
	defer cli(t, "", "DEL", k+"s", k+"l", k+"h", k+"n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"SET", k + "s", "tab\there"}, "OK\n"},
		{[]string{"GET", k + "s"}, `"tab\there"` + "\n"},
		{[]string{"GET", k + "missing"}, "(nil)\n"},
		{[]string{"RPUSH", k + "l", "a", "b"}, "(integer) 2\n"},
		{[]string{"LRANGE", k + "l", "0", "-1"}, "1) \"a\"\n2) \"b\"\n"},
		{[]string{"LRANGE", k + "missing", "0", "-1"}, "(empty array)\n"},
		{[]string{"HSET", k + "h", "f", "v"}, "(integer) 1\n"},
		{[]string{"HGETALL", k + "h"}, "1) \"f\"\n2) \"v\"\n"},
		{[]string{"-3", "HGETALL", k + "h"}, "1# \"f\" => \"v\"\n"},
		{[]string{"-3", "DEBUG", "PROTOCOL", "attrib"}, "\"Some real reply following the attribute\"\n"},
		{[]string{"NOSUCHCOMMAND"}, "(error) ERR unknown command 'NOSUCHCOMMAND', with args beginning with: \n"},
	} {
		if diff := cmp.Diff(tc.want, cli(t, "", tc.args...)); diff != "" {
			t.Errorf("redis-cli %q (-want +got):\n%s", tc.args, diff)
		}
	}
	got := cli(t, fmt.Sprintf("INCR %[1]sn\n\nINCR %[1]sn\nGET %[1]sn\n", k), "-pipe")
	if want := "(integer) 1\n(integer) 2\n\"2\"\n"; got != want {
		t.Errorf("redis-cli -pipe: %q, want %q", got, want)
	}
}

// TestLikeRedisCLI compares the output with that of Redis's own redis-cli
// (from redis-tools), for replies that nest every RESP3 aggregate.
func TestLikeRedisCLI(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	addr := realserver.Addr(t, realserver.Redis)
	redisCLI, err := exec.LookPath("redis-cli")
	if err != nil {
		if realserver.Required() {
			t.Fatalf("needs redis-cli (package redis-tools): %v", err)
		}
		t.Skipf("needs redis-cli (package redis-tools): %v", err)
	}
	host, port, _ := net.SplitHostPort(addr)
	for _, cmd := range []string{
		"COMMAND INFO GET SET",
		"COMMAND DOCS SET",
		"DEBUG PROTOCOL map",
		"DEBUG PROTOCOL set",
		"DEBUG PROTOCOL push",
		"DEBUG PROTOCOL verbatim",
		"CONFIG GET maxmemory*",
		"ECHO \"é\x01\\",
	} {
		for _, resp := range []string{"-2", "-3"} {
			args := strings.Fields(cmd)
			want, err := exec.Command(redisCLI, append([]string{"--no-raw", resp, "-h", host, "-p", port}, args...)...).Output()
			if err != nil {
				t.Fatalf("redis-cli %s %s: %v", resp, cmd, err)
			}
			if resp == "-2" {
				resp = "-3=false"
			}
			if diff := cmp.Diff(string(want), cli(t, "", append([]string{resp}, args...)...)); diff != "" {
				t.Errorf("%s %s: (-redis-cli +ours):\n%s", resp, cmd, diff)
			}
		}
	}
}
