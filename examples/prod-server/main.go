// Command prod-server is a line-protocol server set up the way an operator
// runs one: every bound on what a client can hold is set, Ctrl+C or
// SIGTERM drains it gracefully within a deadline, and its counters are
// logged on the way out.
//
//	$ go run ./examples/prod-server -addr 127.0.0.1:7000
//	time=... level=INFO msg=serving addr=127.0.0.1:7000 read_timeout=10s write_timeout=10s idle_timeout=2m0s max_conns=1000
//	^C
//	time=... level=INFO msg="shutting down" grace=10s
//	time=... level=INFO msg=stopped accepted=3 open=0 closed_by_peer=1 closed_by_handler=1 ...
//
// The protocol, one command per line, one reply line each:
//
//	PING         PONG
//	ECHO text    text
//	TIME         the server's time, RFC 3339
//	QUIT         BYE, and the server closes the connection
//	anything     ERR unknown command
//
// What an operator sees:
//
//   - A client that sends a line slower than -read-timeout (a slowloris,
//     one byte every few seconds) gets "ERR read timeout" and is closed;
//     so is one that stays silent longer than -idle-timeout. A client
//     that stops reading our replies for longer than -write-timeout is
//     aborted. A line longer than -max-line gets "ERR line too long" and
//     the connection is closed. None of them can hold a connection, a
//     goroutine or memory for long.
//   - At most -max-conns connections are served at once; past that the
//     server stops accepting, new connections wait in the kernel's
//     listen backlog, and a rate-limited Info line says so.
//   - Ctrl+C (or SIGTERM) stops accepting, closes at once every
//     connection that waits for its next command (its client sees the end
//     of the stream after the replies already sent), lets those in the
//     middle of a command finish, and after -grace aborts what is left. A
//     second Ctrl+C aborts at once.
//   - On exit, the "stopped" line gives the server's Stats: connections
//     accepted, and how each one ended (peer, handler, read, idle or write
//     timeout, panic, shutdown), bytes read and written, and how often
//     MaxConns was reached. Logs are text, or JSON with -log-format json.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/netx"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:7000", "address to serve on (host:port)")
	readTimeout := flag.Duration("read-timeout", 10*time.Second, "the longest one command line may take to arrive, once it started")
	writeTimeout := flag.Duration("write-timeout", 10*time.Second, "the longest a reply may wait for a client that does not read")
	idleTimeout := flag.Duration("idle-timeout", 2*time.Minute, "the longest a client may stay silent")
	maxConns := flag.Int("max-conns", 1000, "the most connections served at once")
	maxLine := flag.Int("max-line", 4096, "the longest command line, in bytes")
	grace := flag.Duration("grace", 10*time.Second, "how long shutdown waits for the commands in progress")
	logFormat := flag.String("log-format", "text", `"text" or "json"`)
	flag.Parse()

	var h slog.Handler = slog.NewTextHandler(os.Stdout, nil)
	if *logFormat == "json" {
		h = slog.NewJSONHandler(os.Stdout, nil)
	}
	logger := slog.New(h)

	srv := &netx.Server{
		Handler:      handle,
		Limit:        *maxLine,
		ReadTimeout:  *readTimeout,
		WriteTimeout: *writeTimeout,
		IdleTimeout:  *idleTimeout,
		MaxConns:     *maxConns,
		Logger:       logger,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := srv.Listen(ctx, "tcp", *addr); err != nil {
		logger.Error("listen", "err", err)
		os.Exit(1)
	}
	logger.Info("serving", "addr", srv.Addr().String(), "read_timeout", *readTimeout, "write_timeout", *writeTimeout,
		"idle_timeout", *idleTimeout, "max_conns", *maxConns)
	<-ctx.Done()
	stop()

	// Drain: at most -grace, or until a second signal.
	logger.Info("shutting down", "grace", *grace)
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	ctx, cancelGrace := context.WithTimeout(ctx, *grace)
	defer cancelGrace()
	code := 0
	if err := srv.Shutdown(ctx); err != nil {
		logger.Warn("shutdown cut short; the remaining connections were aborted", "err", err)
		code = 1
	}
	st := srv.Stats()
	logger.Info("stopped",
		"accepted", st.Accepted, "open", st.Open,
		"closed_by_peer", st.ClosedByPeer, "closed_by_handler", st.ClosedByHandler,
		"closed_by_read_timeout", st.ClosedByReadTimeout, "closed_by_idle_timeout", st.ClosedByIdleTimeout,
		"closed_by_write_timeout", st.ClosedByWriteTimeout, "closed_by_panic", st.ClosedByPanic,
		"closed_by_shutdown", st.ClosedByShutdown, "failed_handshakes", st.FailedHandshakes,
		"bytes_read", st.BytesRead, "bytes_written", st.BytesWritten, "max_conns_waits", st.MaxConnsWaits)
	os.Exit(code)
}

// handle serves one connection: a reply line for each command line.
func handle(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
	for {
		line, err := r.ReadLine()
		if err != nil {
			// Writes still work after a read timeout: say why we close.
			var tooLong *errs.LimitOverrunError
			switch {
			case errors.As(err, &tooLong):
				reply(ctx, w, "ERR line too long")
			case errors.Is(err, os.ErrDeadlineExceeded):
				reply(ctx, w, "ERR read timeout")
			}
			return // io.EOF, Shutdown, a failed connection: nothing to say
		}
		cmd, arg, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(" "))
		switch string(cmd) {
		case "PING":
			err = reply(ctx, w, "PONG")
		case "ECHO":
			err = reply(ctx, w, string(arg))
		case "TIME":
			err = reply(ctx, w, time.Now().Format(time.RFC3339))
		case "QUIT":
			reply(ctx, w, "BYE")
			return
		default:
			err = reply(ctx, w, "ERR unknown command")
		}
		if err != nil {
			return // the client stopped reading (WriteTimeout) or went away
		}
	}
}

// reply writes one reply line and waits, bounded by WriteTimeout, while
// the client is far behind in reading its replies.
func reply(ctx context.Context, w *netx.Writer, s string) error {
	if _, err := fmt.Fprintf(w, "%s\n", s); err != nil {
		return err
	}
	return w.Drain(ctx)
}
