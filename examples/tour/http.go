package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/streamkit/streamkit/examples/internal/httpheaders"
)

// httpHeaders runs examples/http-headers against an HTTP server and an
// HTTPS server in this process, trusting the HTTPS server's certificate
// as -cafile would.
func httpHeaders(w io.Writer) error {
	seen := make(chan string, 1) // what the server saw, from its handler
	handler := http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		seen <- fmt.Sprintf("%s %s %s, Host: %s, TLS: %t", req.Method, req.URL.Path, req.Proto, req.Host, req.TLS != nil)
		h := rw.Header()
		h["Date"] = nil // no Date header: the tour's output does not change
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Server", "streamkit-tour")
		h.Set("Content-Length", "21")
		io.WriteString(rw, "the body, not printed") // not sent for HEAD
	})

	plain := httptest.NewServer(handler)
	defer plain.Close()
	secure := httptest.NewTLSServer(handler)
	defer secure.Close()
	roots := x509.NewCertPool()
	roots.AddCert(secure.Certificate())

	for _, run := range []struct {
		server *httptest.Server
		flags  string
		client *httpheaders.Client
	}{
		{plain, "", &httpheaders.Client{Timeout: 30 * time.Second}},
		{secure, "-cafile <the server's certificate> ", &httpheaders.Client{Timeout: 30 * time.Second, TLSConfig: &tls.Config{RootCAs: roots}}},
	} {
		url := run.server.URL + "/path/page.html"
		fmt.Fprintf(w, "$ http-headers %s%s\n", run.flags, hidePort(url, run.server.URL))
		if err := run.client.PrintHeaders(context.Background(), w, url); err != nil {
			return err
		}
		fmt.Fprintf(w, "(the server saw: %s)\n", hidePort(<-seen, run.server.URL))
	}
	return nil
}

// hidePort writes the port of the server at serverURL as <port> in s.
func hidePort(s, serverURL string) string {
	i := strings.LastIndexByte(serverURL, ':')
	host := strings.TrimPrefix(strings.TrimPrefix(serverURL[:i], "http://"), "https://")
	return strings.ReplaceAll(s, host+serverURL[i:], host+":<port>")
}
