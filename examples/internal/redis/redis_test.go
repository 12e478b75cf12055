// The tests against a real redis-server: .ci/servers starts one and names
// it in STREAMKIT_REDIS_ADDR (and STREAMKIT_REDIS_SOCKET); without it they
// skip.
package redis_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/streamkit/streamkit/examples/internal/realserver"
	"github.com/streamkit/streamkit/examples/internal/redis"
	"github.com/streamkit/streamkit/internal/testenv"
	"github.com/streamkit/streamkit/netx"
)

// dial connects to the real server with a Reader of the given limit (0:
// the default), and closes the connection at the end of the test.
func dial(t testing.TB, limit int) *redis.Client {
	t.Helper()
	addr := realserver.Addr(t, realserver.Redis)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, w, err := (&netx.Dialer{Limit: limit}).Dial(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.New(r, w)
	t.Cleanup(func() { c.Close() })
	return c
}

// prefix returns a key prefix of the test's own, so that tests running at
// once against one server (go test ./... runs packages in parallel) never
// share a key; the keys are deleted at the end of the test.
func prefix(t testing.TB, c *redis.Client) string {
	p := fmt.Sprintf("streamkit:%s:%d:%d:", t.Name(), os.Getpid(), rand.Uint64())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		keys, err := c.Do(ctx, "KEYS", p+"*")
		if err != nil {
			return // the test broke the connection; the server will evict nothing, but the keys are unique
		}
		for _, k := range keys.Elems {
			c.Do(ctx, "DEL", string(k.Str))
		}
	})
	return p
}

func do(t testing.TB, c *redis.Client, args ...string) redis.Value {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := c.Do(ctx, args...)
	if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	return v
}

func str(s string) redis.Value { return redis.Value{Kind: redis.BulkString, Str: []byte(s)} }

var null = redis.Value{Kind: redis.Null}

func TestRESP2(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	c := dial(t, 0)
	p := prefix(t, c)
	for _, tc := range []struct {
		args []string
		want redis.Value
	}{
		{[]string{"PING"}, redis.Value{Kind: redis.SimpleString, Str: []byte("PONG")}},
		{[]string{"ECHO", "héllo\r\nworld"}, str("héllo\r\nworld")},
		{[]string{"SET", p + "k", "v"}, redis.Value{Kind: redis.SimpleString, Str: []byte("OK")}},
		{[]string{"GET", p + "k"}, str("v")},
		{[]string{"GET", p + "missing"}, null}, // $-1
		{[]string{"SET", p + "empty", ""}, redis.Value{Kind: redis.SimpleString, Str: []byte("OK")}},
		{[]string{"GET", p + "empty"}, str("")},
		{[]string{"INCRBY", p + "n", "-42"}, redis.Value{Kind: redis.Integer, Int: -42}},
		{[]string{"RPUSH", p + "l", "a", "", "c"}, redis.Value{Kind: redis.Integer, Int: 3}},
		{[]string{"LRANGE", p + "l", "0", "-1"}, redis.Value{Kind: redis.Array, Elems: []redis.Value{str("a"), str(""), str("c")}}},
		{[]string{"LRANGE", p + "missing", "0", "-1"}, redis.Value{Kind: redis.Array, Elems: []redis.Value{}}},
		{[]string{"MGET", p + "k", p + "missing"}, redis.Value{Kind: redis.Array, Elems: []redis.Value{str("v"), null}}},
		{[]string{"HSET", p + "h", "f", "1"}, redis.Value{Kind: redis.Integer, Int: 1}},
		{[]string{"HGETALL", p + "h"}, redis.Value{Kind: redis.Array, Elems: []redis.Value{str("f"), str("1")}}}, // a map is a flat array in RESP2
	} {
		if diff := cmp.Diff(tc.want, do(t, c, tc.args...)); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tc.args, diff)
		}
	}

	// An error reply is a *ServerError, and the connection goes on.
	ctx := context.Background()
	v, err := c.Do(ctx, "NOSUCHCOMMAND", "x")
	var se *redis.ServerError
	if !errors.As(err, &se) || v.Kind != redis.Error || !bytes.HasPrefix(v.Str, []byte("ERR unknown command")) {
		t.Errorf("NOSUCHCOMMAND: %+v, %v; want an ERR reply as a *ServerError", v, err)
	}
	v, err = c.Do(ctx, "INCR", p+"k") // "v" is not an integer
	if !errors.As(err, &se) || v.Kind != redis.Error {
		t.Errorf("INCR of a string: %+v, %v; want an error reply", v, err)
	}
	if got := do(t, c, "PING"); string(got.Str) != "PONG" {
		t.Errorf("PING after error replies: %+v", got)
	}
}

