package netx

import (
	"net"
	"syscall"
)

// rawConnOf returns the raw connection under c, through which the Writer
// sends and the Reader waits without blocking a thread or holding a
// buffer: only for the standard library's own TCP and Unix connections,
// never for a type that merely embeds one (its Read and Write may do more
// than read and write). It returns nil for every other connection.
func rawConnOf(c net.Conn) syscall.RawConn {
	var sc syscall.Conn
	switch c := c.(type) {
	case *net.TCPConn:
		sc = c
	case *net.UnixConn:
		sc = c
	default:
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}
