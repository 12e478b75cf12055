package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/netx"
)

// flow shows asyncio's flow control on a netx.Writer: Write buffers
// without blocking while the buffer is at or below the high-water mark,
// and Drain waits until the peer has read enough for the buffer to fall to
// the low-water mark. The server here reads nothing until it is told to,
// so the client's bytes pile up in the kernel's socket buffers and then in
// the Writer.
func flow(w io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := make(chan struct{})
	done := make(chan int64, 1)
	srv, err := netx.Listen(ctx, "tcp", "127.0.0.1:0", func(ctx context.Context, r *bufio2.Reader, _ *netx.Writer) {
		<-start // a slow consumer
		n, _ := io.Copy(io.Discard, r)
		done <- n
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	_, cw, err := netx.Dial(ctx, "tcp", srv.Addr().String())
	if err != nil {
		return err
	}
	defer cw.Close()
	const high, low = 256 << 10, 64 << 10
	cw.SetWriteBufferLimits(high, low)
	fmt.Fprintf(w, "Writer limits: high-water %d KiB, low-water %d KiB\n", high>>10, low>>10)

	// Write until the Writer holds bytes that the kernel would not take.
	chunk := make([]byte, 32<<10)
	var total int64
	for cw.Buffered() <= low {
		if _, err := cw.Write(chunk); err != nil {
			return err
		}
		total += int64(len(chunk))
		if total > 1<<30 {
			return fmt.Errorf("the kernel took 1 GiB without the Writer buffering")
		}
	}
	fmt.Fprintln(w, "Write returned at once each time; the Writer now buffers more than the low-water mark")

	drained := make(chan error, 1)
	go func() { drained <- cw.Drain(ctx) }()
	select {
	case err := <-drained:
		return fmt.Errorf("the Writer's Drain returned before the peer read: %v", err)
	case <-time.After(50 * time.Millisecond):
		fmt.Fprintln(w, "Drain waits: the server has not read anything yet")
	}
	close(start)
	if err := <-drained; err != nil {
		return err
	}
	fmt.Fprintf(w, "the server started reading; Drain returned with at most %d KiB buffered\n", low>>10)
	if err := cw.Close(); err != nil { // Close sends the rest first
		return err
	}
	if got := <-done; got != total {
		return fmt.Errorf("the server read %d bytes, the client wrote %d", got, total)
	}
	fmt.Fprintln(w, "Close sent the rest: the server read every byte written")
	return srv.Shutdown(ctx)
}
