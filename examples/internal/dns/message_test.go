package dns_test

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/streamkit/streamkit/examples/internal/dns"
	"pgregory.net/rapid"
)

// header returns a response header with the given counts.
func header(id uint16, qd, an, ns, ar uint16) []byte {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = append(b, 0x81, 0x80) // QR, RD, RA
	for _, n := range []uint16{qd, an, ns, ar} {
		b = binary.BigEndian.AppendUint16(b, n)
	}
	return b
}

func name(labels ...string) []byte {
	var b []byte
	for _, l := range labels {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return append(b, 0)
}

// response is a well-formed answer to "multi.test. A" with two records
// whose names are compression pointers to the question's (offset 12).
func response() []byte {
	b := header(7, 1, 2, 0, 0)
	b = append(b, name("multi", "test")...)
	b = append(b, 0, 1, 0, 1)
	for _, ip := range []byte{54, 55} {
		b = append(b, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 127, 0, 0, ip)
	}
	return b
}

func TestParseCompressed(t *testing.T) {
	m, err := dns.Parse(response())
	if err != nil {
		t.Fatal(err)
	}
	want := &dns.Message{
		ID: 7, Response: true, RecursionDesired: true, RecursionAvailable: true,
		Questions: []dns.Question{{Name: "multi.test.", Type: dns.TypeA, Class: dns.ClassINET}},
		Answers: []dns.RR{
			{Name: "multi.test.", Type: dns.TypeA, Class: dns.ClassINET, TTL: 3600, Data: []byte{127, 0, 0, 54}},
			{Name: "multi.test.", Type: dns.TypeA, Class: dns.ClassINET, TTL: 3600, Data: []byte{127, 0, 0, 55}},
		},
	}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if a, ok := m.Answers[1].Addr(); !ok || a != netip.MustParseAddr("127.0.0.55") {
		t.Errorf("Addr: %v, %v", a, ok)
	}
}

// TestParseHostile: messages that break the format fail with a
// *FormatError wrapping the sentinel that says how.
func TestParseHostile(t *testing.T) {
	q := func(nameBytes ...byte) []byte { // one question whose name is nameBytes
		b := append(header(1, 1, 0, 0, 0), nameBytes...)
		return append(b, 0, 1, 0, 1)
	}
	long := header(1, 1, 0, 0, 0)
	prev := -1
	for range 5 { // five names of a 63-byte label, each pointing back at the one before: 321 bytes
		off := len(long)
		long = append(long, 63)
		long = append(long, strings.Repeat("a", 63)...)
		if prev < 0 {
			long = append(long, 0)
		} else {
			long = append(long, 0xc0|byte(prev>>8), byte(prev))
		}
		prev = off
	}
	long = append(header(1, 1, 0, 0, 0)[:0], long...)
	binary.BigEndian.PutUint16(long[4:], 5) // every name read is a question... the last one is over 255
	for _, tc := range []struct {
		name string
		msg  []byte
		want error
	}{
		{"empty", nil, dns.ErrShort},
		{"short header", header(1, 0, 0, 0, 0)[:11], dns.ErrShort},
		{"pointer to itself", q(0xc0, 12), dns.ErrPointerLoop},
		{"two pointers in a loop", q(0xc0, 14, 0xc0, 12), dns.ErrPointerLoop},
		{"label then a loop", q(1, 'a', 0xc0, 12), dns.ErrPointerLoop},
		{"pointer forward", q(0xc0, 15, 0, 0), dns.ErrPointerLoop},
		{"pointer out of range", q(0xc0, 200), dns.ErrPointerRange},
		{"pointer far out of range", q(0xff, 0xff), dns.ErrPointerRange},
		{"pointer cut short", append(header(1, 1, 0, 0, 0), 0xc0), dns.ErrShort},
		{"label past the end", append(header(1, 1, 0, 0, 0), 10, 'a', 'b'), dns.ErrShort},
		{"reserved label type", q(0x40, 'a', 0), dns.ErrBadName},
		{"name over 255 bytes", long, dns.ErrBadName},
		{"question cut short", append(header(1, 1, 0, 0, 0), 0, 0, 1), dns.ErrShort},
		{"answer count lies", header(1, 0, 65535, 0, 0), dns.ErrShort},
		{"RDLENGTH lies", append(append(header(1, 0, 1, 0, 0), 0, 0, 1, 0, 1, 0, 0, 0, 0, 0xff, 0xff), 1, 2, 3), dns.ErrShort},
	} {
		_, err := dns.Parse(tc.msg)
		var fe *dns.FormatError
		if !errors.As(err, &fe) || !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want a *FormatError wrapping %v", tc.name, err, tc.want)
		}
	}
}

// TestParseCountsCostNothing: counts of 65535 in every section, over a
// message of 12 bytes, allocate nothing of their size.
func TestParseCountsCostNothing(t *testing.T) {
	msg := header(1, 65535, 65535, 65535, 65535)
	allocs := testing.AllocsPerRun(100, func() { dns.Parse(msg) })
	if allocs > 3 {
		t.Errorf("%v allocations, want at most 3", allocs)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	dns.Parse(msg)
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 4096 {
		t.Errorf("%d bytes allocated", n)
	}
}

// TestParseNeverPanics: any bytes parse or fail with a *FormatError, and
// a well-formed response with one byte changed or cut still does.
func TestParseNeverPanics(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var msg []byte
		if rapid.Bool().Draw(t, "mutate") {
			msg = response()
			i := rapid.IntRange(0, len(msg)-1).Draw(t, "i")
			msg[i] = rapid.Byte().Draw(t, "b")
			msg = msg[:rapid.IntRange(0, len(msg)).Draw(t, "len")]
		} else {
			msg = rapid.SliceOfN(rapid.Byte(), 0, 300).Draw(t, "msg")
		}
		_, err := dns.Parse(msg)
		var fe *dns.FormatError
		if err != nil && !errors.As(err, &fe) {
			t.Fatalf("%v (%T), want a *FormatError", err, err)
		}
	})
}

// TestQueryRoundTrip: a query that AppendQuery builds parses back to its
// question.
func TestQueryRoundTrip(t *testing.T) {
	label := rapid.StringMatching(`[a-z0-9-]{1,63}`)
	rapid.Check(t, func(t *rapid.T) {
		labels := rapid.SliceOfN(label, 1, 3).Draw(t, "labels")
		n := strings.Join(labels, ".")
		id := rapid.Uint16().Draw(t, "id")
		q, err := dns.AppendQuery(nil, id, n, dns.TypeAAAA)
		if err != nil {
			t.Fatal(err)
		}
		m, err := dns.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		want := &dns.Message{ID: id, RecursionDesired: true, Questions: []dns.Question{{Name: n + ".", Type: dns.TypeAAAA, Class: dns.ClassINET}}}
		if diff := cmp.Diff(want, m); diff != "" {
			t.Fatalf("(-want +got):\n%s", diff)
		}
	})
}
