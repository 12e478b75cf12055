// The tests against an in-process fake server over net.Pipe, for what a
// real server does not do on demand: messages cut at every place, errors
// during the login, messages cut short, lengths that lie.
package postgres_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/examples/internal/postgres"
	"github.com/streamkit/streamkit/frame"
	"github.com/streamkit/streamkit/fuzz"
	"github.com/streamkit/streamkit/internal/testenv"
	"github.com/streamkit/streamkit/netx"
)

// The server's side of the framing: the same codecs, read with the same
// calls.
var (
	startupCodec = frame.LengthPrefixed{Adjust: -4}
	typedCodec   = frame.LengthPrefixed{Offset: 1, Adjust: -4}
)

// msg encodes one typed message.
func msg(typ byte, body ...[]byte) []byte {
	var b bytes.Buffer
	w := frame.NewWriter(&b, typedCodec)
	if err := w.WriteTyped(typ, bytes.Join(body, nil)); err != nil {
		panic(err)
	}
	w.Flush()
	return b.Bytes()
}

func u32(v uint32) []byte  { return binary.BigEndian.AppendUint32(nil, v) }
func u16(v uint16) []byte  { return binary.BigEndian.AppendUint16(nil, v) }
func cstr(s string) []byte { return append([]byte(s), 0) }

// rowDescription describes text columns of the given names.
func rowDescription(names ...string) []byte {
	body := u16(uint16(len(names)))
	for _, n := range names {
		body = append(body, cstr(n)...)
		body = append(body, u32(0)...)          // table
		body = append(body, u16(0)...)          // attribute
		body = append(body, u32(25)...)         // text
		body = append(body, u16(0xffff)...)     // size -1
		body = append(body, u32(0xffffffff)...) // modifier -1
		body = append(body, u16(0)...)          // text format
	}
	return msg('T', body)
}

// dataRow holds the values given, "NULL" for NULL.
func dataRow(vals ...string) []byte {
	body := u16(uint16(len(vals)))
	for _, v := range vals {
		if v == "NULL" {
			body = append(body, u32(0xffffffff)...)
			continue
		}
		body = append(body, u32(uint32(len(v)))...)
		body = append(body, v...)
	}
	return msg('D', body)
}

func errorResponse(severity, code, message string) []byte {
	return msg('E', []byte{'S'}, cstr(severity), []byte{'V'}, cstr(severity), []byte{'C'}, cstr(code), []byte{'M'}, cstr(message), []byte{0})
}

var (
	authOK = msg('R', u32(0))
	login  = bytes.Join([][]byte{
		authOK,
		msg('S', cstr("server_version"), cstr("15.0 (fake)")),
		msg('S', cstr("client_encoding"), cstr("UTF8")),
		msg('K', u32(4242), u32(77)),
		msg('Z', []byte("I")),
	}, nil)
)

// fakeServer is the server's end of a net.Pipe.
type fakeServer struct {
	conn net.Conn
	br   *bufio2.Reader
	fr   *frame.Reader
	cut  fuzz.Chunking // how send cuts its writes
}

// readStartup reads the startup message and returns its parameters.
func (s *fakeServer) readStartup() (map[string]string, error) {
	body, err := frame.NewReader(s.br, startupCodec).Next()
	if err != nil {
		return nil, err
	}
	if len(body) < 5 || binary.BigEndian.Uint32(body) != 3<<16 {
		return nil, fmt.Errorf("startup message %q", body)
	}
	params := map[string]string{}
	parts := bytes.Split(body[4:len(body)-1], []byte{0})
	for i := 0; i+1 < len(parts); i += 2 {
		params[string(parts[i])] = string(parts[i+1])
	}
	return params, nil
}

// read reads one typed message.
func (s *fakeServer) read() (byte, string, error) {
	typ, body, err := s.fr.NextTyped()
	return typ, string(body), err
}

// send writes data, one Write per piece of the server's Chunking: over
// net.Pipe, each Write reaches the client as reads of its own.
func (s *fakeServer) send(data ...[]byte) error {
	for _, p := range s.cut.Split(bytes.Join(data, nil)) {
		if _, err := s.conn.Write(p); err != nil {
			return err
		}
	}
	return nil
}

