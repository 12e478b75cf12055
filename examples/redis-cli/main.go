// Command redis-cli sends commands to a Redis server and prints the replies
// as Redis's own redis-cli does:
//
//	$ go run ./examples/redis-cli -addr 127.0.0.1:6379 SET greeting hello
//	OK
//	$ go run ./examples/redis-cli -addr 127.0.0.1:6379 -3 HGETALL h
//	1# "field" => "value"
//
// With -pipe it reads commands from standard input, one a line, arguments
// separated by spaces, sends them all in one pipeline and then prints the
// replies:
//
//	$ printf 'INCR n\nINCR n\nGET n\n' | go run ./examples/redis-cli -pipe
//	(integer) 1
//	(integer) 2
//	"2"
//
// It is examples/internal/redis on the command line; -3 speaks RESP3
// (HELLO 3) instead of RESP2.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/streamkit/streamkit/examples/internal/redis"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("redis-cli", flag.ContinueOnError)
	fs.SetOutput(stderr)
	network := fs.String("network", "tcp", `"tcp" or "unix"`)
	addr := fs.String("addr", "127.0.0.1:6379", "the server: host:port, or a socket path for unix")
	resp3 := fs.Bool("3", false, "speak RESP3 (HELLO 3)")
	pipe := fs.Bool("pipe", false, "read commands from standard input, one a line, and pipeline them")
	timeout := fs.Duration("timeout", 10*time.Second, "how long connecting and each command may take")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *pipe == (fs.NArg() > 0) {
		fmt.Fprintln(stderr, "usage: redis-cli [flags] COMMAND [ARG...], or redis-cli [flags] -pipe < commands")
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "redis-cli: %v\n", err)
		return 1
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	c, err := redis.Dial(ctx, *network, *addr)
	if err != nil {
		return fail(err)
	}
	defer c.Close()
	if *resp3 {
		if _, err := c.Hello(ctx, 3); err != nil {
			return fail(err)
		}
	}

	out := bufio.NewWriter(stdout)
	defer out.Flush()
	if !*pipe {
		v, err := c.Do(ctx, fs.Args()...)
		if err != nil && v.Err() == nil { // an error reply is printed as a reply
			return fail(err)
		}
		fmt.Fprint(out, Format(v))
		return 0
	}

	// Send every command, then read every reply: one pipeline.
	n := 0
	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		if cmd := strings.Fields(sc.Text()); len(cmd) > 0 {
			if err := c.Send(cmd...); err != nil {
				return fail(err)
			}
			n++
		}
	}
	if err := sc.Err(); err != nil {
		return fail(err)
	}
	if err := c.Flush(); err != nil {
		return fail(err)
	}
	for range n {
		v, err := c.ReadReplySlice()
		if err != nil {
			return fail(err)
		}
		fmt.Fprint(out, Format(v))
	}
	return 0
}
