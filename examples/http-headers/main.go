// Command http-headers is the seed's "Get HTTP headers": it sends a HEAD
// request over HTTP/1.0 to the URL given on the command line, over TLS
// for https, and prints the headers of the response.
//
//	$ go run ./examples/http-headers http://example.com/path/page.html
//	HTTP header> HTTP/1.0 404 Not Found
//	HTTP header> Content-Type: text/html
//	...
//
// It prints what the seed's Python version prints, line for line. Unlike
// the seed, it honours a port in the URL (else 80, or 443 for https).
//
// Usage:
//
//	http-headers [-cafile file.pem] [-timeout 30s] URL
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/streamkit/streamkit/examples/internal/httpheaders"
)

func main() {
	cafile := flag.String("cafile", "", "PEM file of the CA certificates to trust for https (default: the system's)")
	timeout := flag.Duration("timeout", 30*time.Second, "time allowed for the whole request; 0 for no limit")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: http-headers [flags] URL\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("http-headers: ")
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}

	c := &httpheaders.Client{Timeout: *timeout}
	if *cafile != "" {
		pool, err := httpheaders.LoadCAFile(*cafile)
		if err != nil {
			log.Fatal(err)
		}
		c.TLSConfig = &tls.Config{RootCAs: pool}
	}
	if err := c.PrintHeaders(context.Background(), os.Stdout, flag.Arg(0)); err != nil {
		log.Fatal(err)
	}
}
