package netx_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/netx"
)

// testAddr returns a fresh listen address for network.
func testAddr(t testing.TB, network string) string {
	t.Helper()
	switch network {
	case "unix":
		return filepath.Join(shortTempDir(t), "sock")
	case "tcp6":
		return "[::1]:0"
	default:
		return "127.0.0.1:0"
	}
}

// shortTempDir is a temporary directory with a short path: socket paths are
// limited to about 100 bytes, and t.TempDir's can be longer.
func shortTempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "netx")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// serve starts s on network and closes it when the test ends.
func serve(t testing.TB, s *netx.Server, network string) string {
	t.Helper()
	if err := s.Listen(context.Background(), network, testAddr(t, network)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.Addr().String()
}

// echoHandler echoes lines until the end of the stream, then returns.
func echoHandler(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
	for {
		line, err := r.ReadLineSlice()
		if err != nil {
			return
		}
		if _, err := w.Write(line); err != nil {
			return
		}
	}
}

// dial dials addr and closes the pair when the test ends.
func dial(t testing.TB, network, addr string) (*bufio2.Reader, *netx.Writer) {
	t.Helper()
	r, w, err := netx.Dial(context.Background(), network, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Abort() })
	return r, w
}

// connPair returns the two ends of a connection on network ("tcp" or
// "unix"), closed when the test ends.
func connPair(t testing.TB, network string) (client, server net.Conn) {
	t.Helper()
	l, err := net.Listen(network, testAddr(t, network))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ch := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			ch <- nil
			return
		}
		ch <- c
	}()
	client, err = net.Dial(network, l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-ch
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// settleGoroutines waits until at most want goroutines run, and fails the
// test if they do not settle within a few seconds. Goroutines that are
// exiting take a moment to go, so the count is polled.
func settleGoroutines(t testing.TB, want int) {
	t.Helper()
	deadline := time.NewTimer(5 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		if runtime.NumGoroutine() <= want {
			return
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			t.Fatalf("%d goroutines still running, want at most %d:\n%s", runtime.NumGoroutine(), want, buf[:n])
		}
	}
}

// goroutines returns the current count after letting exiting goroutines go.
func goroutines(t testing.TB) int {
	t.Helper()
	n := runtime.NumGoroutine()
	// A goroutine of an earlier test may still be on its way out.
	for i := 0; i < 100; i++ {
		runtime.Gosched()
		if m := runtime.NumGoroutine(); m < n {
			n = m
		}
	}
	return n
}

var (
	certOnce sync.Once
	certPool *x509.CertPool
	certPair tls.Certificate
)

// testCerts makes a self-signed certificate for localhost, 127.0.0.1 and ::1.
func testCerts(t testing.TB) (server, client *tls.Config) {
	t.Helper()
	certOnce.Do(func() {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber:          big.NewInt(1),
			Subject:               pkix.Name{CommonName: "netx test"},
			NotBefore:             time.Now().Add(-time.Hour),
			NotAfter:              time.Now().Add(24 * time.Hour),
			KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
			ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			BasicConstraintsValid: true,
			IsCA:                  true,
			DNSNames:              []string{"localhost"},
			IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			panic(err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			panic(err)
		}
		certPool = x509.NewCertPool()
		certPool.AddCert(cert)
		certPair = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}
	})
	return &tls.Config{Certificates: []tls.Certificate{certPair}}, &tls.Config{RootCAs: certPool}
}

// line returns the i-th test line of client c: its length varies.
func testLine(c, i int) string {
	return fmt.Sprintf("%d:%d:%s\n", c, i, strings.Repeat("x", (c*7+i*13)%50))
}

// dialRaw opens a plain TCP connection to addr, closed when the test ends:
// a peer that reads and writes as the test says, byte by byte if need be.
func dialRaw(t testing.TB, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// dialMany opens n TCP connections to addr, 50 dialing at once, closed
// when the test ends.
func dialMany(t testing.TB, addr string, n int) []net.Conn {
	t.Helper()
	conns := make([]net.Conn, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 50)
	for i := range conns {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			c, err := net.Dial("tcp", addr)
			conns[i] = c
			errs <- err
		}()
	}
	var first error
	for range n {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	t.Cleanup(func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	})
	if first != nil {
		t.Fatalf("dialing %d connections: %v", n, first)
	}
	return conns
}
