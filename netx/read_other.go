//go:build !unix

package netx

import (
	"net"
	"syscall"
)

// lazyRawConn returns nil: reading without a buffer while waiting is
// implemented on Unix systems only; elsewhere every connection is read
// through connReader.
func lazyRawConn(net.Conn) syscall.RawConn { return nil }

func (l *lazyReader) readFDFunc() func(uintptr) bool { return nil } // never called: lazyRawConn returns nil

// pendingInput reports false: where it cannot be told, closing an idle
// connection waits lingerQuiet for bytes its peer may be sending.
func pendingInput(net.Conn) bool { return false }
