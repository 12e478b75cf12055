//go:build unix

package netx_test

import (
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/streamkit/streamkit/internal/testenv"
	"github.com/streamkit/streamkit/netx"
)

// TestUnixDatagramZeroReadIsNotEOF: on a Unix datagram socket a
// zero-length datagram is not the end of the stream, as net.Conn.Read
// has it: the pair reads on to the next datagram.
func TestUnixDatagramZeroReadIsNotEOF(t *testing.T) {
	testenv.Watchdog(t, 20*time.Second)
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_DGRAM, 0)
	if err != nil {
		t.Skip("no Unix datagram socketpair:", err)
	}
	f := os.NewFile(uintptr(fds[0]), "dgram")
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		syscall.Close(fds[1])
		t.Fatal(err)
	}
	defer syscall.Close(fds[1])
	r, w := netx.Wrap(c, 0)
	defer w.Abort()
	if _, err := syscall.Write(fds[1], nil); err != nil {
		t.Fatal(err)
	}
	if _, err := syscall.Write(fds[1], []byte("x\n")); err != nil {
		t.Fatal(err)
	}
	if line, err := r.ReadLine(); err != nil || string(line) != "x\n" {
		t.Errorf("ReadLine after a zero-length datagram = %q, %v; want \"x\\n\"", line, err)
	}
}
