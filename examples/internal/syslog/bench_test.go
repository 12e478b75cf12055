package syslog_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/streamkit/streamkit/examples/internal/realserver"
	"github.com/streamkit/streamkit/examples/internal/syslog"
	"github.com/streamkit/streamkit/internal/testenv"
)

// BenchmarkRsyslog relays messages through the real rsyslogd: b.N
// messages (alternately octet-counted and LF-terminated) go to its imtcp
// input on one connection, and the op ends when both forwarded copies of
// every message have reached the server. ops/s counts messages relayed;
// allocs/op counts the sender's and the server's allocations, not
// rsyslogd's.
func BenchmarkRsyslog(b *testing.B) {
	testenv.Watchdog(b, 5*time.Minute)
	tok := token()
	var received chan struct{}
	srv := &syslog.Server{Handler: func(_ context.Context, m syslog.Message) {
		if strings.HasSuffix(m.Msg, tok) {
			received <- struct{}{}
		}
	}}
	received = make(chan struct{}, 4096)
	if err := srv.Listen(context.Background(), "tcp", realserver.Addr(b, realserver.SyslogSink)); err != nil {
		b.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	conn, err := net.Dial("tcp", realserver.Addr(b, realserver.Rsyslog))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	frames := []string{
		octet("<14>1 2003-08-24T05:14:15.000003-07:00 host.example app 42 ID1 - a message of some size " + tok),
		"<14>Oct 11 22:14:15 host.example app[42]: a message of some size " + tok + "\n",
	}
	var buf []byte
	ends := []int{0} // ends[i]: the length of the first i messages
	for i := range 1024 {
		buf = append(buf, frames[i%2]...)
		ends = append(ends, len(buf))
	}
	per := len(ends) - 1 // messages in buf
	b.ReportAllocs()
	b.ResetTimer()
	for sent := 0; sent < b.N; {
		n := min(per, b.N-sent)
		conn.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if _, err := conn.Write(buf[:ends[n]]); err != nil {
			b.Fatal(err)
		}
		for range 2 * n {
			<-received // the watchdog turns a lost message into a failure
		}
		sent += n
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkServer sends messages straight to the server on loopback, half
// in each framing: the server's own cost per message (read, frame,
// parse), without rsyslogd.
func BenchmarkServer(b *testing.B) {
	testenv.Watchdog(b, 5*time.Minute)
	received := make(chan struct{}, 4096)
	srv := &syslog.Server{Handler: func(_ context.Context, m syslog.Message) { received <- struct{}{} }}
	if err := srv.Listen(context.Background(), "tcp", "127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	conn, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	var buf []byte
	ends := []int{0} // ends[i]: the length of the first i messages
	for i := range 1024 {
		if i%2 == 0 {
			buf = append(buf, octet(fmt.Sprintf("<14>1 2003-08-24T05:14:15.000003-07:00 host.example app 42 ID1 - message %d", i))...)
		} else {
			buf = fmt.Appendf(buf, "<14>Oct 11 22:14:15 host.example app[42]: message %d\n", i)
		}
		ends = append(ends, len(buf))
	}
	per := len(ends) - 1
	b.SetBytes(int64(len(buf) / per))
	b.ReportAllocs()
	b.ResetTimer()
	for sent := 0; sent < b.N; {
		n := min(per, b.N-sent)
		if _, err := conn.Write(buf[:ends[n]]); err != nil {
			b.Fatal(err)
		}
		for range n {
			<-received
		}
		sent += n
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}
