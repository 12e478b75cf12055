package postgres

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
)

// Column describes one column of a result: a field of RowDescription.
type Column struct {
	Name     string
	Table    uint32 // the OID of the table it comes from, or 0
	Attr     int16  // its attribute number in that table, or 0
	Type     uint32 // the OID of its data type: 23 for int4, 25 for text
	Size     int16  // the type's size (pg_type.typlen); negative for a variable size
	Modifier int32  // the type modifier (pg_attribute.atttypmod)
	Format   int16  // 0: text; the simple query protocol sends text
}

// parseRowDescription parses a RowDescription's body.
func parseRowDescription(body []byte) ([]Column, error) {
	if len(body) < 2 {
		return nil, &ProtocolError{"RowDescription shorter than its count"}
	}
	n := int(binary.BigEndian.Uint16(body))
	p := body[2:]
	// Each field takes at least 19 bytes: never allocate from the count alone.
	if n > len(p)/19 {
		return nil, &ProtocolError{fmt.Sprintf("RowDescription of %d fields in %d bytes", n, len(p))}
	}
	cols := make([]Column, n)
	for i := range cols {
		name, rest, err := cstringRest(p)
		if err != nil || len(rest) < 18 {
			return nil, &ProtocolError{fmt.Sprintf("RowDescription ends inside field %d", i)}
		}
		cols[i] = Column{
			Name:     string(name),
			Table:    binary.BigEndian.Uint32(rest),
			Attr:     int16(binary.BigEndian.Uint16(rest[4:])),
			Type:     binary.BigEndian.Uint32(rest[6:]),
			Size:     int16(binary.BigEndian.Uint16(rest[10:])),
			Modifier: int32(binary.BigEndian.Uint32(rest[12:])),
			Format:   int16(binary.BigEndian.Uint16(rest[16:])),
		}
		p = rest[18:]
	}
	if len(p) != 0 {
		return nil, &ProtocolError{fmt.Sprintf("RowDescription has %d bytes after its fields", len(p))}
	}
	return cols, nil
}

// Error is an ErrorResponse (or, passed to [Conn.Notice], a
// NoticeResponse) from the server. Match it with errors.As:
//
//	var pgErr *postgres.Error
//	if errors.As(err, &pgErr) && pgErr.Code == "22012" { // division_by_zero
type Error struct {
	Severity string // ERROR, FATAL, PANIC; WARNING, NOTICE, ... in a notice (not localized)
	Code     string // the SQLSTATE: "22012", "42601", "3D000"
	Message  string // the primary message
	Detail   string // optional
	Hint     string // optional
	Position string // optional: a 1-based index into the query text
	// Fields holds every field of the message by its type byte, those
	// above included ('S', 'V', 'C', 'M', 'D', 'H', 'P', 'W', 's', 't',
	// 'c', 'F', 'L', 'R', ...).
	Fields map[byte]string
}

func (e *Error) Error() string {
	return fmt.Sprintf("postgres: %s: %s (SQLSTATE %s)", e.Severity, e.Message, e.Code)
}

// parseError parses the fields of an ErrorResponse or a NoticeResponse. A
// body that does not end as it should keeps the fields read so far: the
// server's report is worth more than a complaint about its form.
func parseError(body []byte) *Error {
	e := &Error{Fields: map[byte]string{}}
	for len(body) > 0 && body[0] != 0 {
		code := body[0]
		v, rest, err := cstringRest(body[1:])
		if err != nil {
			v, rest = body[1:], nil
		}
		e.Fields[code] = string(v)
		body = rest
	}
	e.Severity = e.Fields['V']
	if e.Severity == "" {
		e.Severity = e.Fields['S'] // servers before 9.6 send only the localized one
	}
	e.Code, e.Message = e.Fields['C'], e.Fields['M']
	e.Detail, e.Hint, e.Position = e.Fields['D'], e.Fields['H'], e.Fields['P']
	return e
}

// AuthError is an authentication request the client does not answer:
// this client takes trust authentication only (AuthenticationOk).
type AuthError struct {
	Method uint32 // the request: 3 cleartext password, 5 MD5, 10 SASL, ...
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("postgres: the server asks for authentication method %d; only trust (0) is supported", e.Method)
}

// ProtocolError reports a message that breaks the protocol. After it, the
// Conn is broken.
type ProtocolError struct {
	Reason string
}

func (e *ProtocolError) Error() string { return "postgres: protocol error: " + e.Reason }

// cstringRest splits a NUL-terminated string off the start of p.
func cstringRest(p []byte) (s, rest []byte, err error) {
	i := bytes.IndexByte(p, 0)
	if i < 0 {
		return nil, nil, &ProtocolError{fmt.Sprintf("string %q has no NUL", clip(p))}
	}
	return p[:i], p[i+1:], nil
}

// cstring returns the NUL-terminated string that p holds, and nothing else.
func cstring(p []byte) ([]byte, error) {
	s, rest, err := cstringRest(p)
	if err == nil && len(rest) != 0 {
		err = &ProtocolError{fmt.Sprintf("%d bytes after string %q", len(rest), clip(s))}
	}
	return s, err
}

func appendCString(dst []byte, s string) []byte {
	if strings.IndexByte(s, 0) >= 0 {
		panic(fmt.Sprintf("postgres: %q holds a NUL byte", s))
	}
	return append(append(dst, s...), 0)
}

// clip shortens p for an error message.
func clip(p []byte) []byte {
	if len(p) > 64 {
		return p[:64]
	}
	return p
}
