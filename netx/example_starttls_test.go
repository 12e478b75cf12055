package netx_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log"
	"math/big"
	"net"
	"time"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/frame"
	"github.com/streamkit/streamkit/netx"
)

// STARTTLS after a framed greeting: the server greets with netstrings and
// offers TLS; the client reads the greeting through a frame.Reader over the
// pair's bufio2.Reader, which reads nothing ahead of the frames it returns,
// so StartTLS finds no plaintext held back and upgrades; the same
// frame.Reader then reads over TLS.
func ExampleWriter_StartTLS_afterFrames() {
	serverTLS, clientTLS := exampleCerts()
	ctx := context.Background()
	srv, err := netx.Listen(ctx, "tcp", "127.0.0.1:0", func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		out := frame.NewWriter(w, frame.Netstring{})
		out.WriteFrame([]byte("hello from the server"))
		out.WriteFrame([]byte("STARTTLS"))
		out.Flush()
		if err := w.StartTLSServer(ctx, r, serverTLS); err != nil {
			log.Print(err)
			return
		}
		out.WriteFrame([]byte("this went over TLS"))
		out.Flush()
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	r, w, err := netx.Dial(ctx, "tcp", srv.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	in := frame.NewReader(r, frame.Netstring{})
	for {
		p, err := in.Next()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("plaintext: %q\n", p)
		if string(p) == "STARTTLS" {
			break
		}
	}
	if err := w.StartTLS(ctx, r, clientTLS); err != nil {
		log.Fatal(err)
	}
	p, err := in.Next()
	if err != nil {
		log.Fatal(err)
	}
	_, isTLS := w.Conn().(*tls.Conn)
	fmt.Printf("over TLS (%v): %q\n", isTLS, p)
	// Output:
	// plaintext: "hello from the server"
	// plaintext: "STARTTLS"
	// over TLS (true): "this went over TLS"
}

// exampleCerts makes a self-signed certificate for 127.0.0.1: the server's
// tls.Config, and a client's that trusts it.
func exampleCerts() (server, client *tls.Config) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		log.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		log.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool}
}
