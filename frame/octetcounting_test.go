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

var nonTransparent = frame.OctetCounting{NonTransparent: true}

// TestOctetCountingNonTransparentRFC6587 frames RFC 5424's example
// messages with RFC 6587's non-transparent framing (section 3.4.2:
// SYSLOG-FRAME = SYSLOG-MSG TRAILER, TRAILER = LF), then with both
// framings in turn, frame by frame, as rsyslog's imtcp accepts them, and
// ends with a message without its LF, which is a frame too.
func TestOctetCountingNonTransparentRFC6587(t *testing.T) {
	var lf, mixed strings.Builder
	var want []event
	for i, ex := range rfc5424Examples {
		lf.WriteString(ex.msg + "\n")
		if i%2 == 0 {
			mixed.WriteString(ex.msg + "\n")
		} else {
			mixed.WriteString(itoa(ex.len) + " " + ex.msg)
		}
		want = append(want, frameEvent(ex.msg))
	}
	last := rfc5424Examples[0].msg
	checkVectors(t, nonTransparent, frame.StopOversized, []vector{
		{"LF after each", lf.String(), want},
		{"both framings", mixed.String(), want},
		{"no LF at the end", mixed.String() + last, append(want[:len(want):len(want)], frameEvent(last))},
	})
	// Without NonTransparent, the first is malformed, as before.
	checkVectors(t, frame.OctetCounting{}, frame.StopOversized, []vector{
		{"LF framing refused", lf.String(), []event{malformed(0, "the length must start with a digit")}},
	})
}

func TestOctetCountingNonTransparent(t *testing.T) {
	checkVectors(t, nonTransparent, frame.StopOversized, []vector{
		{"empty messages are skipped", "\n\n<1>a\n\n\n4 <1>b\n", []event{frameEvent("<1>a"), frameEvent("<1>b")}},
		{"only empty messages", "\n\n\n", nil},
		{"an LF after an octet-counted frame", "4 <1>a\n4 <1>b\n", []event{frameEvent("<1>a"), frameEvent("<1>b")}},
		{"CR is kept", "<1>a\r\n", []event{frameEvent("<1>a\r")}},
		{"LF inside an octet-counted frame", "6 <1>a\nb", []event{frameEvent("<1>a\nb")}},
		{"space first", " x\n", []event{frameEvent(" x")}},
		{"a message that starts with a digit is a count", "2024 x\n", []event{incompleteEvent("2024 x\n", 2029)}},
		{"octet-counted errors stay", "05 x", []event{malformed(0, "the length must start with a digit from 1 to 9")}},
		{"octet-counted, cut", "5 <1>", []event{incompleteEvent("5 <1>", 7)}},
	})
	c := frame.OctetCounting{NonTransparent: true, Max: 4}
	checkVectors(t, c, frame.StopOversized, []vector{
		{"at max", "<1>a\n", []event{frameEvent("<1>a")}},
		{"at max at the end", "<1>a", []event{frameEvent("<1>a")}},
		{"over max", "<1>ab\n", []event{tooLong(4, 0)}},
		{"over max at the end", "<1>ab", []event{tooLong(4, 0)}},
		{"over max after a frame", "<1>\n<1>abcdef\n", []event{frameEvent("<1>"), tooLong(4, 4)}},
		{"octet-counted over max", "5 <1>ab", []event{tooLarge(5, 4, 0, 7)}},
	})
	// A skipping Reader resyncs at the LF after an oversized
	// non-transparent message, and skips an oversized octet-counted one by
	// its count, LFs and all.
	checkVectors(t, c, frame.SkipOversized, []vector{
		{"resync at LF", "<1>abcdef\n<2>\n", []event{tooLong(4, 0), frameEvent("<2>")}},
		{"resync at the end", "<1>abcdef", []event{tooLong(4, 0)}},
		{"skip by count", "7 <1>\nx\ny<2>\n", []event{tooLarge(7, 4, 0, 9), frameEvent("<2>")}},
	})
}

// TestOctetCountingNonTransparentMax: with Max zero, octet-counted
// messages may be DefaultMaxFrame bytes, non-transparent ones
// DefaultMaxDelimited, as for the codecs that end frames with a separator.
func TestOctetCountingNonTransparentMax(t *testing.T) {
	long := "<1>" + strings.Repeat("m", frame.DefaultMaxDelimited)
	_, _, err := nonTransparent.Split([]byte(long+"\n"), false)
	var tl *errs.FrameTooLargeError
	if !errors.As(err, &tl) || tl.Max != frame.DefaultMaxDelimited || tl.Setting != "OctetCounting.Max" {
		t.Errorf("a non-transparent message of %d bytes: %v; want *errs.FrameTooLargeError with Max DefaultMaxDelimited", len(long), err)
	}
	counted, err := nonTransparent.Append(nil, []byte(long))
	if err != nil {
		t.Fatal(err)
	}
	if adv, tok, err := nonTransparent.Split(counted, false); err != nil || adv != len(counted) || string(tok) != long {
		t.Errorf("an octet-counted message of %d bytes: %d, %v", len(long), adv, err)
	}
	if got, want := nonTransparent.MaxFrame(), frame.DefaultMaxFrame+20; got != want {
		t.Errorf("MaxFrame = %d; want %d", got, want)
	}
}

// TestOctetCountingNonTransparentAppend: Append writes octet counting,
// which carries an LF in the message.
func TestOctetCountingNonTransparentAppend(t *testing.T) {
	got, err := nonTransparent.Append(nil, []byte("<1>a\nb"))
	if err != nil || string(got) != "6 <1>a\nb" {
		t.Errorf("Append = %q, %v; want %q", got, err, "6 <1>a\nb")
	}
	if _, err := nonTransparent.Append(nil, nil); !errors.Is(err, frame.ErrInvalidPayload) {
		t.Errorf("Append of an empty message = %v; want ErrInvalidPayload", err)
	}
}

func TestOctetCountingResync(t *testing.T) {
	for _, tc := range []struct {
		c     frame.OctetCounting
		data  string
		atEOF bool
		adv   int
		done  bool
	}{
		{nonTransparent, "abc\ndef", false, 4, true},
		{nonTransparent, "abc", false, 3, false},
		{nonTransparent, "abc", true, 3, true},
		{frame.OctetCounting{}, "abc\ndef", false, 7, false},
		{frame.OctetCounting{}, "abc\ndef", true, 7, true},
	} {
		adv, done := tc.c.Resync([]byte(tc.data), tc.atEOF)
		if adv != tc.adv || done != tc.done {
			t.Errorf("%+v.Resync(%q, %v) = %d, %v; want %d, %v", tc.c, tc.data, tc.atEOF, adv, done, tc.adv, tc.done)
		}
	}
}
