package dns

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Type is a resource record type (RFC 1035 section 3.2.2).
type Type uint16

// The types this package knows by name; any other is read as it is.
const (
	TypeA     Type = 1
	TypeNS    Type = 2
	TypeCNAME Type = 5
	TypeSOA   Type = 6
	TypeAAAA  Type = 28
)

// ClassINET is the Internet class, IN.
const ClassINET = 1

// Rcode is a response code (RFC 1035 section 4.1.1).
type Rcode uint8

const (
	RcodeSuccess        Rcode = 0
	RcodeFormatError    Rcode = 1
	RcodeServerFailure  Rcode = 2
	RcodeNameError      Rcode = 3 // NXDOMAIN: the name does not exist
	RcodeNotImplemented Rcode = 4
	RcodeRefused        Rcode = 5
)

func (r Rcode) String() string {
	switch r {
	case RcodeSuccess:
		return "NOERROR"
	case RcodeFormatError:
		return "FORMERR"
	case RcodeServerFailure:
		return "SERVFAIL"
	case RcodeNameError:
		return "NXDOMAIN"
	case RcodeNotImplemented:
		return "NOTIMP"
	case RcodeRefused:
		return "REFUSED"
	}
	return fmt.Sprintf("RCODE%d", uint8(r))
}

// Limits of RFC 1035 section 2.3.4.
const (
	MaxName  = 255 // bytes of a name on the wire
	MaxLabel = 63  // bytes of a label
	// MaxMessage is the largest message over TCP: its 2-byte length
	// prefix counts at most 65535 bytes.
	MaxMessage = 65535
)

const headerLen = 12

// Question is one entry of a message's question section.
type Question struct {
	Name  string // fully qualified, with its final dot: "example.test."
	Type  Type
	Class uint16
}

// RR is one resource record.
type RR struct {
	Name  string
	Type  Type
	Class uint16
	TTL   uint32
	Data  []byte // RDATA as sent, the message's own copy
}

// Addr returns an A or AAAA record's address.
func (rr RR) Addr() (netip.Addr, bool) {
	switch {
	case rr.Type == TypeA && len(rr.Data) == 4:
		return netip.AddrFrom4([4]byte(rr.Data)), true
	case rr.Type == TypeAAAA && len(rr.Data) == 16:
		return netip.AddrFrom16([16]byte(rr.Data)), true
	}
	return netip.Addr{}, false
}

// Message is a DNS message (RFC 1035 section 4.1).
type Message struct {
	ID                 uint16
	Response           bool // QR
	Opcode             uint8
	Authoritative      bool // AA
	Truncated          bool // TC
	RecursionDesired   bool // RD
	RecursionAvailable bool // RA
	Rcode              Rcode
	Questions          []Question
	Answers            []RR
	Authorities        []RR
	Additionals        []RR
}

// The errors that a *FormatError wraps, to be matched with errors.Is.
var (
	// ErrShort: the message ends inside its header, a name, a record, or
	// a record's RDATA that its RDLENGTH declares.
	ErrShort = errors.New("dns: message too short")
	// ErrPointerLoop: a compression pointer does not point before the
	// labels it ends. Names may only point back to what came before, so a
	// loop, which needs one that does not, is refused at that pointer.
	ErrPointerLoop = errors.New("dns: compression pointer does not point back")
	// ErrPointerRange: a compression pointer points past the message's
	// end.
	ErrPointerRange = errors.New("dns: compression pointer out of range")
	// ErrBadName: a name over MaxName bytes, a reserved label type (0x40,
	// 0x80), or, in a query to be built, an empty or overlong label.
	ErrBadName = errors.New("dns: malformed name")
)

// FormatError reports a message that breaks RFC 1035: at Offset, in the
// message, Err (one of ErrShort, ErrPointerLoop, ErrPointerRange,
// ErrBadName) happened.
type FormatError struct {
	Offset int
	Err    error
	Detail string
}