// fake starts a fake server that runs script, then reads on to the end
// of the stream, and returns the client's end as a netx pair. The server
// is joined, and its error reported, at the end of the test.
func fake(t *testing.T, cut fuzz.Chunking, script func(s *fakeServer) error) (*bufio2.Reader, *netx.Writer) {
	t.Helper()
	client, server := net.Pipe()
	s := &fakeServer{conn: server, br: bufio2.NewReader(server), cut: cut}
	s.fr = frame.NewReader(s.br, typedCodec)
	done := make(chan error, 1)
	go func() {
		defer server.Close()
		err := script(s)
		if err == nil {
			_, err = io.Copy(io.Discard, s.br)
		}
		done <- err
	}()
	r, w := netx.Wrap(client, 0)
	t.Cleanup(func() {
		w.Close()
		if err := <-done; err != nil && !errors.Is(err, io.ErrClosedPipe) {
			t.Errorf("fake server: %v", err)
		}
	})
	return r, w
}

func newConn(t *testing.T, r *bufio2.Reader, w *netx.Writer) (*postgres.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return postgres.New(ctx, r, w, postgres.Config{User: "alice", Database: "db"})
}

// outcome is what a session with the fake server gives, for comparisons.
type outcome struct {
	Params  [2]string
	PID     uint32
	Results []postgres.Result
	Err     string
	Notices []string
	After   []postgres.Result
}

// session logs in, runs a query and then a second one, against a server
// that answers the first with two results, a notice and an error.
func session(t *testing.T, cut fuzz.Chunking) outcome {
	r, w := fake(t, cut, func(s *fakeServer) error {
		params, err := s.readStartup()
		if err != nil {
			return err
		}
		if params["user"] != "alice" || params["database"] != "db" {
			return fmt.Errorf("startup parameters %v", params)
		}
		if err := s.send(login); err != nil {
			return err
		}
		if typ, q, err := s.read(); err != nil || typ != 'Q' || q != "SELECT a, b; SELECT 1; SELECT 1/0\x00" {
			return fmt.Errorf("query %q %q, %v", typ, q, err)
		}
		err = s.send(
			rowDescription("a", "b"),
			dataRow("1", "one"), dataRow("NULL", ""), dataRow("3", string(bytes.Repeat([]byte("z"), 300))),
			msg('C', cstr("SELECT 3")),
			msg('N', []byte("SNOTICE\x00VNOTICE\x00C00000\x00Mnote\x00\x00")),
			rowDescription("?column?"), dataRow("1"), msg('C', cstr("SELECT 1")),
			errorResponse("ERROR", "22012", "division by zero"),
			msg('Z', []byte("I")),
		)
		if err != nil {
			return err
		}
		if typ, q, err := s.read(); err != nil || typ != 'Q' || q != "\x00" {
			return fmt.Errorf("query %q %q, %v", typ, q, err)
		}
		if err := s.send(msg('I'), msg('Z', []byte("I"))); err != nil {
			return err
		}
		if typ, _, err := s.read(); err != nil || typ != 'X' {
			return fmt.Errorf("Terminate: %q, %v", typ, err)
		}
		return nil
	})
	c, err := newConn(t, r, w)
	if err != nil {
		t.Fatalf("%v: login: %v", cut, err)
	}
	var o outcome
	c.Notice = func(e *postgres.Error) { o.Notices = append(o.Notices, e.Severity+" "+e.Message) }
	o.Params = [2]string{c.Param("server_version"), c.Param("client_encoding")}
	o.PID, _ = c.BackendKey()
	var qerr error
	o.Results, qerr = c.Query(context.Background(), "SELECT a, b; SELECT 1; SELECT 1/0")
	var pgErr *postgres.Error
	if errors.As(qerr, &pgErr) {
		o.Err = pgErr.Code
	} else if qerr != nil {
		o.Err = qerr.Error()
	}
	if o.After, err = c.Query(context.Background(), ""); err != nil {
		o.Err += "; then " + err.Error()
	}
	if err := c.Close(); err != nil {
		t.Errorf("%v: Close: %v", cut, err)
	}
	return o
}

