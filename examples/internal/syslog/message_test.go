package syslog_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/streamkit/streamkit/examples/internal/syslog"
)

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// The examples of RFC 5424 section 6.5 and RFC 3164 section 5.4, and what
// rsyslog's RSYSLOG_ForwardFormat writes.
var parseTests = []struct {
	in   string
	want syslog.Message
}{
	{"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \xef\xbb\xbf'su root' failed for lonvick on /dev/pts/8",
		syslog.Message{Priority: 34, Version: 1, Timestamp: mustTime("2003-10-11T22:14:15.003Z"), Hostname: "mymachine.example.com",
			AppName: "su", MsgID: "ID47", Msg: "'su root' failed for lonvick on /dev/pts/8"}},
	{"<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
		syslog.Message{Priority: 165, Version: 1, Timestamp: mustTime("2003-08-24T05:14:15.000003-07:00"), Hostname: "192.0.2.1",
			AppName: "myproc", ProcID: "8710", Msg: "%% It's time to make the do-nuts."}},
	{`<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] ` + "\xef\xbb\xbfAn application event log entry...",
		syslog.Message{Priority: 165, Version: 1, Timestamp: mustTime("2003-10-11T22:14:15.003Z"), Hostname: "mymachine.example.com",
			AppName: "evntslog", MsgID: "ID47", StructuredData: `[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"]`,
			Msg: "An application event log entry..."}},
	{`<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]`,
		syslog.Message{Priority: 165, Version: 1, Timestamp: mustTime("2003-10-11T22:14:15.003Z"), Hostname: "mymachine.example.com",
			AppName: "evntslog", MsgID: "ID47", StructuredData: `[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]`}},
	// Escapes in a PARAM-VALUE: \" \\ \] do not end it.
	{`<14>1 - h a p m [x@1 k="a\"b\]c\\"] text ] here` + "\n",
		syslog.Message{Priority: 14, Version: 1, Hostname: "h", AppName: "a", ProcID: "p", MsgID: "m",
			StructuredData: `[x@1 k="a\"b\]c\\"]`, Msg: "text ] here"}},
	{"<0>1 - - - - - -", syslog.Message{Version: 1}},
	// RFC 3164.
	{"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
		syslog.Message{Priority: 34, Timestamp: time.Date(0, time.October, 11, 22, 14, 15, 0, time.UTC), Hostname: "mymachine",
			AppName: "su", Msg: "'su root' failed for lonvick on /dev/pts/8"}},
	{"<13>Feb  5 17:32:18 10.0.0.99 app[42]: Use the BFG!\n",
		syslog.Message{Priority: 13, Timestamp: time.Date(0, time.February, 5, 17, 32, 18, 0, time.UTC), Hostname: "10.0.0.99",
			AppName: "app", ProcID: "42", Msg: "Use the BFG!"}},
	// rsyslog's forward format: an RFC 3339 timestamp, and a tag that may
	// lack its ':'.
	{"<165>2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc[8710] %% It's time to make the do-nuts.",
		syslog.Message{Priority: 165, Timestamp: mustTime("2003-08-24T05:14:15.000003-07:00"), Hostname: "192.0.2.1",
			AppName: "myproc", ProcID: "8710", Msg: "%% It's time to make the do-nuts."}},
	// No timestamp: all text (RFC 3164 section 4.3.3).
	{"<13>hello there", syslog.Message{Priority: 13, Msg: "hello there"}},
}

func TestParse(t *testing.T) {
	for _, tc := range parseTests {
		got, err := syslog.Parse([]byte(tc.in))
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
	m, _ := syslog.Parse([]byte("<165>1 - - - - - -"))
	if m.Facility() != 20 || m.Severity() != 5 {
		t.Errorf("PRI 165: facility %d, severity %d; want 20 (local4), 5 (notice)", m.Facility(), m.Severity())
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{
		"",
		"no pri",
		"<>1 - - - - - -",
		"<1234>1 - - - - - -",
		"<192>1 - - - - - -",
		"<13",
		"<13>1 ",
		"<13>1 yesterday h a p m -",
		"<13>1 - h a p",
		"<13>1 - h a p m",
		"<13>1 - h a p m x",
		"<13>1 - h a p m [unclosed",
		`<13>1 - h a p m [x k="]"`,
		"<13>1 - h a p m -text",
		"<13>1 - h\x01 a p m -",
		"<13>1 - h aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa p m -", // APP-NAME of 49
	} {
		_, err := syslog.Parse([]byte(in))
		var pe *syslog.ParseError
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q): %v, want a *ParseError", in, err)
		}
	}
}
