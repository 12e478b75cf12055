package syslog_test

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/examples/internal/syslog"
)

func octet(m string) string { return fmt.Sprintf("%d %s", len(m), m) }

// readAll reads every message from the stream, as "framing|msg" or the
// error's type, until io.EOF or an error that ends the stream.
func readAll(t *testing.T, r io.Reader, max int) []string {
	t.Helper()
	sr := syslog.NewReader(bufio2.NewReader(r), max)
	var got []string
	for range 100 {
		m, err := sr.Next()
		var tl *errs.FrameTooLargeError
		var pe *syslog.ParseError
		switch {
		case err == io.EOF:
			return got
		case errors.As(err, &tl):
			got = append(got, fmt.Sprintf("too large: %d > %d", tl.Size, tl.Max))
		case errors.As(err, &pe):
			got = append(got, "parse error")
		case err != nil:
			if err == io.ErrUnexpectedEOF {
				got = append(got, "unexpected EOF")
			} else {
				got = append(got, fmt.Sprintf("%T", err))
			}
			if _, again := sr.Next(); again != err {
				t.Errorf("after %v, Next returned %v, want the same error", err, again)
			}
			return got
		default:
			got = append(got, m.Framing.String()+"|"+m.AppName+"|"+m.Msg)
		}
	}
	t.Fatal("more than 100 messages")
	return nil
}

// TestMixedFramings: one stream holding both framings, as rsyslog's imtcp
// takes them, read whole and one byte at a time.
func TestMixedFramings(t *testing.T) {
	stream := octet("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - multi\nline") +
		"<34>Oct 11 22:14:15 mymachine su: lf framed\n" +
		"\n\n" + // empty messages are skipped
		octet("<13>1 - h app - - - counted with its LF\n") +
		octet("<13>1 - h app - - - 12 digits 34") + // an octet count right after a frame
		"<13>Oct 11 22:14:15 h last: without LF at the end"
	want := []string{
		"octet-counted|myproc|multi\nline",
		"non-transparent|su|lf framed",
		"octet-counted|app|counted with its LF",
		"octet-counted|app|12 digits 34",
		"non-transparent|last|without LF at the end",
	}
	for name, r := range map[string]func() io.Reader{
		"whole":    func() io.Reader { return strings.NewReader(stream) },
		"one byte": func() io.Reader { return iotest.OneByteReader(strings.NewReader(stream)) },
		"half":     func() io.Reader { return iotest.HalfReader(strings.NewReader(stream)) },
	} {
		if diff := cmp.Diff(want, readAll(t, r(), 0)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
}

// TestOversized: a message over the maximum, in either framing, is an
// *errs.FrameTooLargeError, skipped, and the stream goes on.
func TestOversized(t *testing.T) {
	long := "<13>1 - h app - - - " + strings.Repeat("x", 100)
	stream := octet(long) + octet("<13>1 - h app - - - after counted") +
		long + "\n" + "<13>Oct 11 22:14:15 h app: after LF\n" +
		"<13>Oct 11 22:14:15 h app: short\n"
	want := []string{
		"too large: 120 > 64",
		"octet-counted|app|after counted",
		"too large: 65 > 64",
		"non-transparent|app|after LF",
		"non-transparent|app|short",
	}
	for _, r := range []io.Reader{strings.NewReader(stream), iotest.OneByteReader(strings.NewReader(stream))} {
		if diff := cmp.Diff(want, readAll(t, r, 64)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	}
}

// TestHostile: frames that break the framing end the stream with a typed
// error; a header that breaks the format is a *ParseError and the stream
// goes on.
func TestHostile(t *testing.T) {
	for _, tc := range []struct {
		stream string
		want   []string
	}{
		{"0 <13>x", []string{"*errs.MalformedFrameError"}},
		{"12x<13>", []string{"*errs.MalformedFrameError"}},
		{octet("<13>1 - h app - - - ok") + "30 <13>1 cut", []string{"octet-counted|app|ok", "*errs.IncompleteReadError"}},
		{"<999>1 bad pri\n" + octet("no pri at all") + "<13>Oct 11 22:14:15 h app: fine\n",
			[]string{"parse error", "parse error", "non-transparent|app|fine"}},
	} {
		if diff := cmp.Diff(tc.want, readAll(t, strings.NewReader(tc.stream), 0)); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tc.stream, diff)
		}
	}
}

// TestLyingCount: an octet count of nearly a gigabyte over the maximum
// fails at once, and skipping it costs what was sent, not what was
// claimed.
func TestLyingCount(t *testing.T) {
	stream := "999999999 <13>1 - h app - - - " + strings.Repeat("x", 1000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got := readAll(t, strings.NewReader(stream), 0)
	runtime.ReadMemStats(&after)
	want := []string{"too large: 999999999 > 8192", "unexpected EOF"} // while skipping
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("a claim of 999999999 bytes allocated %d bytes, want under 1 MiB", n)
	}
}
