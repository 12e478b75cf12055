package syslog

import (
	"fmt"
	"strings"
	"time"
)

// Field limits of RFC 5424 (section 6), in bytes.
const (
	MaxHostname = 255
	MaxAppName  = 48
	MaxProcID   = 128
	MaxMsgID    = 32
	// MaxPriority is the largest PRI: facility 23, severity 7.
	MaxPriority = 191
)

// Framing is how a message was framed on the stream (RFC 6587 section 3.4).
type Framing int

const (
	// OctetCounted is "<length> <message>" (RFC 6587 section 3.4.1).
	OctetCounted Framing = iota + 1
	// NonTransparent is "<message>\n" (RFC 6587 section 3.4.2).
	NonTransparent
)

func (f Framing) String() string {
	switch f {
	case OctetCounted:
		return "octet-counted"
	case NonTransparent:
		return "non-transparent"
	}
	return fmt.Sprintf("Framing(%d)", int(f))
}

// Message is one syslog message. Its strings share one copy of the frame
// (one allocation per message); the Message is the caller's to keep.
type Message struct {
	Framing  Framing // how the message arrived; zero from Parse
	Priority int     // PRI: Facility*8 + Severity, 0 to MaxPriority
	// Version is 1 for an RFC 5424 message and 0 for an RFC 3164 (BSD) one.
	Version int
	// Timestamp is the message's time; zero if the message has none (RFC
	// 5424's "-", or an RFC 3164 message whose header does not parse). An
	// RFC 3164 "Mmm dd hh:mm:ss" timestamp has no year: its year is 0.
	Timestamp time.Time
	// Hostname, AppName, ProcID and MsgID are the header's fields, "" for
	// RFC 5424's NILVALUE "-". In an RFC 3164 message, AppName and ProcID
	// come from the tag, "app[pid]:", and MsgID is always "".
	Hostname, AppName, ProcID, MsgID string
	// StructuredData is RFC 5424's STRUCTURED-DATA as it was sent, one or
	// more "[id param=\"value\"...]" elements; "" for "-" and in RFC 3164.
	StructuredData string
	// Msg is the free text, without RFC 5424's UTF-8 byte order mark and
	// without one trailing LF (rsyslog's RFC 5424 template ends each
	// octet-counted message with one).
	Msg string
}

// Facility returns the facility of the message's priority (0 kern, 1 user,
// ..., 16 to 23 local0 to local7).
func (m Message) Facility() int { return m.Priority >> 3 }

// Severity returns the severity of the message's priority (0 emerg to 7
// debug).
func (m Message) Severity() int { return m.Priority & 7 }

// ParseError reports a message whose header breaks RFC 5424 or RFC 3164.
// The framing is intact: the next message can be read.
type ParseError struct {
	Offset int    // of the offending byte, in the message
	Reason string // what is wrong
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("syslog: malformed message at byte %d: %s", e.Offset, e.Reason)
}

const bom = "\xef\xbb\xbf"

