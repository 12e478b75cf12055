package pyrepr_test

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/google/go-cmp/cmp"

	"github.com/streamkit/streamkit/examples/internal/pyrepr"
	"github.com/streamkit/streamkit/internal/testenv"
)

// The expected values below were printed by CPython 3.6 and 3.13; the
// tests that follow ask CPython itself, when it is installed.
func TestStr(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", `''`},
		{"Hello World!", `'Hello World!'`},
		{"it's", `"it's"`},
		{`say "hi"`, `'say "hi"'`},
		{`it's "both"`, `'it\'s "both"'`},
		{`back\slash`, `'back\\slash'`},
		{"\t\n\r\v\f", `'\t\n\r\x0b\x0c'`},
		{"\x00\x1f\x7f", `'\x00\x1f\x7f'`},
		{"é ñ 中文", `'é ñ 中文'`},
		{"\u0085\u00a0\u00ad", `'\x85\xa0\xad'`},
		{"\u2028\u3000\ufeff", `'\u2028\u3000\ufeff'`},
		{"\U0001F600", "'\U0001F600'"},
		{"\U000E0001\U0010FFFF", `'\U000e0001\U0010ffff'`},
		{"\xff", `'\udcff'`},
		{"a\xed\xa0\x80b", `'a\udced\udca0\udc80b'`},
		{"\xf0\x90\x80A", `'\udcf0\udc90\udc80A'`},
	} {
		if got := pyrepr.Str(tc.in); got != tc.want {
			t.Errorf("Str(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestBytes(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", `b''`},
		{"abc", `b'abc'`},
		{"it's", `b"it's"`},
		{`it's "both"`, `b'it\'s "both"'`},
		{"\x00abs", `b'\x00abs'`},
		{"\t\n\r\\\x7f\x80\xff", `b'\t\n\r\\\x7f\x80\xff'`},
	} {
		if got := pyrepr.Bytes([]byte(tc.in)); got != tc.want {
			t.Errorf("Bytes(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// pythons returns the CPython versions installed to compare with: the
// seed's 3.6 and the reference 3.13.
func pythons(t *testing.T) []struct{ version, path string } {
	var found []struct{ version, path string }
	for _, v := range []string{"3.6.15", "3.13.0"} {
		if p, _ := testenv.FindPython(v); p != "" {
			found = append(found, struct{ version, path string }{v, p})
		}
	}
	if len(found) == 0 {
		t.Skip("neither CPython 3.6.15 nor 3.13.0 is installed with pyenv")
	}
	return found
}

// askPython runs testdata/pyrepr.py with the requests and returns its
// output lines.
func askPython(t *testing.T, python string, requests []string) []string {
	t.Helper()
	cmd := exec.Command(python, filepath.Join("testdata", "pyrepr.py"))
	cmd.Stdin = strings.NewReader(strings.Join(requests, "\n") + "\n")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s testdata/pyrepr.py: %v", python, err)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
}

// trickyStrings are strings whose repr is easy to get wrong, and random
// strings built from the pieces that are.
func trickyStrings() []string {
	pieces := []string{
		"a", "Z", " ", "'", `"`, `\`, "\t", "\n", "\r", "\x00", "\x1b", "\x7f",
		"\xc2\x80", "\u00a0", "\u00ad", "é", "\u0300", "\u2028", "\u200b", "\u3000",
		"\ufeff", "\uffff", "中", "\U0001F600", "\U000E0001", "\U0010FFFF",
		"\x80", "\xff", "\xc0\xaf", "\xe0A", "\xed\xa0\x80", "\xf0\x90\x80", "\xf4\x90\x80\x80",
	}
	strs := []string{"", "Hello World!", "it's", `it's "both"`}
	strs = append(strs, pieces...)
	rng := rand.New(rand.NewPCG(6, 1))
	for range 2000 {
		var b strings.Builder
		for range rng.IntN(8) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		strs = append(strs, b.String())
	}
	return strs
}

func TestStrAgainstPython(t *testing.T) {
	for _, py := range pythons(t) {
		version, python := py.version, py.path
		t.Run(version, func(t *testing.T) {
			testenv.Watchdog(t, time.Minute)
			strs := trickyStrings()
			var reqs []string
			for _, s := range strs {
				reqs = append(reqs, "s "+hex.EncodeToString([]byte(s)))
			}
			want := askPython(t, python, reqs)
			if len(want) != len(strs) {
				t.Fatalf("Python answered %d lines to %d requests", len(want), len(strs))
			}
			for i, s := range strs {
				if got := pyrepr.Str(s); got != want[i] {
					t.Errorf("Str(%q) = %s, Python says %s", s, got, want[i])
				}
			}
		})
	}
}

func TestBytesAgainstPython(t *testing.T) {
	for _, py := range pythons(t) {
		version, python := py.version, py.path
		t.Run(version, func(t *testing.T) {
			testenv.Watchdog(t, time.Minute)
			var in []string
			for c := range 256 {
				in = append(in, string([]byte{byte(c)}))
			}
			in = append(in, trickyStrings()...)
			var reqs []string
			for _, s := range in {
				reqs = append(reqs, "b "+hex.EncodeToString([]byte(s)))
			}
			want := askPython(t, python, reqs)
			if len(want) != len(in) {
				t.Fatalf("Python answered %d lines to %d requests", len(want), len(in))
			}
			for i, s := range in {
				if got := pyrepr.Bytes([]byte(s)); got != want[i] {
					t.Errorf("Bytes(%q) = %s, Python says %s", s, got, want[i])
				}
			}
		})
	}
}

// TestStrEveryCharacter compares the repr of each character of planes 0 to
// 3 and of the special planes with Python's. Where Python's Unicode
// version gives a character another category than Go's, the two may
// rightly differ, and the character is left out.
func TestStrEveryCharacter(t *testing.T) {
	for _, py := range pythons(t) {
		version, python := py.version, py.path
		t.Run(version, func(t *testing.T) {
			testenv.Watchdog(t, 2*time.Minute)
			lines := askPython(t, python, []string{"c 0 3ffff", "c e0000 e01ff", "c f0000 f00ff", "c 10ff00 10ffff"})
			compared, skipped := 0, 0
			for _, line := range lines {
				fields := strings.SplitN(line, " ", 3)
				if len(fields) != 3 {
					t.Fatalf("bad line from Python: %q", line)
				}
				cp, err := strconv.ParseUint(fields[0], 16, 32)
				if err != nil {
					t.Fatal(err)
				}
				r := rune(cp)
				got := pyrepr.Str(string(r))
				if got == fields[2] {
					compared++
					continue
				}
				if category(r) != fields[1] {
					skipped++
					continue
				}
				t.Errorf("Str(%U) = %s, Python %s says %s (category %s)", r, got, version, fields[2], fields[1])
			}
			if compared < 200000 {
				t.Errorf("only %d characters compared", compared)
			}
			t.Logf("%d characters compared, %d left out (their Unicode category differs)", compared, skipped)
		})
	}
}

// category is r's Unicode general category in Go's tables, "Cn" if none.
func category(r rune) string {
	for name, table := range unicode.Categories {
		if len(name) == 2 && unicode.Is(table, r) {
			return name
		}
	}
	return "Cn"
}

// TestAddrAgainstPython has Python connect to Go listeners and compares
// the repr() and str() of Python's getpeername() with Addr and AddrStr of
// the listener's address, and those of Python's getsockname() with the
// accepted connection's RemoteAddr.
func TestAddrAgainstPython(t *testing.T) {
	for _, py := range pythons(t) {
		version, python := py.version, py.path
		t.Run(version, func(t *testing.T) {
			testenv.Watchdog(t, time.Minute)
			dir, err := os.MkdirTemp("", "pyrepr")
			if err != nil {
				t.Fatal(err)
			}
			defer os.RemoveAll(dir)
			for _, tc := range []struct{ network, address string }{
				{"tcp4", "127.0.0.1:0"},
				{"tcp6", "[::1]:0"},
				{"unix", filepath.Join(dir, "s")},
				{"unix", fmt.Sprintf("@streamkit-pyrepr-%d", os.Getpid())},
			} {
				l, err := net.Listen(tc.network, tc.address)
				if err != nil {
					t.Logf("cannot listen on %s %s: %v", tc.network, tc.address, err)
					continue
				}
				accepted := make(chan net.Addr, 1)
				go func() {
					c, err := l.Accept()
					if err != nil {
						accepted <- nil
						return
					}
					accepted <- c.RemoteAddr()
					c.Close()
				}()
				var req string
				switch a := l.Addr().(type) {
				case *net.TCPAddr:
					req = fmt.Sprintf("tcp %s %d", a.IP, a.Port)
				case *net.UnixAddr:
					req = "unix " + a.Name
				}
				want := askPython(t, python, []string{req})
				remote := <-accepted
				l.Close()
				got := []string{pyrepr.Addr(l.Addr()), pyrepr.AddrStr(l.Addr()), pyrepr.Addr(remote), pyrepr.AddrStr(remote)}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s %s: repr and str of the server's, then the client's address (-want +got):\n%s", tc.network, tc.address, diff)
				}
			}
		})
	}
}