// TestRESP3 switches to RESP3 with HELLO 3 and reads every type that the
// server's DEBUG PROTOCOL writes (.ci/servers enables DEBUG for local
// connections).
func TestRESP3(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	c := dial(t, 0)
	hello, err := c.Hello(context.Background(), 3)
	if err != nil {
		t.Fatal(err)
	}
	if hello.Kind != redis.Map {
		t.Fatalf("HELLO 3: %v, want a map", hello.Kind)
	}
	info := map[string]redis.Value{}
	for i := 0; i+1 < len(hello.Elems); i += 2 {
		info[string(hello.Elems[i].Str)] = hello.Elems[i+1]
	}
	if got := info["proto"]; got.Kind != redis.Integer || got.Int != 3 {
		t.Errorf("HELLO 3: proto %+v, want the integer 3", got)
	}
	if got := info["server"]; string(got.Str) != "redis" {
		t.Errorf("HELLO 3: server %q, want redis", got.Str)
	}
	t.Logf("redis-server %s", info["version"].Str)

	for _, tc := range []struct {
		typ  string
		want redis.Value
	}{
		{"string", str("Hello World")},
		{"integer", redis.Value{Kind: redis.Integer, Int: 12345}},
		{"double", redis.Value{Kind: redis.Double, Str: []byte("3.141")}},
		{"bignum", redis.Value{Kind: redis.BigNumber, Str: []byte("1234567999999999999999999999999999999")}},
		{"null", null},
		{"array", redis.Value{Kind: redis.Array, Elems: []redis.Value{
			{Kind: redis.Integer, Int: 0}, {Kind: redis.Integer, Int: 1}, {Kind: redis.Integer, Int: 2}}}},
		{"set", redis.Value{Kind: redis.Set, Elems: []redis.Value{
			{Kind: redis.Integer, Int: 0}, {Kind: redis.Integer, Int: 1}, {Kind: redis.Integer, Int: 2}}}},
		{"map", redis.Value{Kind: redis.Map, Elems: []redis.Value{
			{Kind: redis.Integer, Int: 0}, {Kind: redis.Boolean, Int: 0},
			{Kind: redis.Integer, Int: 1}, {Kind: redis.Boolean, Int: 1},
			{Kind: redis.Integer, Int: 2}, {Kind: redis.Boolean, Int: 0}}}},
		{"attrib", redis.Value{Kind: redis.BulkString, Str: []byte("Some real reply following the attribute"),
			Attrs: []redis.Value{str("key-popularity"), {Kind: redis.Array, Elems: []redis.Value{
				str("key:123"), {Kind: redis.Integer, Int: 90}}}}}},
		{"verbatim", redis.Value{Kind: redis.Verbatim, Str: []byte("txt:This is a verbatim\nstring")}},
		{"true", redis.Value{Kind: redis.Boolean, Int: 1}},
		{"false", redis.Value{Kind: redis.Boolean, Int: 0}},
	} {
		if diff := cmp.Diff(tc.want, do(t, c, "DEBUG", "PROTOCOL", tc.typ)); diff != "" {
			t.Errorf("DEBUG PROTOCOL %s (-want +got):\n%s", tc.typ, diff)
		}
	}

	// A push comes before the command's own reply.
	if err := c.Send("DEBUG", "PROTOCOL", "push"); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	push, err := c.ReadReply()
	want := redis.Value{Kind: redis.Push, Elems: []redis.Value{str("server-cpu-usage"), {Kind: redis.Integer, Int: 42}}}
	if diff := cmp.Diff(want, push); err != nil || diff != "" {
		t.Errorf("DEBUG PROTOCOL push: %v (-want +got):\n%s", err, diff)
	}
	reply, err := c.ReadReply()
	if err != nil || string(reply.Str) != "Some real reply following the push reply" {
		t.Errorf("the reply after the push: %+v, %v", reply, err)
	}

	// Do hands the push to Push and returns the reply.
	var pushed []redis.Value
	c.Push = func(v redis.Value) { pushed = append(pushed, v) }
	reply = do(t, c, "DEBUG", "PROTOCOL", "push")
	if diff := cmp.Diff([]redis.Value{want}, pushed); diff != "" || string(reply.Str) != "Some real reply following the push reply" {
		t.Errorf("Do(DEBUG PROTOCOL push): reply %q, pushes (-want +got):\n%s", reply.Str, diff)
	}

	if v := do(t, c, "DEBUG", "PROTOCOL", "double"); true {
		if f, err := v.Float(); err != nil || f != 3.141 {
			t.Errorf("Float: %v, %v", f, err)
		}
	}
	if format, text := do(t, c, "DEBUG", "PROTOCOL", "verbatim").Verbatim(); string(format) != "txt" || string(text) != "This is a verbatim\nstring" {
		t.Errorf("Verbatim: %q, %q", format, text)
	}
}

