package netx_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/nettest"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/internal/testenv"
	"github.com/streamkit/streamkit/netx"
)

// TestConnConformance runs nettest.TestConn on the net.Conn values the
// package hands out: Writer.Conn of a dialed pair and of the server's pair
// for the same connection, and of a pair made by Wrap.
func TestConnConformance(t *testing.T) {
	testenv.Watchdog(t, 2*time.Minute)
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network+"/Dial+Server", func(t *testing.T) {
			nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
				conns := make(chan net.Conn, 1)
				s := &netx.Server{Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
					conns <- w.Conn()
					<-ctx.Done()
				}}
				if err := s.Listen(context.Background(), network, testAddr(t, network)); err != nil {
					return nil, nil, nil, err
				}
				_, w, err := netx.Dial(context.Background(), network, s.Addr().String())
				if err != nil {
					s.Close()
					return nil, nil, nil, err
				}
				return w.Conn(), <-conns, func() { w.Abort(); s.Close() }, nil
			})
		})
		t.Run(network+"/Wrap", func(t *testing.T) {
			nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
				a, b := connPair(t, network)
				_, wa := netx.Wrap(a, 0)
				_, wb := netx.Wrap(b, 0)
				return wa.Conn(), wb.Conn(), func() { wa.Abort(); wb.Abort() }, nil
			})
		})
	}
}

func TestDialNetworks(t *testing.T) {
	networks := []string{"tcp", "tcp4", "unix"}
	if nettest.SupportsIPv6() {
		networks = append(networks, "tcp6")
	}
	for _, network := range networks {
		t.Run(network, func(t *testing.T) {
			testenv.Watchdog(t, 20*time.Second)
			s := &netx.Server{Handler: echoHandler}
			addr := serve(t, s, network)
			r, w := dial(t, network, addr)
			if _, err := w.Write([]byte("hello\n")); err != nil {
				t.Fatal(err)
			}
			line, err := r.ReadLine()
			if err != nil || string(line) != "hello\n" {
				t.Fatalf("ReadLine() = %q, %v", line, err)
			}
			if got := w.RemoteAddr().String(); got != addr {
				t.Errorf("RemoteAddr() = %q, want %q", got, addr)
			}
			if w.LocalAddr().Network() != w.Conn().LocalAddr().Network() {
				t.Errorf("LocalAddr() = %v, want the connection's", w.LocalAddr())
			}
			if !w.CanWriteEOF() {
				t.Error("CanWriteEOF() = false")
			}
		})
	}
}

func TestDialUnknownNetwork(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	for _, network := range []string{"udp", "ip4:icmp", "unixgram", ""} {
		_, _, err := netx.Dial(context.Background(), network, "127.0.0.1:1")
		var unknown net.UnknownNetworkError
		if !errors.As(err, &unknown) {
			t.Errorf("Dial(%q): %v, want net.UnknownNetworkError", network, err)
		}
	}
}

func TestLimit(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	s := &netx.Server{Handler: echoHandler}
	addr := serve(t, s, "tcp")
	for _, tt := range []struct{ limit, want int }{{0, bufio2.DefaultLimit}, {-5, bufio2.DefaultLimit}, {100, 100}} {
		d := netx.Dialer{Limit: tt.limit}
		r, w, err := d.Dial(context.Background(), "tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if r.Limit() != tt.want {
			t.Errorf("Dialer{Limit: %d}: Reader limit %d, want %d", tt.limit, r.Limit(), tt.want)
		}
		w.Close()
		c1, c2 := net.Pipe()
		r, w = netx.Wrap(c1, tt.limit)
		if r.Limit() != tt.want {
			t.Errorf("Wrap(conn, %d): Reader limit %d, want %d", tt.limit, r.Limit(), tt.want)
		}
		w.Abort()
		c2.Close()
	}
}

func TestDialerOptions(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	s := &netx.Server{Handler: echoHandler}
	addr := serve(t, s, "tcp")
	var controls atomic.Int32
	d := netx.Dialer{
		LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)},
		KeepAlive: -1,
		Control: func(network, address string, c syscall.RawConn) error {
			controls.Add(1)
			return nil
		},
		Timeout: 10 * time.Second,
	}
	_, w, err := d.Dial(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if controls.Load() != 1 {
		t.Errorf("Control called %d times, want 1", controls.Load())
	}
	if ip := w.LocalAddr().(*net.TCPAddr).IP; !ip.Equal(net.IPv4(127, 0, 0, 1)) {
		t.Errorf("local address %v, want 127.0.0.1", ip)
	}
}