// TestChunking runs a session with the server's messages cut into
// writes at every place: the client reads the same whatever the cuts.
func TestChunking(t *testing.T) {
	testenv.Watchdog(t, 2*time.Minute)
	want := session(t, fuzz.Chunking{})
	if want.PID != 4242 || want.Err != "22012" || len(want.Results) != 2 || len(want.Results[0].Rows) != 3 ||
		want.Results[0].Rows[1][0] != nil || want.Results[0].Rows[1][1] == nil || len(want.Notices) != 1 || len(want.After) != 0 {
		t.Fatalf("the session in one write: %+v", want)
	}
	cuts := []fuzz.Chunking{fuzz.OneByte(), fuzz.Halves(len(login)), {Rest: 7}}
	for i := range len(login) + 40 {
		cuts = append(cuts, fuzz.Cut(i))
	}
	for seed := range uint64(8) {
		cuts = append(cuts, fuzz.Random(600, seed))
	}
	for _, cut := range cuts {
		if diff := cmp.Diff(want, session(t, cut), sameBytes); diff != "" {
			t.Fatalf("written as %v (-one write +cut):\n%s", cut, diff)
		}
	}
}

// TestStartupErrorFake: an ErrorResponse in place of the authentication
// is the login's *postgres.Error; an authentication request other than
// AuthenticationOk is an *postgres.AuthError.
func TestStartupErrorFake(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	r, w := fake(t, fuzz.OneByte(), func(s *fakeServer) error {
		if _, err := s.readStartup(); err != nil {
			return err
		}
		return s.send(errorResponse("FATAL", "28000", `role "alice" does not exist`))
	})
	_, err := newConn(t, r, w)
	var pgErr *postgres.Error
	if !errors.As(err, &pgErr) || pgErr.Code != "28000" || pgErr.Severity != "FATAL" || pgErr.Message != `role "alice" does not exist` {
		t.Errorf("login answered by an ErrorResponse: %v, want FATAL 28000", err)
	}

	r, w = fake(t, fuzz.Chunking{}, func(s *fakeServer) error {
		if _, err := s.readStartup(); err != nil {
			return err
		}
		return s.send(msg('R', u32(5), []byte("salt"))) // MD5
	})
	_, err = newConn(t, r, w)
	var authErr *postgres.AuthError
	if !errors.As(err, &authErr) || authErr.Method != 5 {
		t.Errorf("login answered by an MD5 request: %v, want *AuthError{5}", err)
	}
}

// afterLogin is a script that logs the client in and then runs rest.
func afterLogin(rest func(s *fakeServer) error) func(s *fakeServer) error {
	return func(s *fakeServer) error {
		if _, err := s.readStartup(); err != nil {
			return err
		}
		if err := s.send(login); err != nil {
			return err
		}
		if _, _, err := s.read(); err != nil { // the query
			return err
		}
		return rest(s)
	}
}

// TestTruncated: a stream that ends inside a message is an
// *errs.IncompleteReadError (io.ErrUnexpectedEOF), and breaks the Conn;
// one that ends between messages is io.ErrUnexpectedEOF.
func TestTruncated(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	for _, tc := range []struct {
		name    string
		reply   []byte
		partial bool
	}{
		{"inside a DataRow", append(rowDescription("a"), dataRow("12345")[:9]...), true},
		{"inside a header", append(rowDescription("a"), 'D', 0, 0), true},
		{"between messages", rowDescription("a"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, w := fake(t, fuzz.Chunking{}, afterLogin(func(s *fakeServer) error {
				if err := s.send(tc.reply); err != nil {
					return err
				}
				return s.conn.Close()
			}))
			c, err := newConn(t, r, w)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Query(context.Background(), "SELECT a")
			var incomplete *errs.IncompleteReadError
			if !errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &incomplete) != tc.partial {
				t.Errorf("Query: %v (%T), want io.ErrUnexpectedEOF, an *errs.IncompleteReadError: %v", err, err, tc.partial)
			}
			if _, err := c.Query(context.Background(), "SELECT 1"); !postgres.IsBroken(err) {
				t.Errorf("the next Query: %v, want ErrBroken", err)
			}
		})
	}
}