// TestBulkOverLimit reads values far larger than the Reader's limit:
// alone, inside an array, and through both reads.
func TestBulkOverLimit(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	const limit = 1 << 10
	c := dial(t, limit)
	p := prefix(t, c)
	big := make([]byte, 3<<20+7)
	for i := range big {
		big[i] = byte(i*7 + i>>12) // no "\r\n" to find by chance, and no period the reads line up with
	}
	if err := c.SendBytes([]byte("SET"), []byte(p+"big"), big); err != nil {
		t.Fatal(err)
	}
	c.Send("GET", p+"big")
	c.Send("MGET", p+"big", p+"missing", p+"big")
	c.Send("STRLEN", p+"big")
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if v, err := c.ReadReply(); err != nil || string(v.Str) != "OK" {
		t.Fatalf("SET: %+v, %v", v, err)
	}
	v, err := c.ReadReplySlice()
	if err != nil || !bytes.Equal(v.Str, big) {
		t.Errorf("GET: %d bytes, %v; want the %d bytes set", len(v.Str), err, len(big))
	}
	v, err = c.ReadReplySlice()
	if err != nil || len(v.Elems) != 3 || !bytes.Equal(v.Elems[0].Str, big) || v.Elems[1].Kind != redis.Null || !bytes.Equal(v.Elems[2].Str, big) {
		t.Errorf("MGET: %v, %v elements; want the value, null, the value", err, len(v.Elems))
	}
	if v, err := c.ReadReply(); err != nil || v.Int != int64(len(big)) {
		t.Errorf("STRLEN: %+v, %v", v, err)
	}
	if got := do(t, c, "PING"); string(got.Str) != "PONG" {
		t.Errorf("PING after the large values: %+v", got)
	}
}

// TestPipeline sends 10,000 commands and then reads their replies, in
// order.
func TestPipeline(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	c := dial(t, 0)
	p := prefix(t, c)
	const n = 10000
	for i := range n {
		if err := c.Send("INCR", p+"n"); err != nil {
			t.Fatal(err)
		}
		if i%100 == 0 {
			c.Send("SET", p+strconv.Itoa(i), strconv.Itoa(i))
			c.Send("GET", p+strconv.Itoa(i))
		}
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		v, err := c.ReadReplySlice()
		if err != nil || v.Kind != redis.Integer || v.Int != int64(i+1) {
			t.Fatalf("reply %d: %+v, %v; want %d", i, v, err, i+1)
		}
		if i%100 == 0 {
			if v, err := c.ReadReplySlice(); err != nil || string(v.Str) != "OK" {
				t.Fatalf("SET %d: %+v, %v", i, v, err)
			}
			if v, err := c.ReadReplySlice(); err != nil || string(v.Str) != strconv.Itoa(i) {
				t.Fatalf("GET %d: %q, %v", i, v.Str, err)
			}
		}
	}
}

// TestPipelineAllocs: pipelining costs at most one allocation per command
// (the reads of scalar replies none).
func TestPipelineAllocs(t *testing.T) {
	if realserver.Race {
		t.Skip("allocations are not counted under the race detector")
	}
	testenv.Watchdog(t, time.Minute)
	c := dial(t, 0)
	p := prefix(t, c)
	keys := make([]string, 10000)
	for i := range keys {
		keys[i] = p + strconv.Itoa(i%100)
	}
	do(t, c, "SET", keys[0], "a value of some thirty-two bytes")
	allocs := testing.AllocsPerRun(5, func() {
		if err := pipelineGET(c, keys); err != nil {
			t.Fatal(err)
		}
	})
	if perCommand := allocs / float64(len(keys)); perCommand > 1 {
		t.Errorf("%.0f allocations for a pipeline of %d commands: %.2f per command, want at most 1", allocs, len(keys), perCommand)
	} else {
		t.Logf("%.0f allocations for a pipeline of %d commands", allocs, len(keys))
	}
}

// pipelineGET sends GET for each key, then reads every reply.
func pipelineGET(c *redis.Client, keys []string) error {
	for _, k := range keys {
		if err := c.Send("GET", k); err != nil {
			return err
		}
	}
	if err := c.Flush(); err != nil {
		return err
	}
	for range keys {
		if _, err := c.ReadReplySlice(); err != nil {
			return err
		}
	}
	return nil
}

func TestUnixSocket(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	path := realserver.Addr(t, realserver.RedisSocket)
	c, err := redis.Dial(context.Background(), "unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := do(t, c, "PING"); string(got.Str) != "PONG" {
		t.Errorf("PING over %s: %+v", path, got)
	}
}

// TestDoContext: a Do whose context ends while the server holds the reply
// back (BLPOP on an empty list) returns the context's error and breaks the
// Client.
func TestDoContext(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	c := dial(t, 0)
	key := fmt.Sprintf("streamkit:%s:%d:%d:empty", t.Name(), os.Getpid(), rand.Uint64())
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.Do(ctx, "BLPOP", key, "0")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("BLPOP with a 100 ms context: %v, want context.DeadlineExceeded", err)
	}
	if _, err := c.Do(context.Background(), "PING"); !redis.IsBroken(err) {
		t.Errorf("PING after the interrupted BLPOP: %v, want an error wrapping ErrBroken", err)
	}
}

// TestIntegers reads the extremes of RESP's 64-bit integers.
func TestIntegers(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	c := dial(t, 0)
	p := prefix(t, c)
	for _, n := range []int64{math.MaxInt64, math.MinInt64, 0, -1} {
		do(t, c, "SET", p+"n", strconv.FormatInt(n, 10))
		if got := do(t, c, "INCRBY", p+"n", "0"); got.Kind != redis.Integer || got.Int != n {
			t.Errorf("INCRBY %d 0: %+v", n, got)
		}
	}
}
