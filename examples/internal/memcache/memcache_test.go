// The tests against a real memcached: .ci/servers starts one and names it
// in STREAMKIT_MEMCACHED_ADDR; without it they skip.
package memcache_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/streamkit/streamkit/examples/internal/memcache"
	"github.com/streamkit/streamkit/examples/internal/realserver"
	"github.com/streamkit/streamkit/internal/testenv"
	"github.com/streamkit/streamkit/netx"
)

// dial connects to the real server with a Reader of the given limit (0:
// the default), and closes the connection at the end of the test.
func dial(t testing.TB, limit int) *memcache.Client {
	t.Helper()
	addr := realserver.Addr(t, realserver.Memcached)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, w, err := (&netx.Dialer{Limit: limit}).Dial(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c := memcache.New(r, w)
	t.Cleanup(func() { c.Close() })
	return c
}

// prefix returns a key prefix of the test's own, so that tests running at
// once against one server never share a key. Items expire after a minute.
func prefix(t testing.TB) string {
	return fmt.Sprintf("streamkit:%d:%d:%s:", os.Getpid(), rand.Uint32(), strings.ReplaceAll(t.Name(), "/", ":"))
}

const exptime = 60

func set(t testing.TB, c *memcache.Client, it memcache.Item) {
	t.Helper()
	if err := c.Set(context.Background(), it, exptime); err != nil {
		t.Fatalf("set %q: %v", it.Key, err)
	}
}

func TestSetGet(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	c := dial(t, 0)
	p := prefix(t)
	ctx := context.Background()
	items := []memcache.Item{
		{Key: p + "a", Value: []byte("hello"), Flags: 42},
		{Key: p + "empty", Value: []byte{}},
		// A value that looks like the reply around it: only the count
		// says where it ends.
		{Key: p + "tricky", Value: []byte("x\r\nEND\r\nVALUE y 0 3\r\nabc\r\n"), Flags: 1<<32 - 1},
	}
	for _, it := range items {
		set(t, c, it)
	}
	got, err := c.Get(ctx, p+"a", p+"missing", p+"empty", p+"tricky", p+"a")
	if err != nil {
		t.Fatal(err)
	}
	want := []memcache.Item{items[0], items[1], items[2], items[0]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("get (-want +got):\n%s", diff)
	}
	if got, err := c.Get(ctx, p+"missing"); err != nil || len(got) != 0 {
		t.Errorf("get of a missing key: %v, %v; want no items", got, err)
	}

	set(t, c, memcache.Item{Key: p + "a", Value: []byte("replaced")})
	if got, err := c.Get(ctx, p+"a"); err != nil || len(got) != 1 || string(got[0].Value) != "replaced" {
		t.Errorf("get after a second set: %+v, %v", got, err)
	}
	if err := c.Delete(ctx, p+"a"); err != nil {
		t.Errorf("delete: %v", err)
	}
	if err := c.Delete(ctx, p+"a"); !errors.Is(err, memcache.ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
}

// TestMultiGet asks for 200 keys at once, half of them missing.
func TestMultiGet(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	c := dial(t, 0)
	p := prefix(t)
	var keys []string
	var want []memcache.Item
	for i := range 200 {
		k := p + strconv.Itoa(i)
		keys = append(keys, k)
		if i%2 == 0 {
			it := memcache.Item{Key: k, Value: []byte(strings.Repeat(strconv.Itoa(i), i)), Flags: uint32(i)}
			set(t, c, it)
			want = append(want, it)
		}
	}
	got, err := c.Get(context.Background(), keys...)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("get of 200 keys (-want +got):\n%s", diff)
	}
}

// TestLargeValue stores and reads values far larger than the Reader's limit,
// and one larger than memcached takes, after which the connection goes on.
func TestLargeValue(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	const limit = 1 << 10
	c := dial(t, limit)
	p := prefix(t)
	ctx := context.Background()
	big := make([]byte, 900<<10)
	for i := range big {
		big[i] = byte(i*7 + i>>12)
	}
	set(t, c, memcache.Item{Key: p + "big", Value: big})
	set(t, c, memcache.Item{Key: p + "small", Value: []byte("s")})
	got, err := c.Get(ctx, p+"big", p+"small", p+"big")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || !bytes.Equal(got[0].Value, big) || string(got[1].Value) != "s" || !bytes.Equal(got[2].Value, big) {
		t.Errorf("get: %d items, want the large value, the small one, the large one", len(got))
	}

	// memcached's default item size is 1 MiB: it reads and drops the value.
	err = c.Set(ctx, memcache.Item{Key: p + "huge", Value: make([]byte, 2<<20)}, exptime)
	var se *memcache.ServerError
	if !errors.As(err, &se) || se.Kind != "SERVER_ERROR" {
		t.Errorf("set of 2 MiB: %v, want a SERVER_ERROR", err)
	}
	if got, err := c.Get(ctx, p+"small"); err != nil || len(got) != 1 {
		t.Errorf("get after the SERVER_ERROR: %+v, %v", got, err)
	}
}

func TestIncr(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	c := dial(t, 0)
	p := prefix(t)
	ctx := context.Background()
	set(t, c, memcache.Item{Key: p + "n", Value: []byte("18446744073709551614")})
	for _, want := range []uint64{1<<64 - 1, 0, 41} {
		delta := uint64(1)
		if want == 41 {
			delta = 41
		}
		if n, err := c.Incr(ctx, p+"n", delta); err != nil || n != want {
			t.Errorf("incr by %d: %d, %v; want %d", delta, n, err, want)
		}
	}
	if _, err := c.Incr(ctx, p+"missing", 1); !errors.Is(err, memcache.ErrNotFound) {
		t.Errorf("incr of a missing key: %v, want ErrNotFound", err)
	}
	set(t, c, memcache.Item{Key: p + "text", Value: []byte("not a number")})
	_, err := c.Incr(ctx, p+"text", 1)
	var se *memcache.ServerError
	if !errors.As(err, &se) || se.Kind != "CLIENT_ERROR" {
		t.Errorf("incr of text: %v, want a CLIENT_ERROR", err)
	}
	if n, err := c.Incr(ctx, p+"n", 1); err != nil || n != 42 {
		t.Errorf("incr after the CLIENT_ERROR: %d, %v", n, err)
	}
}

// TestBadKeys: keys that the text protocol cannot carry are refused before
// anything is sent.
func TestBadKeys(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	c := dial(t, 0)
	ctx := context.Background()
	for _, k := range []string{"", "a b", "a\r\nget b", "\x00", strings.Repeat("k", memcache.MaxKey+1)} {
		if _, err := c.Get(ctx, "ok", k); !errors.Is(err, memcache.ErrBadKey) {
			t.Errorf("get %q: %v, want ErrBadKey", k, err)
		}
		if err := c.Set(ctx, memcache.Item{Key: k}, 0); !errors.Is(err, memcache.ErrBadKey) {
			t.Errorf("set %q: %v, want ErrBadKey", k, err)
		}
	}
	if _, err := c.Get(ctx, strings.Repeat("k", memcache.MaxKey)); err != nil {
		t.Errorf("get of a %d-byte key: %v", memcache.MaxKey, err)
	}
}

// TestGetSliceAllocs: a multi-get through GetSlice reads its values in
// place: no allocation per item.
func TestGetSliceAllocs(t *testing.T) {
	if realserver.Race {
		t.Skip("allocations are not counted under the race detector")
	}
	testenv.Watchdog(t, time.Minute)
	c := dial(t, 0)
	p := prefix(t)
	keys := make([]string, 100)
	for i := range keys {
		keys[i] = p + strconv.Itoa(i)
		set(t, c, memcache.Item{Key: keys[i], Value: []byte("a value of some thirty-two bytes")})
	}
	ctx := context.Background()
	allocs := testing.AllocsPerRun(10, func() {
		n := 0
		for _, err := range c.GetSlice(ctx, keys...) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != len(keys) {
			t.Fatalf("%d items, want %d", n, len(keys))
		}
	})
	if allocs > 5 {
		t.Errorf("a get of %d keys through GetSlice: %.0f allocations, want at most 5 (none per item)", len(keys), allocs)
	}
}

// TestContext: a call whose context has ended fails with its error before
// it sends anything, and the Client goes on. (A context that ends during the
// wait for a reply is tested on Redis, which can hold a reply back.)
func TestContext(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	c := dial(t, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Get(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Fatalf("get with a cancelled context: %v, want context.Canceled", err)
	}
	if err := c.Set(ctx, memcache.Item{Key: "k"}, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("set with a cancelled context: %v, want context.Canceled", err)
	}
	if _, err := c.Get(context.Background(), "k"); err != nil {
		t.Errorf("get after: %v", err)
	}
}