// silentListener accepts connections and never answers, so that a TLS
// handshake waits forever.
func silentListener(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() { l.Close(); <-done })
	return l.Addr().String()
}

func TestDialContextAbortsAtOnce(t *testing.T) {
	_, clientTLS := testCerts(t)
	t.Run("already cancelled", func(t *testing.T) {
		testenv.Watchdog(t, 20*time.Second)
		addr := silentListener(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, _, err := netx.Dial(ctx, "tcp", addr)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Dial with a cancelled context: %v, want context.Canceled", err)
		}
	})
	t.Run("cancelled in the TLS handshake", func(t *testing.T) {
		testenv.Watchdog(t, 20*time.Second)
		addr := silentListener(t)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(20*time.Millisecond, cancel)
		d := netx.Dialer{TLSConfig: clientTLS}
		_, _, err := d.Dial(ctx, "tcp", addr)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Dial cancelled during the handshake: %v, want context.Canceled", err)
		}
	})
	t.Run("expired in the TLS handshake", func(t *testing.T) {
		testenv.Watchdog(t, 20*time.Second)
		addr := silentListener(t)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		d := netx.Dialer{TLSConfig: clientTLS}
		_, _, err := d.Dial(ctx, "tcp", addr)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Dial past its deadline: %v, want context.DeadlineExceeded", err)
		}
	})
	t.Run("Dialer.Timeout covers the handshake", func(t *testing.T) {
		testenv.Watchdog(t, 20*time.Second)
		addr := silentListener(t)
		d := netx.Dialer{TLSConfig: clientTLS, Timeout: 20 * time.Millisecond}
		_, _, err := d.Dial(context.Background(), "tcp", addr)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Dial past Dialer.Timeout: %v, want context.DeadlineExceeded", err)
		}
	})
	t.Run("cancelled while connecting", func(t *testing.T) {
		testenv.Watchdog(t, 20*time.Second)
		addr := fullBacklog(t)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(20*time.Millisecond, cancel)
		_, _, err := netx.Dial(ctx, "tcp", addr)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Dial cancelled while connecting: %v, want context.Canceled", err)
		}
	})
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestDialTLS(t *testing.T) {
	serverTLS, clientTLS := testCerts(t)
	for _, host := range []string{"localhost", "127.0.0.1"} {
		t.Run(host, func(t *testing.T) {
			testenv.Watchdog(t, 20*time.Second)
			s := &netx.Server{Handler: echoHandler, TLSConfig: serverTLS}
			addr := serve(t, s, "tcp")
			_, port, _ := net.SplitHostPort(addr)
			d := netx.Dialer{TLSConfig: clientTLS} // ServerName empty: taken from the address
			r, w, err := d.Dial(context.Background(), "tcp", net.JoinHostPort(host, port))
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			tc, ok := w.Conn().(*tls.Conn)
			if !ok {
				t.Fatalf("Conn() is %T, want *tls.Conn", w.Conn())
			}
			// The handshake completed before Dial returned, verifying the
			// certificate for the host of the address.
			st := tc.ConnectionState()
			if !st.HandshakeComplete || len(st.VerifiedChains) == 0 {
				t.Errorf("HandshakeComplete %v, %d verified chains; want a verified handshake", st.HandshakeComplete, len(st.VerifiedChains))
			}
			if net.ParseIP(host) == nil && st.ServerName != host {
				t.Errorf("ServerName %q, want %q", st.ServerName, host)
			}
			if clientTLS.ServerName != "" {
				t.Error("Dial changed the caller's tls.Config")
			}
			w.Write([]byte("over TLS\n"))
			if line, err := r.ReadLine(); err != nil || string(line) != "over TLS\n" {
				t.Fatalf("ReadLine() = %q, %v", line, err)
			}
			if !w.CanWriteEOF() {
				t.Error("CanWriteEOF() = false for TLS")
			}
		})
	}
	t.Run("wrong name", func(t *testing.T) {
		testenv.Watchdog(t, 20*time.Second)
		s := &netx.Server{Handler: echoHandler, TLSConfig: serverTLS}
		addr := serve(t, s, "tcp")
		cfg := clientTLS.Clone()
		cfg.ServerName = "example.com"
		d := netx.Dialer{TLSConfig: cfg}
		_, _, err := d.Dial(context.Background(), "tcp", addr)
		var verr *tls.CertificateVerificationError
		if !errors.As(err, &verr) {
			t.Errorf("Dial with the wrong server name: %v, want *tls.CertificateVerificationError", err)
		}
	})
}
