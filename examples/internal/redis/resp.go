package redis

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Kind is a RESP type: the byte that starts a reply's type line.
type Kind byte

// The kinds of RESP2 and RESP3. A RESP2 null bulk string ($-1) or null array
// (*-1) reads as Null, as RESP3's _ does.
const (
	SimpleString Kind = '+'
	Error        Kind = '-'
	Integer      Kind = ':'
	BulkString   Kind = '$'
	Array        Kind = '*'
	Null         Kind = '_' // RESP3
	Boolean      Kind = '#' // RESP3
	Double       Kind = ',' // RESP3
	BigNumber    Kind = '(' // RESP3
	BulkError    Kind = '!' // RESP3
	Verbatim     Kind = '=' // RESP3
	Map          Kind = '%' // RESP3
	Set          Kind = '~' // RESP3
	Push         Kind = '>' // RESP3
	attribute    Kind = '|' // RESP3: read into the next Value's Attrs
)

func (k Kind) String() string {
	switch k {
	case SimpleString:
		return "simple string"
	case Error:
		return "error"
	case Integer:
		return "integer"
	case BulkString:
		return "bulk string"
	case Array:
		return "array"
	case Null:
		return "null"
	case Boolean:
		return "boolean"
	case Double:
		return "double"
	case BigNumber:
		return "big number"
	case BulkError:
		return "bulk error"
	case Verbatim:
		return "verbatim string"
	case Map:
		return "map"
	case Set:
		return "set"
	case Push:
		return "push"
	}
	return fmt.Sprintf("Kind(%q)", byte(k))
}

// Value is one RESP reply.
type Value struct {
	Kind Kind
	// Str is the text of a SimpleString, Error, BulkString, BulkError or
	// Verbatim (with its "txt:" prefix: see [Value.Verbatim]), and of a
	// Double or BigNumber as the server wrote it.
	Str []byte
	// Int is an Integer's value, and a Boolean's: 1 for true, 0 for false.
	Int int64
	// Elems are the elements of an Array, Set or Push, and of a Map its
	// keys and values in turn: key, value, key, value.
	Elems []Value
	// Attrs are the RESP3 attributes that came before the value, keys and
	// values in turn, as in a Map's Elems; nil if none.
	Attrs []Value
}

// Err returns the server's error for an Error or BulkError, and nil for any
// other Value.
func (v Value) Err() error {
	if v.Kind == Error || v.Kind == BulkError {
		return &ServerError{Msg: string(v.Str)}
	}
	return nil
}

// Float returns a Double's value (RESP3 writes inf, -inf and nan as such).
func (v Value) Float() (float64, error) {
	if v.Kind != Double {
		return 0, fmt.Errorf("redis: %v is not a double", v.Kind)
	}
	return strconv.ParseFloat(string(v.Str), 64)
}

// Verbatim splits a Verbatim string into its three-byte format ("txt",
// "mkd") and its text.
func (v Value) Verbatim() (format, text []byte) {
	return v.Str[:3], v.Str[4:]
}

// Clone returns a deep copy of v, which owns all its memory.
func (v Value) Clone() Value {
	if v.Str != nil {
		v.Str = bytes.Clone(v.Str)
	}
	v.Elems = cloneValues(v.Elems)
	v.Attrs = cloneValues(v.Attrs)
	return v
}

func cloneValues(vs []Value) []Value {
	if vs == nil {
		return nil
	}
	out := make([]Value, len(vs))
	for i, e := range vs {
		out[i] = e.Clone()
	}
	return out
}

// ServerError is an error reply from the server ("-ERR unknown command").
type ServerError struct {
	Msg string // the reply's text: "ERR unknown command 'FOO'..."
}

func (e *ServerError) Error() string { return "redis: " + e.Msg }

// ProtocolError reports a reply that breaks RESP. After it, the Client is
// broken: every later call returns it.
type ProtocolError struct {
	Reason string
}

func (e *ProtocolError) Error() string { return "redis: protocol error: " + e.Reason }

// ErrBroken is wrapped by the error of every call on a Client after a reply
// could not be read whole: the connection is somewhere in the middle of a
// reply and must be closed.
var ErrBroken = errors.New("redis: connection broken by an earlier error")

// AppendCommand appends a command, as a RESP array of bulk strings, to dst:
//
//	SET k v  ->  *3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n
func AppendCommand[S ~string | ~[]byte](dst []byte, args ...S) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(len(args)), 10)
	dst = append(dst, "\r\n"...)
	for _, a := range args {
		dst = append(dst, '$')
		dst = strconv.AppendInt(dst, int64(len(a)), 10)
		dst = append(dst, "\r\n"...)
		dst = append(dst, a...)
		dst = append(dst, "\r\n"...)
	}
	return dst
}

// parseInt parses a RESP integer (an optional '-' and decimal digits)
// without converting b to a string, which would allocate.
func parseInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if neg {
		if n > -math.MinInt64 {
			return 0, false
		}
		return -int64(n), true
	}
	if n > math.MaxInt64 {
		return 0, false
	}
	return int64(n), true
}
