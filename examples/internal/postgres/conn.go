package postgres

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/frame"
	"github.com/streamkit/streamkit/netx"
)

// DefaultMaxMessage is the largest message body a Conn reads when
// [Config.MaxMessage] is zero: 64 MiB, eight times frame's default
// maximum, so that rows larger than [frame.DefaultMaxFrame] are read.
const DefaultMaxMessage = 64 << 20

// protocolVersion is the startup message's protocol: 3.0.
const protocolVersion = 3 << 16

// The codecs. The startup message's length counts itself; so does every
// typed message's, after the type byte.
var startupCodec frame.Codec = frame.LengthPrefixed{Adjust: -4}

// Config says whom a Conn logs in as.
type Config struct {
	// User is the role to log in as. It must not be empty.
	User string
	// Database is the database to connect to. If empty, the server uses
	// one named as the User.
	Database string
	// MaxMessage is the largest message body the Conn reads: a DataRow
	// holds a whole row. If zero, DefaultMaxMessage is used. It must not
	// face an untrusted server above a few hundred MiB.
	MaxMessage int
}

// Conn is a connection to a PostgreSQL server, logged in. It is not safe
// for concurrent use.
type Conn struct {
	// Notice, if not nil, is called with each NoticeResponse (a RAISE
	// NOTICE, a warning) that arrives during a Query; the *Error is
	// Notice's to keep. If nil, notices are dropped.
	Notice func(*Error)

	w      *netx.Writer
	fw     *frame.Writer
	fr     *frame.Reader
	params map[string]string
	pid    uint32
	secret uint32
	tx     byte

	qbuf    []byte   // the Query message's body, reused
	rowDesc []byte   // the body of the last RowDescription, to reuse cols
	cols    []Column // its columns
	vals    [][]byte // the values of the current row, reused
	err     error    // sticky: the connection is out of step
	closed  bool
}

// Dial connects to the server at address ("host:port" for "tcp", the
// socket's path for "unix") and logs in as cfg says. ctx bounds the
// connection and the login.
func Dial(ctx context.Context, network, address string, cfg Config) (*Conn, error) {
	r, w, err := netx.Dial(ctx, network, address)
	if err != nil {
		return nil, err
	}
	c, err := New(ctx, r, w, cfg)
	if err != nil {
		w.Close()
		return nil, err
	}
	return c, nil
}

// New logs in over a netx pair that is connected to a server, such as one
// from a netx.Dialer with timeouts of its own, or from netx.Wrap. It sends
// the startup message, accepts trust authentication (AuthenticationOk)
// and reads the ParameterStatus and BackendKeyData messages up to
// ReadyForQuery. An ErrorResponse during the login is returned as an
// *Error; any other authentication request as an *AuthError. If New
// fails, the pair is the caller's to close.
func New(ctx context.Context, r *bufio2.Reader, w *netx.Writer, cfg Config) (*Conn, error) {
	if cfg.User == "" {
		panic("postgres: Config.User is empty")
	}
	max := cfg.MaxMessage
	if max == 0 {
		max = DefaultMaxMessage
	}
	if max < 0 {
		panic("postgres: Config.MaxMessage is negative")
	}
	typed := frame.LengthPrefixed{Offset: 1, Adjust: -4, Max: max}
	c := &Conn{
		w:      w,
		fw:     frame.NewWriter(w, typed),
		fr:     frame.NewReader(r, typed),
		params: map[string]string{},
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("postgres: %w", context.Cause(ctx))
	}
	stop := c.watch(ctx)
	err := c.startup(cfg)
	if stop() {
		err = fmt.Errorf("postgres: %w", context.Cause(ctx))
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Conn) startup(cfg Config) error {
	body := binary.BigEndian.AppendUint32(nil, protocolVersion)
	body = appendCString(appendCString(body, "user"), cfg.User)
	if cfg.Database != "" {
		body = appendCString(appendCString(body, "database"), cfg.Database)
	}
	body = append(body, 0)
	if err := c.fw.WriteFrameWith(startupCodec, body); err != nil {
		return err
	}
	if err := c.fw.Flush(); err != nil {
		return err
	}
	for {
		typ, body, err := c.fr.NextTyped()
		if err != nil {
			return more(err)
		}
		switch typ {
		case 'R':
			if len(body) < 4 {
				return &ProtocolError{fmt.Sprintf("authentication request of %d bytes", len(body))}
			}
			if m := binary.BigEndian.Uint32(body); m != 0 {
				return &AuthError{Method: m}
			}
		case 'S':
			if err := c.parameterStatus(body); err != nil {
				return err
			}
		case 'K':
			if len(body) != 8 {
				return &ProtocolError{fmt.Sprintf("BackendKeyData of %d bytes", len(body))}
			}
			c.pid = binary.BigEndian.Uint32(body)
			c.secret = binary.BigEndian.Uint32(body[4:])
		case 'E':
			return parseError(body)
		case 'N':
			c.notice(body)
		case 'Z':
			return c.readyForQuery(body)
		default:
			return &ProtocolError{fmt.Sprintf("unexpected message %q during startup", typ)}
		}
	}
}

// Param returns the value of a run-time parameter that the server
// reported with ParameterStatus ("server_version", "TimeZone",
// "client_encoding", ...), or "" if it reported none of that name.
func (c *Conn) Param(name string) string { return c.params[name] }

// BackendKey returns the server process's id and the secret key that a
// CancelRequest for this connection needs (BackendKeyData).
func (c *Conn) BackendKey() (pid, secret uint32) { return c.pid, c.secret }

// TxStatus returns the transaction status of the last ReadyForQuery: 'I'
// (idle), 'T' (in a transaction block) or 'E' (in a failed one).
func (c *Conn) TxStatus() byte { return c.tx }

// Close sends Terminate and closes the connection. It is idempotent:
// later calls return nil.
func (c *Conn) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	if c.err == nil {
		c.fw.WriteTyped('X', nil)
		c.fw.Flush()
	}
	return c.w.Close()
}

