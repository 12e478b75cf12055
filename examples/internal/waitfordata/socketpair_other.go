//go:build !unix

package waitfordata

import "net"

// Socketpair returns a pair of connected TCP sockets on loopback, as
// Python's socket.socketpair() does where there are no Unix sockets.
func Socketpair() (net.Conn, net.Conn, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	defer l.Close()
	c0, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		return nil, nil, err
	}
	c1, err := l.Accept()
	if err != nil {
		c0.Close()
		return nil, nil, err
	}
	return c0, c1, nil
}
