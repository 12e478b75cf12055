package frame_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/frame"
)

// rfc5424Examples are the example messages of RFC 5424, section 6.5, with
// their lengths in octets ("BOM" is U+FEFF, three octets in UTF-8).
var rfc5424Examples = []struct {
	msg string
	len int
}{
	{"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \ufeff'su root' failed for lonvick on /dev/pts/8", 110},
	{"<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.", 99},
	{`<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] ` + "\ufeffAn application event log entry...", 175},
	{`<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]`, 174},
}

// TestOctetCountingRFC6587 frames RFC 5424's example messages as RFC 6587,
// section 3.4.1 says: SYSLOG-FRAME = MSG-LEN SP SYSLOG-MSG, MSG-LEN the
// octet count in decimal.
func TestOctetCountingRFC6587(t *testing.T) {
	var stream strings.Builder
	var want []event
	for _, ex := range rfc5424Examples {
		frameText := strings.Join([]string{itoa(ex.len), " ", ex.msg}, "")
		got, err := frame.OctetCounting{}.Append(nil, []byte(ex.msg))
		if err != nil || string(got) != frameText {
			t.Errorf("Append(%q) = %q, %v; want %q", ex.msg, got, err, frameText)
		}
		stream.WriteString(frameText)
		want = append(want, frameEvent(ex.msg))
	}
	checkVectors(t, frame.OctetCounting{}, frame.StopOversized, []vector{{"RFC 5424 examples", stream.String(), want}})
}

func TestOctetCountingMalformed(t *testing.T) {
	checkVectors(t, frame.OctetCounting{}, frame.StopOversized, []vector{
		// MSG-LEN = NONZERO-DIGIT *DIGIT
		{"zero length", "0 ", []event{malformed(0, "the length must start with a digit from 1 to 9")}},
		{"leading zero", "05 hello", []event{malformed(0, "the length must start with a digit from 1 to 9")}},
		{"non-transparent framing", "<34>1 x\n", []event{malformed(0, "the length must start with a digit")}},
		{"no space", "5:hello", []event{malformed(1, "the length must be followed by ' '")}},
		{"space in the message", "1 a2  b", []event{frameEvent("a"), frameEvent(" b")}},
		{"tab", "5\thello", []event{malformed(1, "the length must be followed by ' '")}},
	})
	checkVectors(t, frame.OctetCounting{Max: 5}, frame.StopOversized, []vector{
		{"at max", "5 hello", []event{frameEvent("hello")}},
		{"over max", "6 hello!", []event{tooLarge(6, 5, 0, 8)}},
		{"cut", "5 hel", []event{incompleteEvent("5 hel", 7)}},
		{"cut header", "12", []event{incompleteEvent("12", -1)}},
	})
}

func TestOctetCountingAppendEmpty(t *testing.T) {
	if got, err := (frame.OctetCounting{}).Append([]byte(">"), nil); !errors.Is(err, frame.ErrInvalidPayload) || string(got) != ">" {
		t.Errorf("Append of an empty message = %q, %v; want ErrInvalidPayload", got, err)
	}
	var tl *errs.FrameTooLargeError
	if _, err := (frame.OctetCounting{Max: 2}).Append(nil, []byte("abc")); !errors.As(err, &tl) {
		t.Errorf("Append over Max = %v; want *errs.FrameTooLargeError", err)
	}
}
