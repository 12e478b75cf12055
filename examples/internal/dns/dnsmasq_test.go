// The tests against a real dnsmasq: .ci/servers starts one and names it in
// STREAMKIT_DNSMASQ_ADDR, answering example.test A 127.0.0.53, multi.test A
// 127.0.0.54 and 127.0.0.55, and NXDOMAIN for other names under .test.
// Without it they skip.
package dns_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/streamkit/streamkit/examples/internal/dns"
	"github.com/streamkit/streamkit/examples/internal/realserver"
	"github.com/streamkit/streamkit/internal/testenv"
)

func dial(t testing.TB) *dns.Client {
	t.Helper()
	addr := realserver.Addr(t, realserver.Dnsmasq)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := dns.Dial(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func addrs(ss ...string) []netip.Addr {
	var as []netip.Addr
	for _, s := range ss {
		as = append(as, netip.MustParseAddr(s))
	}
	return as
}

func TestLookupA(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	c := dial(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := c.LookupA(ctx, "example.test")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(addrs("127.0.0.53"), got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("example.test (-want +got):\n%s", diff)
	}
	got, err = c.LookupA(ctx, "multi.test.")
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, netip.Addr.Compare)
	if !slices.Equal(got, addrs("127.0.0.54", "127.0.0.55")) {
		t.Errorf("multi.test: %v, want 127.0.0.54 and 127.0.0.55", got)
	}
	_, err = c.LookupA(ctx, "nosuch.test")
	var re *dns.RcodeError
	if !errors.As(err, &re) || re.Rcode != dns.RcodeNameError {
		t.Errorf("nosuch.test: %v, want an *RcodeError with NXDOMAIN", err)
	}
	// The connection goes on after an NXDOMAIN.
	if got, err := c.LookupA(ctx, "EXAMPLE.test"); err != nil || !slices.Equal(got, addrs("127.0.0.53")) {
		t.Errorf("EXAMPLE.test after the NXDOMAIN: %v, %v", got, err)
	}
}

// TestPipelined sends 300 queries in one write on one connection and
// matches the responses by ID.
func TestPipelined(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	c := dial(t)
	var names []string
	var want []dns.Result
	for i := range 300 {
		switch i % 3 {
		case 0:
			names = append(names, "example.test")
			want = append(want, dns.Result{Name: "example.test", Addrs: addrs("127.0.0.53")})
		case 1:
			names = append(names, "multi.test")
			want = append(want, dns.Result{Name: "multi.test", Addrs: addrs("127.0.0.54", "127.0.0.55")})
		case 2:
			n := fmt.Sprintf("missing-%d.test", i)
			names = append(names, n)
			want = append(want, dns.Result{Name: n, Err: &dns.RcodeError{Name: n, Rcode: dns.RcodeNameError}})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := c.Lookup(ctx, dns.TypeA, names...)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		slices.SortFunc(got[i].Addrs, netip.Addr.Compare)
	}
	opts := cmp.Options{
		cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
		cmp.Comparer(func(a, b error) bool { return fmt.Sprint(a) == fmt.Sprint(b) }),
	}
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("300 pipelined queries (-want +got):\n%s", diff)
	}
}

// TestBadName: a name that a query cannot carry is refused before anything
// is sent, and the Client goes on.
func TestBadName(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	c := dial(t)
	ctx := context.Background()
	long := ""
	for range 5 {
		long += fmt.Sprintf("%063d.", 0)
	}
	for _, name := range []string{"a..test", fmt.Sprintf("%064d.test", 0), long} {
		if _, err := c.Lookup(ctx, dns.TypeA, "example.test", name); !errors.Is(err, dns.ErrBadName) {
			t.Errorf("%q: %v, want ErrBadName", name, err)
		}
	}
	if got, err := c.LookupA(ctx, "example.test"); err != nil || len(got) != 1 {
		t.Errorf("after the bad names: %v, %v", got, err)
	}
}

// TestRedial: dnsmasq closes a connection after 100 queries; a Client made
// by Dial sends the rest again on a new one (RFC 7766 section 6.2.1), both
// when the queries are pipelined and when they come one at a time.
func TestRedial(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	c := dial(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	names := make([]string, 350)
	for i := range names {
		names[i] = "example.test"
	}
	rs, err := c.Lookup(ctx, dns.TypeA, names...)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		if r.Err != nil || !slices.Equal(r.Addrs, addrs("127.0.0.53")) {
			t.Fatalf("query %d: %+v", i, r)
		}
	}
	for i := range 250 {
		if got, err := c.LookupA(ctx, "example.test"); err != nil || len(got) != 1 {
			t.Fatalf("query %d one at a time: %v, %v", i, got, err)
		}
	}
}
