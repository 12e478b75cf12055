package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/frame"
	"github.com/streamkit/streamkit/netx"
)

// framed runs a length-prefixed request/response protocol over netx: each
// message is a 2-byte big-endian length and that many bytes. The server
// answers each request with it upper-cased; it accepts requests of at most
// 64 bytes, and answers a larger one with an error, skipping it without
// reading it into memory, and goes on.
func framed(w io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	codec := frame.LengthPrefixed{Size: 2}

	served := make(chan string, 1)
	srv, err := netx.Listen(ctx, "tcp", "127.0.0.1:0", func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
		requests := frame.NewReader(r, frame.LengthPrefixed{Size: 2, Max: 64})
		requests.SetOversized(frame.SkipOversized)
		replies := frame.NewWriter(w, codec)
		n := 0
		for req, err := range requests.All() {
			var tooLarge *errs.FrameTooLargeError
			switch {
			case errors.As(err, &tooLarge):
				err = replies.WriteFrame(fmt.Appendf(nil, "error: a request of %d bytes, over the maximum of %d", tooLarge.Size, tooLarge.Max))
			case err != nil:
				served <- fmt.Sprintf("server: stopped after %d requests: %v", n, err)
				return
			default:
				n++
				err = replies.WriteFrame(bytes.ToUpper(req))
			}
			if err == nil {
				err = replies.Flush()
			}
			if err != nil {
				served <- fmt.Sprintf("server: writing a reply: %v", err)
				return
			}
		}
		served <- fmt.Sprintf("server: the client closed its side after %d requests", n)
	})
	if err != nil {
		return err
	}
	defer srv.Close()

	r, cw, err := netx.Dial(ctx, "tcp", srv.Addr().String())
	if err != nil {
		return err
	}
	defer cw.Close()
	wire, err := codec.Append(nil, []byte("hello"))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "a request \"hello\" on the wire: % x\n", wire)

	requests := frame.NewWriter(cw, codec)
	replies := frame.NewReader(r, codec)
	for _, req := range []string{"hello", "streams for Go", "", strings.Repeat("x", 100), "still there?"} {
		if err := requests.WriteFrame([]byte(req)); err != nil {
			return err
		}
		if err := requests.Flush(); err != nil {
			return err
		}
		reply, err := replies.Next()
		if err != nil {
			return err
		}
		shown := strconv.Quote(req)
		if len(req) > 20 {
			shown = fmt.Sprintf("%d bytes of %q", len(req), req[:1])
		}
		fmt.Fprintf(w, "client: %s -> %q\n", shown, reply)
	}
	if err := cw.WriteEOF(); err != nil { // no more requests
		return err
	}
	if _, err := replies.Next(); err != io.EOF {
		return fmt.Errorf("after the last reply: got %v, want io.EOF", err)
	}
	fmt.Fprintln(w, <-served)
	if err := cw.Close(); err != nil {
		return err
	}
	return srv.Shutdown(ctx)
}