// Result is the result of one statement of a Query.
type Result struct {
	// Columns describe the rows; nil for a statement that returns none
	// (INSERT, SET, ...).
	Columns []Column
	// Rows hold each row's values in text format, a nil value for NULL.
	Rows [][][]byte
	// Tag is the command tag: "SELECT 3", "INSERT 0 1", "CREATE TABLE".
	Tag string
}

// Query runs sql, which may hold several statements separated by ';',
// with the simple query protocol, and returns one Result per statement;
// the Results are the caller's to keep. An empty query (no statement, only
// white space or comments) returns no Result and a nil error.
//
// When a statement fails, the server runs none after it: Query returns
// the Results of those before it and the server's *Error, and the Conn
// goes on. A ctx that ends while Query waits interrupts it (through the
// connection's read deadline) and breaks the Conn, as does a reply that
// breaks the protocol or is over [Config.MaxMessage]: the Conn is then out
// of step, and every later call returns an error wrapping ErrBroken.
func (c *Conn) Query(ctx context.Context, sql string) ([]Result, error) {
	var res []Result
	err := c.query(ctx, sql, nil, &res)
	return res, err
}

// QueryFunc is [Conn.Query] without the copies: it calls fn with each
// row's values, and the columns of the statement that returned it, instead
// of collecting them. Both are valid only until fn returns: the values
// point into the connection's buffer. A query whose columns are those of
// the last one reads without allocating.
//
// If fn returns an error, QueryFunc calls fn no more, reads the rest of
// the replies so that the Conn stays in step, and returns fn's error.
func (c *Conn) QueryFunc(ctx context.Context, sql string, fn func(cols []Column, values [][]byte) error) error {
	return c.query(ctx, sql, fn, nil)
}

func (c *Conn) query(ctx context.Context, sql string, fn func([]Column, [][]byte) error, res *[]Result) error {
	if c.err != nil {
		return c.err
	}
	if c.closed {
		return ErrClosed
	}
	if ctx.Err() != nil {
		return fmt.Errorf("postgres: %w", context.Cause(ctx))
	}
	if strings.IndexByte(sql, 0) >= 0 {
		return fmt.Errorf("postgres: query holds a NUL byte")
	}
	c.qbuf = append(append(c.qbuf[:0], sql...), 0)
	if err := c.fw.WriteTyped('Q', c.qbuf); err != nil {
		return c.fail(err)
	}
	if err := c.fw.Flush(); err != nil {
		return c.fail(err)
	}
	stop := c.watch(ctx)
	err := c.replies(fn, res)
	if stop() {
		err = fmt.Errorf("postgres: %w", context.Cause(ctx))
		c.err = fmt.Errorf("%w: %w", ErrBroken, err)
	}
	return err
}

// replies reads the replies to a Query up to ReadyForQuery.
func (c *Conn) replies(fn func([]Column, [][]byte) error, res *[]Result) error {
	var qerr error  // the first *Error, or fn's error
	var cur *Result // the Result being filled, or nil
	var cols []Column
	for {
		typ, body, err := c.fr.NextTyped()
		if err != nil {
			return c.fail(more(err))
		}
		switch typ {
		case 'T':
			if cols, err = c.rowDescription(body); err != nil {
				return c.fail(err)
			}
			if res != nil {
				*res = append(*res, Result{Columns: slices.Clone(cols)})
				cur = &(*res)[len(*res)-1]
			}
		case 'D':
			if cols == nil {
				return c.fail(&ProtocolError{"DataRow without a RowDescription"})
			}
			vals, err := c.dataRow(body, len(cols))
			if err != nil {
				return c.fail(err)
			}
			switch {
			case cur != nil:
				cur.Rows = append(cur.Rows, cloneRow(vals))
			case fn != nil && qerr == nil:
				qerr = fn(cols, vals)
			}
		case 'C':
			tag, err := cstring(body)
			if err != nil {
				return c.fail(err)
			}
			if res != nil {
				if cur == nil {
					*res = append(*res, Result{})
					cur = &(*res)[len(*res)-1]
				}
				cur.Tag = string(tag)
			}
			cur, cols = nil, nil
		case 'I': // EmptyQueryResponse
		case 'E':
			if qerr == nil {
				qerr = parseError(body)
			}
		case 'N':
			c.notice(body)
		case 'S':
			if err := c.parameterStatus(body); err != nil {
				return c.fail(err)
			}
		case 'A': // NotificationResponse: LISTEN is not supported; dropped
		case 'Z':
			if err := c.readyForQuery(body); err != nil {
				return c.fail(err)
			}
			return qerr
		default:
			return c.fail(&ProtocolError{fmt.Sprintf("unexpected message %q in reply to a query", typ)})
		}
	}
}