// Parse parses one message, RFC 5424 if a version follows its PRI, else
// RFC 3164. Every message starts with a PRI, "<0>" to "<191>"; after it, an
// RFC 5424 header that breaks the format is a *ParseError, while an RFC
// 3164 header is parsed as far as it goes (RFC 3164 section 4.3.3: a relay
// takes what it cannot parse as the text).
func Parse(b []byte) (Message, error) {
	s := string(b) // the one copy; every field is a substring of it
	m := Message{}
	pri, i, err := parsePRI(s)
	if err != nil {
		return Message{}, err
	}
	m.Priority = pri
	// VERSION = NONZERO-DIGIT 0*2DIGIT, then SP. An RFC 3164 message may
	// have an RFC 3339 timestamp here instead ("2003-..."), whose digits are
	// followed by '-', never by a space.
	j := i
	for j < len(s) && j-i < 3 && isDigit(s[j]) {
		j++
	}
	if j > i && s[i] != '0' && j < len(s) && s[j] == ' ' {
		for _, c := range s[i:j] {
			m.Version = m.Version*10 + int(c-'0')
		}
		return m, parse5424(&m, s, j+1)
	}
	parse3164(&m, s, i)
	return m, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// parsePRI parses "<PRIVAL>" and returns its value and the offset after it.
func parsePRI(s string) (int, int, error) {
	if len(s) == 0 || s[0] != '<' {
		return 0, 0, &ParseError{0, "no PRI: the message does not start with '<'"}
	}
	n, i := 0, 1
	for i < len(s) && i <= 4 && isDigit(s[i]) {
		n = n*10 + int(s[i]-'0')
		i++
	}
	switch {
	case i == 1:
		return 0, 0, &ParseError{1, "PRI has no digits"}
	case i >= len(s) || s[i] != '>':
		return 0, 0, &ParseError{i, "PRI is not closed by '>' after at most 3 digits"}
	case n > MaxPriority:
		return 0, 0, &ParseError{1, fmt.Sprintf("PRI %d is over %d", n, MaxPriority)}
	}
	return n, i + 1, nil
}

// field returns the token of s at i up to the next space (or the end), and
// the offset after that space.
func field(s string, i int) (tok string, next int, ok bool) {
	if i >= len(s) {
		return "", i, false
	}
	j := strings.IndexByte(s[i:], ' ')
	if j < 0 {
		return s[i:], len(s), true
	}
	return s[i : i+j], i + j + 1, true
}

// parse5424 parses the rest of an RFC 5424 header, from i (after
// VERSION SP):
//
//	TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP STRUCTURED-DATA [SP MSG]
func parse5424(m *Message, s string, i int) error {
	ts, i, ok := field(s, i)
	if !ok {
		return &ParseError{i, "no TIMESTAMP"}
	}
	if ts != "-" {
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return &ParseError{i - len(ts) - 1, fmt.Sprintf("TIMESTAMP %q is not RFC 3339", ts)}
		}
		m.Timestamp = t
	}
	for _, f := range []struct {
		dst  *string
		name string
		max  int
	}{{&m.Hostname, "HOSTNAME", MaxHostname}, {&m.AppName, "APP-NAME", MaxAppName}, {&m.ProcID, "PROCID", MaxProcID}, {&m.MsgID, "MSGID", MaxMsgID}} {
		start := i
		tok, next, ok := field(s, i)
		if !ok || tok == "" {
			return &ParseError{start, "no " + f.name}
		}
		if len(tok) > f.max {
			return &ParseError{start, fmt.Sprintf("%s of %d bytes is over %d", f.name, len(tok), f.max)}
		}
		for k := 0; k < len(tok); k++ {
			if tok[k] < 33 || tok[k] > 126 {
				return &ParseError{start + k, fmt.Sprintf("%s holds byte %#x, not PRINTUSASCII", f.name, tok[k])}
			}
		}
		if tok != "-" {
			*f.dst = tok
		}
		i = next
	}
	if i >= len(s) {
		return &ParseError{i, "no STRUCTURED-DATA"}
	}
	end, err := structuredData(s, i)
	if err != nil {
		return err
	}
	if s[i] != '-' {
		m.StructuredData = s[i:end]
	}
	switch {
	case end == len(s):
	case s[end] != ' ':
		return &ParseError{end, "STRUCTURED-DATA is not followed by a space"}
	default:
		m.Msg = trimLF(strings.TrimPrefix(s[end+1:], bom))
	}
	return nil
}

// structuredData returns the end of the STRUCTURED-DATA at i: "-", or one
// or more "[SD-ID *(SP PARAM-NAME="PARAM-VALUE")]", where a value escapes
// '"', '\' and ']' with '\'.
func structuredData(s string, i int) (int, error) {
	if s[i] == '-' {
		return i + 1, nil
	}
	if s[i] != '[' {
		return 0, &ParseError{i, "STRUCTURED-DATA is neither '-' nor '['"}
	}
	for i < len(s) && s[i] == '[' {
		start := i
		quoted := false
		for i++; ; i++ {
			if i >= len(s) {
				return 0, &ParseError{start, "SD-ELEMENT is not closed by ']'"}
			}
			c := s[i]
			if quoted && c == '\\' {
				i++ // the escaped byte
				continue
			}
			if c == '"' {
				quoted = !quoted
			}
			if !quoted && c == ']' {
				i++
				break
			}
		}
	}
	return i, nil
}

// parse3164 parses an RFC 3164 header from i (after the PRI), as far as it
// goes:
//
//	TIMESTAMP SP HOSTNAME SP TAG["[" PID "]"][":"][SP] MSG
//
// TIMESTAMP is "Mmm dd hh:mm:ss" or, as rsyslog forwards it, RFC 3339.
// Without a timestamp, the rest is all text.
func parse3164(m *Message, s string, i int) {
	switch {
	case len(s)-i >= 16 && s[i+15] == ' ':
		if t, err := time.Parse(time.Stamp, s[i:i+15]); err == nil {
			m.Timestamp = t
			i += 16
			break
		}
		fallthrough
	default:
		tok, next, _ := field(s, i)
		t, err := time.Parse(time.RFC3339Nano, tok)
		if err != nil {
			m.Msg = trimLF(s[i:])
			return
		}
		m.Timestamp = t
		i = next
	}
	m.Hostname, i, _ = field(s, i)
	// The tag: up to '[', ':' or a space.
	j := i
	for j < len(s) && s[j] != '[' && s[j] != ':' && s[j] != ' ' {
		j++
	}
	m.AppName = s[i:j]
	if j < len(s) && s[j] == '[' {
		if k := strings.IndexByte(s[j:], ']'); k > 0 {
			m.ProcID = s[j+1 : j+k]
			j += k + 1
		}
	}
	if j < len(s) && s[j] == ':' {
		j++
	}
	if j < len(s) && s[j] == ' ' {
		j++
	}
	m.Msg = trimLF(s[j:])
}

func trimLF(s string) string { return strings.TrimSuffix(s, "\n") }
