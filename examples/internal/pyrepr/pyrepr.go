// Package pyrepr formats Go values the way Python prints them, so that the
// examples print what the seed's Python examples print, byte for byte:
// Str is repr() of a str (what '%r' % s gives), Bytes is repr() of bytes,
// and Addr and AddrStr are repr() and str() of a socket address as Python's
// getsockname() and getpeername() return it.
package pyrepr

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Str returns Python's repr() of the string s decoded from UTF-8.
//
// The quote is ' unless s contains ' and no ", in which case it is ".
// The quote and \ are escaped with a backslash; tab, newline and carriage
// return are written \t, \n and \r; other ASCII control characters and DEL
// are written \xhh. Other characters are written as they are if they are
// printable (Python's str.isprintable, which is unicode.IsPrint), else as
// \xhh, \uhhhh or \Uhhhhhhhh, the shortest that holds them.
//
// Bytes of s that are not valid UTF-8 are taken as Python's
// errors='surrogateescape' decodes them: byte b becomes the lone surrogate
// U+DC00+b, written \udcXX. (The seed's strict data.decode() would raise
// there instead.)
func Str(s string) string {
	quote := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		quote = '"'
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte(quote)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			fmt.Fprintf(&b, `\u%04x`, 0xdc00+rune(s[i])) // surrogateescape
			i++
			continue
		}
		i += size
		switch {
		case r == rune(quote) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < ' ' || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x7f || unicode.IsPrint(r):
			b.WriteRune(r)
		case r <= 0xff:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteByte(quote)
	return b.String()
}

// Bytes returns Python's repr() of the bytes p: b'...' with the quotes
// chosen as for [Str], \t, \n and \r, \\ and the escaped quote, printable
// ASCII as it is, and every other byte as \xhh.
func Bytes(p []byte) string {
	quote := byte('\'')
	if strings.IndexByte(string(p), '\'') >= 0 && strings.IndexByte(string(p), '"') < 0 {
		quote = '"'
	}
	var b strings.Builder
	b.Grow(len(p) + 3)
	b.WriteByte('b')
	b.WriteByte(quote)
	for _, c := range p {
		switch {
		case c == quote || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < ' ' || c >= 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte(quote)
	return b.String()
}

// Addr returns Python's repr() of the socket address a, as getsockname()
// and getpeername() (asyncio's get_extra_info('sockname'/'peername'))
// return it:
//
//	TCP over IPv4   ('127.0.0.1', 8888)
//	TCP over IPv6   ('::1', 8888, 0, 0)          (host, port, flowinfo, scope_id)
//	Unix, a path    '/tmp/echo.sock'
//	Unix, unnamed   ''                           (a client's socket, seen from the server)
//	Unix, abstract  b'\x00name'                  (Go's "@name")
//	nil             None
//
// Go does not report IPv6 flow information: flowinfo is always 0.
func Addr(a net.Addr) string {
	switch a := a.(type) {
	case nil:
		return "None"
	case *net.TCPAddr:
		if a == nil {
			return "None"
		}
		return ipPort(a.IP, a.Zone, a.Port)
	case *net.UDPAddr:
		if a == nil {
			return "None"
		}
		return ipPort(a.IP, a.Zone, a.Port)
	case *net.UnixAddr:
		if a == nil {
			return "None"
		}
		switch {
		case a.Name == "" || a.Name == "@":
			// Go writes an unnamed socket's address, whose path is
			// empty, as "@"; Python as ''.
			return "''"
		case a.Name[0] == '@':
			return Bytes(append([]byte{0}, a.Name[1:]...))
		}
		return Str(a.Name)
	}
	return Str(a.String())
}

// AddrStr returns Python's str() of the socket address a, what
// '{}'.format(addr) gives: the same as [Addr] except for a Unix socket's
// path, which is written without quotes.
func AddrStr(a net.Addr) string {
	if u, ok := a.(*net.UnixAddr); ok && u != nil {
		switch {
		case u.Name == "" || u.Name == "@": // unnamed
			return ""
		case u.Name[0] != '@':
			return u.Name
		}
	}
	return Addr(a)
}

func ipPort(ip net.IP, zone string, port int) string {
	if ip4 := ip.To4(); ip4 != nil {
		return fmt.Sprintf("(%s, %d)", Str(ip4.String()), port)
	}
	host := ip.String()
	scope := 0
	if zone != "" {
		host += "%" + zone
		if ifi, err := net.InterfaceByName(zone); err == nil {
			scope = ifi.Index
		} else if n, err := strconv.Atoi(zone); err == nil {
			scope = n
		}
	}
	return fmt.Sprintf("(%s, %d, 0, %d)", Str(host), port, scope)
}