// rowDescription parses a RowDescription into the Conn's columns, reused
// as they are if body is the last one's.
func (c *Conn) rowDescription(body []byte) ([]Column, error) {
	if c.cols != nil && bytes.Equal(body, c.rowDesc) {
		return c.cols, nil
	}
	cols, err := parseRowDescription(body)
	if err != nil {
		return nil, err
	}
	c.rowDesc = append(c.rowDesc[:0], body...)
	c.cols = cols
	return cols, nil
}

// dataRow parses a DataRow of n values into the Conn's values, which point
// into body.
func (c *Conn) dataRow(body []byte, n int) ([][]byte, error) {
	if len(body) < 2 {
		return nil, &ProtocolError{"DataRow shorter than its count"}
	}
	if k := int(binary.BigEndian.Uint16(body)); k != n {
		return nil, &ProtocolError{fmt.Sprintf("DataRow of %d values for %d columns", k, n)}
	}
	vals := c.vals[:0]
	p := body[2:]
	for range n {
		if len(p) < 4 {
			return nil, &ProtocolError{"DataRow ends inside a value's length"}
		}
		l := int32(binary.BigEndian.Uint32(p))
		p = p[4:]
		switch {
		case l == -1:
			vals = append(vals, nil)
			continue
		case l < 0 || int(l) > len(p):
			return nil, &ProtocolError{fmt.Sprintf("DataRow value of %d bytes with %d left", l, len(p))}
		}
		vals = append(vals, p[:l:l])
		p = p[l:]
	}
	if len(p) != 0 {
		return nil, &ProtocolError{fmt.Sprintf("DataRow has %d bytes after its values", len(p))}
	}
	c.vals = vals
	return vals, nil
}

// cloneRow copies a row's values into one allocation for the bytes.
func cloneRow(vals [][]byte) [][]byte {
	n := 0
	for _, v := range vals {
		n += len(v)
	}
	buf := make([]byte, 0, n)
	row := make([][]byte, len(vals))
	for i, v := range vals {
		if v != nil {
			buf = append(buf, v...)
			row[i] = buf[len(buf)-len(v) : len(buf) : len(buf)]
		}
	}
	return row
}

func (c *Conn) parameterStatus(body []byte) error {
	name, rest, err := cstringRest(body)
	if err != nil {
		return err
	}
	value, err := cstring(rest)
	if err != nil {
		return err
	}
	c.params[string(name)] = string(value)
	return nil
}

func (c *Conn) readyForQuery(body []byte) error {
	if len(body) != 1 {
		return &ProtocolError{fmt.Sprintf("ReadyForQuery of %d bytes", len(body))}
	}
	c.tx = body[0]
	return nil
}

func (c *Conn) notice(body []byte) {
	if c.Notice != nil {
		c.Notice(parseError(body))
	}
}

// watch makes ctx's end interrupt the read in progress, by setting the
// connection's read deadline in the past. stop undoes it and reports
// whether it fired.
func (c *Conn) watch(ctx context.Context) (stop func() bool) {
	if ctx.Done() == nil {
		return noWatch
	}
	w := c.w
	cancel := context.AfterFunc(ctx, func() { w.SetReadDeadline(time.Unix(1, 0)) })
	return func() bool { return !cancel() }
}

func noWatch() bool { return false }

// fail breaks the Conn with err.
func (c *Conn) fail(err error) error {
	c.err = fmt.Errorf("%w: %w", ErrBroken, err)
	return err
}

// more turns the end of the stream, where a message must come, into
// io.ErrUnexpectedEOF.
func more(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// ErrBroken is wrapped by the error of every call on a Conn after one
// that left it out of step with the server: a reply cut short, malformed
// or too large, or a ctx that ended while a Query waited.
var ErrBroken = errors.New("postgres: connection broken by an earlier error")

// ErrClosed is returned by a Query on a closed Conn.
var ErrClosed = errors.New("postgres: connection closed")

// IsBroken reports whether err says that a Conn is broken.
func IsBroken(err error) bool { return errors.Is(err, ErrBroken) }
