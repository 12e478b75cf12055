package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/netx"
)

// operator runs a netx.Server with the settings an operator sets: a
// ReadTimeout that cuts off a peer that dribbles a line a byte at a time
// (slowloris, which IdleTimeout alone would not catch: the peer is never
// silent for long), MaxConns, and a Shutdown that closes idle connections
// at once rather than waiting for them. Stats counts what happened.
func operator(w io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	timedOut := make(chan error, 1)
	srv := &netx.Server{
		ReadTimeout: 500 * time.Millisecond, // one read call, start to return
		IdleTimeout: 10 * time.Second,       // one wait for data
		MaxConns:    100,
		Handler: func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
			for {
				line, err := r.ReadLine()
				if errors.Is(err, os.ErrDeadlineExceeded) {
					timedOut <- err
				}
				if err != nil {
					return
				}
				w.Write(line)
			}
		},
	}
	if err := srv.Listen(ctx, "tcp", "127.0.0.1:0"); err != nil {
		return err
	}
	defer srv.Close()
	addr := srv.Addr().String()
	fmt.Fprintf(w, "Server{ReadTimeout: %v, IdleTimeout: %v, MaxConns: %d}\n", srv.ReadTimeout, srv.IdleTimeout, srv.MaxConns)

	// A slowloris peer: a byte every 50 ms, never a whole line.
	slow, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer slow.Close()
	go func() {
		for _, b := range []byte("GET / and on and on and on and on and on and on") {
			if _, err := slow.Write([]byte{b}); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	err = <-timedOut
	msg, _, _ := strings.Cut(err.Error(), ": read tcp") // the rest names ports
	fmt.Fprintf(w, "a peer dribbling a byte every 50 ms: %s (errors.Is(err, os.ErrDeadlineExceeded): %v)\n", msg, errors.Is(err, os.ErrDeadlineExceeded))
	// The end of the stream, or a reset if the peer's next byte reached
	// the closed socket first: either way, closed.
	io.ReadAll(slow)
	fmt.Fprintln(w, "and its connection was closed")

	// A good client, then idle: Shutdown closes it at once, and the
	// client sees its replies, then the end of the stream.
	r, cw, err := netx.Dial(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer cw.Close()
	cw.Write([]byte("ping\n"))
	reply, err := r.ReadLine()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "a good client: %q -> %q, then idle\n", "ping\n", reply)
	start := time.Now()
	if err := srv.Shutdown(ctx); err != nil {
		return err
	}
	if took := time.Since(start); took > 5*time.Second {
		return fmt.Errorf("the Server's Shutdown took %v with one idle connection", took)
	}
	fmt.Fprintln(w, "Shutdown returned at once: the idle connection was closed, not waited for")
	if _, err := r.ReadLine(); err != io.EOF {
		return fmt.Errorf("after Shutdown the client read %v, want io.EOF", err)
	}
	fmt.Fprintln(w, "the client read io.EOF")
	st := srv.Stats()
	fmt.Fprintf(w, "Stats: accepted %d, closed by ReadTimeout %d, by Shutdown %d, open %d\n",
		st.Accepted, st.ClosedByReadTimeout, st.ClosedByShutdown, st.Open)
	return nil
}
