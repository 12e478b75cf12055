package netx_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"strings"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/netx"
)

// The seed's echo pair on loopback: start_server and open_connection.
func Example() {
	ctx := context.Background()
	srv, err := netx.Listen(ctx, "tcp", "127.0.0.1:0", func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		line, err := r.ReadLine()
		if err != nil {
			return
		}
		fmt.Printf("server received %q\n", line)
		w.Write(line) // no Drain needed: the reply goes out promptly
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
	w.Write([]byte("Hello World!\n"))
	reply, err := r.ReadLine()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("client received %q\n", reply)
	// Output:
	// server received "Hello World!\n"
	// client received "Hello World!\n"
}

// The README's first snippet: serve a line protocol, dial it, read and
// write.
func Example_lineProtocol() {
	ctx := context.Background()
	// Serve: one goroutine per connection, reading lines until the peer ends.
	srv, err := netx.Listen(ctx, "tcp", "127.0.0.1:0", func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		for {
			line, err := r.ReadLine() // "...\n"; at most the limit (64 KiB)
			if err != nil {
				return // io.EOF, or a typed error
			}
			w.Write(bytes.ToUpper(line))
			if err := w.Drain(ctx); err != nil { // asyncio's flow control
				return
			}
		}
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	// Dial: a reader and a writer, as open_connection gives.
	r, w, err := netx.Dial(ctx, "tcp", srv.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	w.Write([]byte("hello\nworld\n"))
	for range 2 {
		line, err := r.ReadLine()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%q\n", line)
	}
	// Output:
	// "HELLO\n"
	// "WORLD\n"
}

// A handler that winds down when a graceful shutdown begins.
func ExampleServer_Shutdown() {
	srv := &netx.Server{}
	srv.Handler = func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		w.Write([]byte("hello\n"))
		select {
		case <-srv.Closing():
			w.Write([]byte("server going down\n"))
		case <-ctx.Done(): // aborted
		}
	}
	if err := srv.Listen(context.Background(), "tcp", "127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	r, w, err := netx.Dial(context.Background(), "tcp", srv.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	hello, _ := r.ReadLine()
	fmt.Printf("%s", hello)

	// Waits for the handler, which returns once Closing is closed.
	if err := srv.Shutdown(context.Background()); err != nil {
		log.Fatal(err)
	}
	bye, _ := r.ReadLine()
	fmt.Printf("%s", bye)
	_, err = r.ReadLine()
	fmt.Println(err == io.EOF)
	// Output:
	// hello
	// server going down
	// true
}

// Flow control: Drain waits until the peer has taken enough of what was
// written.
func ExampleWriter_Drain() {
	c1, c2 := net.Pipe() // synchronous: nothing moves until c2 reads
	_, w := netx.Wrap(c1, 0)
	defer w.Close()
	w.SetWriteBufferLimits(16, 4)

	w.Write([]byte("0123456789")) // below the high-water mark: does not wait
	fmt.Println("buffered:", w.Buffered())

	go io.Copy(io.Discard, c2) // the peer starts reading
	if err := w.Drain(context.Background()); err != nil {
		log.Fatal(err)
	}
	fmt.Println("drained to at most 4 bytes:", w.Buffered() <= 4)
	// Output:
	// buffered: 10
	// drained to at most 4 bytes: true
}

// Half-close: the server answers once it has read everything.
func ExampleWriter_WriteEOF() {
	srv, err := netx.Listen(context.Background(), "tcp", "127.0.0.1:0", func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		var words []string
		for line, err := range r.Lines() {
			if err != nil {
				return
			}
			words = append(words, strings.TrimSuffix(string(line), "\n"))
		}
		fmt.Fprintf(w, "%s\n", strings.Join(words, " "))
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	r, w, err := netx.Dial(context.Background(), "tcp", srv.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	w.WriteLines([]byte("streams\n"), []byte("for\n"), []byte("Go\n"))
	w.WriteEOF()
	all, _ := r.ReadLine()
	fmt.Printf("%s", all)
	// Output:
	// streams for Go
}

// Wrap adopts a connection made elsewhere (open_connection(sock=...)).
func ExampleWrap() {
	c1, c2 := net.Pipe()
	r1, w1 := netx.Wrap(c1, 0)
	r2, w2 := netx.Wrap(c2, 1024)
	defer w1.Close()
	defer w2.Close()
	go func() {
		line, _ := r2.ReadLine()
		w2.Write([]byte(strings.ToUpper(string(line))))
	}()
	w1.Write([]byte("shout\n"))
	line, _ := r1.ReadLine()
	fmt.Printf("%s", line)
	fmt.Println(r2.Limit())
	// Output:
	// SHOUT
	// 1024
}