// TestLyingLength: a header that declares more than MaxMessage fails at
// once, without buffering; one under it that the server does not follow
// up costs what arrived, and the ctx ends the wait; one under 4 (the
// length counts itself) is malformed.
func TestLyingLength(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	// Each script returns after its send, and the server then reads on
	// until the client closes: it holds the connection open meanwhile.
	header := func(n uint32) []byte { return append([]byte{'D'}, u32(n)...) }

	t.Run("over MaxMessage", func(t *testing.T) {
		r, w := fake(t, fuzz.Chunking{}, afterLogin(func(s *fakeServer) error {
			s.send(rowDescription("a"), header(1<<31-1), []byte("abc"))
			return nil
		}))
		c, err := newConn(t, r, w)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Query(context.Background(), "SELECT a")
		var tooLarge *errs.FrameTooLargeError
		if !errors.As(err, &tooLarge) || tooLarge.Max != postgres.DefaultMaxMessage || tooLarge.Size != 1<<31-1-4 {
			t.Fatalf("a 2 GiB DataRow: %v, want a *errs.FrameTooLargeError over %d", err, postgres.DefaultMaxMessage)
		}
		if _, err := c.Query(context.Background(), "SELECT 1"); !postgres.IsBroken(err) {
			t.Errorf("the next Query: %v, want ErrBroken", err)
		}
	})

	t.Run("under MaxMessage", func(t *testing.T) {
		r, w := fake(t, fuzz.Chunking{}, afterLogin(func(s *fakeServer) error {
			s.send(rowDescription("a"), header(60<<20), u16(1), u32(60<<20-10), []byte("only these bytes"))
			return nil
		}))
		c, err := newConn(t, r, w)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err = c.Query(ctx, "SELECT a")
		runtime.ReadMemStats(&after)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("a 60 MiB DataRow of which 26 bytes came: %v, want the ctx's deadline", err)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
			t.Errorf("a 60 MiB DataRow of which 26 bytes came took %d bytes of memory, want under 1 MiB", grew)
		}
		if _, err := c.Query(context.Background(), "SELECT 1"); !postgres.IsBroken(err) {
			t.Errorf("the next Query: %v, want ErrBroken", err)
		}
	})

	t.Run("under 4", func(t *testing.T) {
		r, w := fake(t, fuzz.Chunking{}, afterLogin(func(s *fakeServer) error {
			s.send(header(3))
			return nil
		}))
		c, err := newConn(t, r, w)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Query(context.Background(), "SELECT a")
		var malformed *errs.MalformedFrameError
		if !errors.As(err, &malformed) {
			t.Errorf("a length of 3: %v, want an *errs.MalformedFrameError", err)
		}
	})
}

// TestMalformed: messages whose bodies break the protocol are
// *postgres.ProtocolError, and break the Conn.
func TestMalformed(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	for _, tc := range []struct {
		name  string
		reply []byte
	}{
		{"row of the wrong width", append(rowDescription("a", "b"), dataRow("1")...)},
		{"value past the body", append(rowDescription("a"), msg('D', u16(1), u32(100), []byte("short"))...)},
		{"row without description", dataRow("1")},
		{"description of too many fields", msg('T', u16(1000), []byte("x\x00"))},
		{"tag without NUL", msg('C', []byte("SELECT 1"))},
		{"unknown message", msg('?')},
		{"ReadyForQuery of 2 bytes", msg('Z', []byte("II"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, w := fake(t, fuzz.Chunking{}, afterLogin(func(s *fakeServer) error {
				return s.send(tc.reply, msg('Z', []byte("I")))
			}))
			c, err := newConn(t, r, w)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Query(context.Background(), "SELECT a")
			var pe *postgres.ProtocolError
			if !errors.As(err, &pe) {
				t.Errorf("Query: %v, want a *postgres.ProtocolError", err)
			}
			if _, err := c.Query(context.Background(), "SELECT 1"); !postgres.IsBroken(err) {
				t.Errorf("the next Query: %v, want ErrBroken", err)
			}
		})
	}
}
