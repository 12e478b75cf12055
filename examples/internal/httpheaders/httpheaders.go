// Package httpheaders is the seed's "Get HTTP headers" example, written
// once for the http-headers example and the tour.
package httpheaders

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/streamkit/streamkit/netx"
)

// A Client sends HEAD requests and prints the headers of the responses.
// Its zero value verifies TLS servers against the system's roots and has
// no timeout.
type Client struct {
	// TLSConfig is used for https URLs. If nil, the zero tls.Config is
	// used: the system's roots, and the URL's host as the server name.
	TLSConfig *tls.Config

	// Timeout bounds each request, from the dial to the last header. If
	// zero, only the context bounds it.
	Timeout time.Duration
}

// PrintHeaders is the seed's print_http_headers:
//
//	url = urllib.parse.urlsplit(url)
//	if url.scheme == 'https':
//	    connect = asyncio.open_connection(url.hostname, 443, ssl=True)
//	else:
//	    connect = asyncio.open_connection(url.hostname, 80)
//	reader, writer = yield from connect
//	query = ('HEAD {path} HTTP/1.0\r\n'
//	         'Host: {hostname}\r\n'
//	         '\r\n').format(path=url.path or '/', hostname=url.hostname)
//	writer.write(query.encode('latin-1'))
//	while True:
//	    line = yield from reader.readline()
//	    if not line:
//	        break
//	    line = line.decode('latin1').rstrip()
//	    if line:
//	        print('HTTP header> %s' % line)
//	writer.close()
//
// It prints to out. Unlike the seed, it honours a port in the URL; without
// one it uses 443 for https and 80 otherwise, as the seed does. The path
// is sent as the URL has it, escaped, without the query.
func (c *Client) PrintHeaders(ctx context.Context, out io.Writer, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	hostname := strings.ToLower(u.Hostname()) // Python's urlsplit(url).hostname
	if hostname == "" {
		return fmt.Errorf("no host in %q", rawURL)
	}
	port := u.Port()
	var d netx.Dialer
	if u.Scheme == "https" {
		d.TLSConfig = c.TLSConfig
		if d.TLSConfig == nil {
			d.TLSConfig = &tls.Config{}
		}
		if port == "" {
			port = "443"
		}
	} else if port == "" {
		port = "80"
	}
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	reader, writer, err := d.Dial(ctx, "tcp", net.JoinHostPort(hostname, port))
	if err != nil {
		return err
	}
	defer writer.Abort() // ignore the body: close the socket, whatever is unsent
	if deadline, ok := ctx.Deadline(); ok {
		writer.Conn().SetDeadline(deadline)
	}

	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	query := "HEAD " + path + " HTTP/1.0\r\n" +
		"Host: " + hostname + "\r\n" +
		"\r\n"
	q, err := latin1(query)
	if err != nil {
		return err
	}
	if _, err := writer.Write(q); err != nil {
		return err
	}
	for {
		line, err := reader.ReadLine()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if h := HeaderLine(line); h != "" {
			fmt.Fprintf(out, "HTTP header> %s\n", h)
		}
	}
	return nil
}

// HeaderLine is the seed's line.decode('latin1').rstrip(): the line's
// bytes as Latin-1 characters, without the whitespace at its end (what
// Python's str.isspace calls whitespace, which in Latin-1 is \t \n \v \f
// \r, \x1c to \x1f, space, \x85 and \xa0).
func HeaderLine(line []byte) string {
	end := len(line)
	for end > 0 && isSpace(line[end-1]) {
		end--
	}
	var b strings.Builder
	b.Grow(end)
	for _, c := range line[:end] {
		b.WriteRune(rune(c)) // Latin-1 is the first 256 code points
	}
	return b.String()
}

func isSpace(c byte) bool {
	return c >= '\t' && c <= '\r' || c >= 0x1c && c <= ' ' || c == 0x85 || c == 0xa0
}

// latin1 is Python's s.encode('latin-1'): each character is a byte, and a
// character past U+00FF is an error.
func latin1(s string) ([]byte, error) {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			return nil, fmt.Errorf("%q cannot be encoded in Latin-1", r)
		}
		b = append(b, byte(r))
	}
	return b, nil
}

// LoadCAFile returns a pool of the certificates in the PEM file at path,
// for a TLSConfig's RootCAs.
func LoadCAFile(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("no PEM certificate in " + strconv.Quote(path))
	}
	return pool, nil
}