func (e *FormatError) Error() string {
	s := fmt.Sprintf("%v at byte %d", e.Err, e.Offset)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

func (e *FormatError) Unwrap() error { return e.Err }

// AppendQuery appends a query for name's records of type t, with recursion
// desired, to dst. name may end with a dot or not.
func AppendQuery(dst []byte, id uint16, name string, t Type) ([]byte, error) {
	start := len(dst)
	dst = binary.BigEndian.AppendUint16(dst, id)
	dst = append(dst, 0x01, 0x00) // RD
	dst = append(dst, 0, 1, 0, 0, 0, 0, 0, 0)
	name = strings.TrimSuffix(name, ".")
	n := 1
	for name != "" {
		label, rest, _ := strings.Cut(name, ".")
		if len(label) == 0 || len(label) > MaxLabel {
			return dst[:start], &FormatError{Offset: len(dst) - start, Err: ErrBadName, Detail: fmt.Sprintf("label %q of %d bytes", label, len(label))}
		}
		n += 1 + len(label)
		dst = append(dst, byte(len(label)))
		dst = append(dst, label...)
		name = rest
	}
	if n > MaxName {
		return dst[:start], &FormatError{Offset: headerLen, Err: ErrBadName, Detail: fmt.Sprintf("name of %d bytes is over %d", n, MaxName)}
	}
	dst = append(dst, 0)
	dst = binary.BigEndian.AppendUint16(dst, uint16(t))
	dst = binary.BigEndian.AppendUint16(dst, ClassINET)
	return dst, nil
}

// Parse parses a message. It never reads outside msg, nor allocates more
// than msg's own size in records whatever its counts claim: a count past
// what the message holds is ErrShort.
func Parse(msg []byte) (*Message, error) {
	if len(msg) < headerLen {
		return nil, &FormatError{Offset: len(msg), Err: ErrShort, Detail: fmt.Sprintf("header of %d bytes, want %d", len(msg), headerLen)}
	}
	flags := binary.BigEndian.Uint16(msg[2:])
	m := &Message{
		ID:                 binary.BigEndian.Uint16(msg),
		Response:           flags&0x8000 != 0,
		Opcode:             uint8(flags>>11) & 0xf,
		Authoritative:      flags&0x0400 != 0,
		Truncated:          flags&0x0200 != 0,
		RecursionDesired:   flags&0x0100 != 0,
		RecursionAvailable: flags&0x0080 != 0,
		Rcode:              Rcode(flags & 0xf),
	}
	qd := int(binary.BigEndian.Uint16(msg[4:]))
	counts := [3]int{int(binary.BigEndian.Uint16(msg[6:])), int(binary.BigEndian.Uint16(msg[8:])), int(binary.BigEndian.Uint16(msg[10:]))}
	off := headerLen
	for range qd {
		name, next, err := readName(msg, off)
		if err != nil {
			return nil, err
		}
		if next+4 > len(msg) {
			return nil, &FormatError{Offset: len(msg), Err: ErrShort, Detail: "question cut short"}
		}
		m.Questions = append(m.Questions, Question{Name: name, Type: Type(binary.BigEndian.Uint16(msg[next:])), Class: binary.BigEndian.Uint16(msg[next+2:])})
		off = next + 4
	}
	sections := [3]*[]RR{&m.Answers, &m.Authorities, &m.Additionals}
	for s, n := range counts {
		for range n {
			name, next, err := readName(msg, off)
			if err != nil {
				return nil, err
			}
			if next+10 > len(msg) {
				return nil, &FormatError{Offset: len(msg), Err: ErrShort, Detail: "record cut short"}
			}
			rdlen := int(binary.BigEndian.Uint16(msg[next+8:]))
			end := next + 10 + rdlen
			if end > len(msg) {
				return nil, &FormatError{Offset: next + 8, Err: ErrShort, Detail: fmt.Sprintf("RDLENGTH %d, %d bytes left", rdlen, len(msg)-next-10)}
			}
			*sections[s] = append(*sections[s], RR{
				Name:  name,
				Type:  Type(binary.BigEndian.Uint16(msg[next:])),
				Class: binary.BigEndian.Uint16(msg[next+2:]),
				TTL:   binary.BigEndian.Uint32(msg[next+4:]),
				Data:  append([]byte(nil), msg[next+10:end]...),
			})
			off = end
		}
	}
	return m, nil
}

// readName reads the name at off, following compression pointers (RFC 1035
// section 4.1.4), and returns it with its final dot and the offset after
// it where it is (after its first pointer, if any).
//
// Each pointer must point before the start of the labels it ends (the
// name's start, or the previous pointer's target): a compressed name
// points to one written earlier in the message. So every jump lands
// before the last, the walk ends, and a loop, which needs a jump that does
// not, is refused at that jump.
func readName(msg []byte, off int) (string, int, error) {
	var buf [MaxName]byte
	n := 0     // bytes of buf used
	wire := 1  // the name's length on the wire, labels and final zero
	next := -1 // where the name ends in the record, once a pointer is taken
	seg := off // where the labels being read start
	for {
		if off >= len(msg) {
			return "", 0, &FormatError{Offset: off, Err: ErrShort, Detail: "name cut short"}
		}
		c := msg[off]
		switch c & 0xc0 {
		case 0x00:
			if c == 0 {
				if next < 0 {
					next = off + 1
				}
				if n == 0 {
					return ".", next, nil
				}
				return string(buf[:n]), next, nil
			}
			l := int(c)
			if off+1+l > len(msg) {
				return "", 0, &FormatError{Offset: off, Err: ErrShort, Detail: fmt.Sprintf("label of %d bytes, %d left", l, len(msg)-off-1)}
			}
			wire += 1 + l
			if wire > MaxName {
				return "", 0, &FormatError{Offset: off, Err: ErrBadName, Detail: fmt.Sprintf("name over %d bytes", MaxName)}
			}
			n += copy(buf[n:], msg[off+1:off+1+l])
			buf[n] = '.'
			n++
			off += 1 + l
		case 0xc0:
			if off+2 > len(msg) {
				return "", 0, &FormatError{Offset: off, Err: ErrShort, Detail: "pointer cut short"}
			}
			to := int(binary.BigEndian.Uint16(msg[off:]) & 0x3fff)
			switch {
			case to >= len(msg):
				return "", 0, &FormatError{Offset: off, Err: ErrPointerRange, Detail: fmt.Sprintf("to %d in a message of %d bytes", to, len(msg))}
			case to >= seg:
				return "", 0, &FormatError{Offset: off, Err: ErrPointerLoop, Detail: fmt.Sprintf("to %d, not before %d", to, seg)}
			}
			if next < 0 {
				next = off + 2
			}
			off, seg = to, to
		default:
			return "", 0, &FormatError{Offset: off, Err: ErrBadName, Detail: fmt.Sprintf("reserved label type %#x", c&0xc0)}
		}
	}
}
