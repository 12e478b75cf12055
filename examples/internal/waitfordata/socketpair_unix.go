//go:build unix

package waitfordata

import (
	"net"
	"os"
	"syscall"
)

// Socketpair returns a pair of connected Unix stream sockets, Python's
// socket.socketpair().
func Socketpair() (net.Conn, net.Conn, error) {
	syscall.ForkLock.RLock() // no fork while the descriptors lack close-on-exec
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err == nil {
		syscall.CloseOnExec(fds[0])
		syscall.CloseOnExec(fds[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, nil, os.NewSyscallError("socketpair", err)
	}
	c0, err := fileConn(fds[0], "socketpair-0")
	if err != nil {
		syscall.Close(fds[1])
		return nil, nil, err
	}
	c1, err := fileConn(fds[1], "socketpair-1")
	if err != nil {
		c0.Close()
		return nil, nil, err
	}
	return c0, c1, nil
}

// fileConn makes a net.Conn of the socket fd, and closes fd: the
// net.Conn holds a duplicate of it.
func fileConn(fd int, name string) (net.Conn, error) {
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	return net.FileConn(f)
}
