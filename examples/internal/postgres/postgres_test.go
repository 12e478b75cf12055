// The tests against a real PostgreSQL server: .ci/servers starts one and
// names it in STREAMKIT_POSTGRES_ADDR and STREAMKIT_POSTGRES_USER (trust
// authentication); without it they skip.
package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/examples/internal/postgres"
	"github.com/streamkit/streamkit/examples/internal/realserver"
	"github.com/streamkit/streamkit/internal/testenv"
)

// user is the variable that .ci/servers sets beside realserver.Postgres.
var user = realserver.Server{Name: "PostgreSQL", Env: "STREAMKIT_POSTGRES_USER", What: "a role with trust authentication"}

// config returns the real server's address and a Config to log in.
func config(t testing.TB) (string, postgres.Config) {
	t.Helper()
	addr := realserver.Addr(t, realserver.Postgres)
	return addr, postgres.Config{User: realserver.Addr(t, user), Database: "postgres"}
}

// dial logs in to the real server, and closes the connection at the end of
// the test.
func dial(t testing.TB, edit func(*postgres.Config)) *postgres.Conn {
	t.Helper()
	addr, cfg := config(t)
	if edit != nil {
		edit(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := postgres.Dial(ctx, "tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func query(t testing.TB, c *postgres.Conn, sql string) []postgres.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.Query(ctx, sql)
	if err != nil {
		t.Fatalf("%q: %v", sql, err)
	}
	return res
}

// sameBytes compares byte slices at once, a NULL (nil) apart from an
// empty value: cmp.Diff alone compares them a byte at a time, by
// reflection, which is slow under the race detector.
var sameBytes = cmp.Comparer(func(x, y []byte) bool { return (x == nil) == (y == nil) && bytes.Equal(x, y) })

// values drops the Columns of results, for comparisons of rows and tags.
func values(res []postgres.Result) []postgres.Result {
	out := make([]postgres.Result, len(res))
	for i, r := range res {
		out[i] = postgres.Result{Rows: r.Rows, Tag: r.Tag}
	}
	return out
}

func row(vals ...string) [][]byte {
	out := make([][]byte, len(vals))
	for i, v := range vals {
		if v != "NULL" {
			out[i] = []byte(v)
		}
	}
	return out
}

func TestConnect(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	c := dial(t, nil)
	if v := c.Param("server_version"); v == "" {
		t.Error("no server_version in the ParameterStatus messages")
	} else {
		t.Logf("PostgreSQL %s", v)
	}
	if got := c.Param("client_encoding"); got != "UTF8" {
		t.Errorf("client_encoding %q, want UTF8", got)
	}
	if pid, _ := c.BackendKey(); pid == 0 {
		t.Error("no BackendKeyData")
	}
	if got := c.TxStatus(); got != 'I' {
		t.Errorf("TxStatus %q after the login, want 'I'", got)
	}
	// The backend's process id is the one BackendKeyData gave.
	pid, _ := c.BackendKey()
	res := query(t, c, "SELECT pg_backend_pid()")
	if got := string(res[0].Rows[0][0]); got != strconv.FormatUint(uint64(pid), 10) {
		t.Errorf("pg_backend_pid() %s, BackendKeyData %d", got, pid)
	}
}

func TestSelect1(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	c := dial(t, nil)
	want := []postgres.Result{{
		Columns: []postgres.Column{{Name: "?column?", Type: 23, Size: 4, Modifier: -1}},
		Rows:    [][][]byte{row("1")},
		Tag:     "SELECT 1",
	}}
	if diff := cmp.Diff(want, query(t, c, "SELECT 1")); diff != "" {
		t.Errorf("SELECT 1 (-want +got):\n%s", diff)
	}
}

// TestRows reads a result of many rows and columns: numbers, text, NULL
// and the empty string.
func TestRows(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	c := dial(t, nil)
	const n = 5000
	res := query(t, c, "SELECT i, i * 2 AS double, 'row ' || i AS name, NULL::text AS nothing, '' AS empty FROM generate_series(1, 5000) AS i")
	if len(res) != 1 {
		t.Fatalf("%d results, want 1", len(res))
	}
	var names []string
	for _, col := range res[0].Columns {
		names = append(names, col.Name)
	}
	if diff := cmp.Diff([]string{"i", "double", "name", "nothing", "empty"}, names); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
	if res[0].Tag != "SELECT 5000" || len(res[0].Rows) != n {
		t.Fatalf("tag %q, %d rows; want SELECT %d", res[0].Tag, len(res[0].Rows), n)
	}
	for i, r := range res[0].Rows {
		k := strconv.Itoa(i + 1)
		want := row(k, strconv.Itoa(2*(i+1)), "row "+k, "NULL", "")
		if diff := cmp.Diff(want, r, sameBytes); diff != "" {
			t.Fatalf("row %d (-want +got):\n%s", i, diff)
		}
	}
}

// TestQueryError: an ErrorResponse is a *postgres.Error with its SQLSTATE,
// and the connection goes on.
func TestQueryError(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	c := dial(t, nil)
	ctx := context.Background()
	for _, tc := range []struct {
		sql, code string
		position  string
	}{
		{"SELECT 1/0", "22012", ""},                  // division_by_zero
		{"SELECT * FROM nosuchtable", "42P01", "15"}, // undefined_table
		{"SELEC 1", "42601", "1"},                    // syntax_error
	} {
		res, err := c.Query(ctx, tc.sql)
		var pgErr *postgres.Error
		if !errors.As(err, &pgErr) {
			t.Fatalf("%q: %v, %v; want a *postgres.Error", tc.sql, res, err)
		}
		if pgErr.Code != tc.code || pgErr.Severity != "ERROR" || pgErr.Message == "" || pgErr.Position != tc.position {
			t.Errorf("%q: %+v; want SQLSTATE %s, severity ERROR, position %q", tc.sql, pgErr, tc.code, tc.position)
		}
		if postgres.IsBroken(err) {
			t.Errorf("%q: %v breaks the connection", tc.sql, err)
		}
		if got := query(t, c, "SELECT 2"); string(got[0].Rows[0][0]) != "2" {
			t.Errorf("SELECT 2 after %q: %v", tc.sql, got)
		}
	}
}

func TestEmptyQuery(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	c := dial(t, nil)
	for _, sql := range []string{"", "  ", ";", "-- a comment"} {
		res, err := c.Query(context.Background(), sql)
		if err != nil || len(res) != 0 {
			t.Errorf("%q: %v, %v; want no result and no error", sql, res, err)
		}
	}
	if got := query(t, c, "SELECT 3"); string(got[0].Rows[0][0]) != "3" {
		t.Errorf("SELECT 3 after the empty queries: %v", got)
	}
}

// TestStatements sends several statements in one Query: one Result each,
// in order; a failing statement stops the rest.
func TestStatements(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	c := dial(t, nil)
	got := query(t, c, "SELECT 1; SELECT 'a', 'b'; CREATE TEMP TABLE t (x int); INSERT INTO t VALUES (1), (2); SELECT x FROM t ORDER BY x; SELECT x FROM t WHERE x > 5")
	want := []postgres.Result{
		{Rows: [][][]byte{row("1")}, Tag: "SELECT 1"},
		{Rows: [][][]byte{row("a", "b")}, Tag: "SELECT 1"},
		{Tag: "CREATE TABLE"},
		{Tag: "INSERT 0 2"},
		{Rows: [][][]byte{row("1"), row("2")}, Tag: "SELECT 2"},
		{Tag: "SELECT 0"},
	}
	if diff := cmp.Diff(want, values(got)); diff != "" {
		t.Errorf("six statements (-want +got):\n%s", diff)
	}
	if got[2].Columns != nil || len(got[5].Columns) != 1 {
		t.Errorf("columns: CREATE %v, empty SELECT %v; want none and one", got[2].Columns, got[5].Columns)
	}

	res, err := c.Query(context.Background(), "SELECT 1; SELECT 1/0; SELECT 3")
	var pgErr *postgres.Error
	if !errors.As(err, &pgErr) || pgErr.Code != "22012" {
		t.Fatalf("SELECT 1; SELECT 1/0; SELECT 3: %v, want SQLSTATE 22012", err)
	}
	if diff := cmp.Diff([]postgres.Result{{Rows: [][][]byte{row("1")}, Tag: "SELECT 1"}}, values(res)); diff != "" {
		t.Errorf("the results before the error (-want +got):\n%s", diff)
	}
}

// TestTransaction follows ReadyForQuery's transaction status.
func TestTransaction(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	c := dial(t, nil)
	for _, step := range []struct {
		sql    string
		fails  bool
		status byte
	}{
		{"BEGIN", false, 'T'},
		{"SELECT 1", false, 'T'},
		{"SELECT 1/0", true, 'E'},
		{"SELECT 1", true, 'E'}, // 25P02: in_failed_sql_transaction
		{"ROLLBACK", false, 'I'},
	} {
		_, err := c.Query(context.Background(), step.sql)
		if (err != nil) != step.fails || c.TxStatus() != step.status {
			t.Errorf("%q: %v, status %q; want failure %v, status %q", step.sql, err, c.TxStatus(), step.fails, step.status)
		}
	}
}

func TestNotice(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	c := dial(t, nil)
	var notices []*postgres.Error
	c.Notice = func(e *postgres.Error) { notices = append(notices, e) }
	res := query(t, c, "DO $$ BEGIN RAISE NOTICE 'hello %', 42; END $$; SELECT 1")
	if len(res) != 2 || res[0].Tag != "DO" {
		t.Errorf("results %v, want DO and SELECT", values(res))
	}
	if len(notices) != 1 || notices[0].Severity != "NOTICE" || notices[0].Message != "hello 42" || notices[0].Code != "00000" {
		t.Errorf("notices %+v, want one NOTICE \"hello 42\"", notices)
	}
}

// TestLargeRow reads a row larger than frame's default maximum frame,
// which the client raises with Config.MaxMessage; a smaller MaxMessage
// fails the read, from the header alone, and breaks the Conn.
func TestLargeRow(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	const size = 10 << 20 // over frame.DefaultMaxFrame
	c := dial(t, nil)
	res := query(t, c, "SELECT repeat('x', 10485760), 'after'")
	if v := res[0].Rows[0][0]; len(v) != size || bytes.Count(v, []byte("x")) != size || string(res[0].Rows[0][1]) != "after" {
		t.Fatalf("the large value: %d bytes, want %d", len(v), size)
	}
	if got := query(t, c, "SELECT 4"); string(got[0].Rows[0][0]) != "4" {
		t.Errorf("SELECT 4 after the large row: %v", got)
	}

	small := dial(t, func(cfg *postgres.Config) { cfg.MaxMessage = 1 << 20 })
	_, err := small.Query(context.Background(), "SELECT repeat('x', 10485760)")
	var tooLarge *errs.FrameTooLargeError
	if !errors.As(err, &tooLarge) || tooLarge.Max != 1<<20 || tooLarge.Size <= 10<<20 {
		t.Fatalf("a 10 MiB row with MaxMessage 1 MiB: %v, want a *errs.FrameTooLargeError", err)
	}
	if _, err := small.Query(context.Background(), "SELECT 1"); !postgres.IsBroken(err) {
		t.Errorf("a Query after the oversized row: %v, want ErrBroken", err)
	}
}

// TestQueryFunc reads rows as views, and stops calling fn at its error
// without losing step.
func TestQueryFunc(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	c := dial(t, nil)
	ctx := context.Background()
	var sum int
	err := c.QueryFunc(ctx, "SELECT i, 'x' FROM generate_series(1, 100) AS i", func(cols []postgres.Column, vals [][]byte) error {
		if len(cols) != 2 || cols[0].Name != "i" || len(vals) != 2 {
			t.Fatalf("cols %v, values %q", cols, vals)
		}
		n, _ := strconv.Atoi(string(vals[0]))
		sum += n
		return nil
	})
	if err != nil || sum != 5050 {
		t.Errorf("QueryFunc: sum %d, %v; want 5050", sum, err)
	}
	stop := errors.New("stop")
	calls := 0
	err = c.QueryFunc(ctx, "SELECT i FROM generate_series(1, 100) AS i", func([]postgres.Column, [][]byte) error {
		calls++
		return stop
	})
	if err != stop || calls != 1 {
		t.Errorf("QueryFunc with fn failing: %v after %d calls; want stop after 1", err, calls)
	}
	if got := query(t, c, "SELECT 5"); string(got[0].Rows[0][0]) != "5" {
		t.Errorf("SELECT 5 after QueryFunc stopped: %v", got)
	}
}

// TestStartupError: an ErrorResponse during the login is a
// *postgres.Error.
func TestStartupError(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	addr, cfg := config(t)
	cfg.Database = "streamkit_no_such_database"
	c, err := postgres.Dial(context.Background(), "tcp", addr, cfg)
	var pgErr *postgres.Error
	if !errors.As(err, &pgErr) || pgErr.Code != "3D000" || pgErr.Severity != "FATAL" {
		if c != nil {
			c.Close()
		}
		t.Fatalf("a database that does not exist: %v; want FATAL 3D000 (invalid_catalog_name)", err)
	}
}

// TestContext: a Query whose ctx ends while the server works returns the
// ctx's error and breaks the Conn.
func TestContext(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	c := dial(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.Query(ctx, "SELECT pg_sleep(5)")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("pg_sleep(5) with a 100 ms ctx: %v, want context.DeadlineExceeded", err)
	}
	if _, err := c.Query(context.Background(), "SELECT 1"); !postgres.IsBroken(err) {
		t.Errorf("a Query after the interrupted one: %v, want ErrBroken", err)
	}
}
