// The reply reader on its own, from bytes: the corner cases a real server
// does not send, and a fuzz target.
package redis_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/examples/internal/redis"
	"github.com/streamkit/streamkit/fuzz"
)

// readAll reads replies until the stream ends or fails, through a Reader
// with a small limit, so that blocks go past it.
func readAll(r io.Reader) ([]redis.Value, error) {
	rr := redis.NewReader(bufio2.NewReaderLimit(r, 32))
	var vs []redis.Value
	for {
		v, err := rr.ReadReply()
		if err == io.EOF {
			return vs, nil
		}
		if err != nil {
			return vs, err
		}
		vs = append(vs, v)
	}
}

func TestReadReply(t *testing.T) {
	long := strings.Repeat("x", 80) // over the limit of 32
	for _, tc := range []struct {
		in   string
		want []redis.Value
	}{
		{"", nil},
		{"+OK\r\n:-9223372036854775808\r\n", []redis.Value{
			{Kind: redis.SimpleString, Str: []byte("OK")}, {Kind: redis.Integer, Int: -9223372036854775808}}},
		{"$-1\r\n*-1\r\n_\r\n", []redis.Value{{Kind: redis.Null}, {Kind: redis.Null}, {Kind: redis.Null}}},
		{"$80\r\n" + long + "\r\n", []redis.Value{{Kind: redis.BulkString, Str: []byte(long)}}},
		{"*2\r\n$80\r\n" + long + "\r\n$0\r\n\r\n", []redis.Value{{Kind: redis.Array, Elems: []redis.Value{
			{Kind: redis.BulkString, Str: []byte(long)}, {Kind: redis.BulkString, Str: []byte{}}}}}},
		{"*0\r\n%0\r\n", []redis.Value{{Kind: redis.Array, Elems: []redis.Value{}}, {Kind: redis.Map, Elems: []redis.Value{}}}},
		{"!5\r\nERR x\r\n", []redis.Value{{Kind: redis.BulkError, Str: []byte("ERR x")}}},
		{"|1\r\n+a\r\n:1\r\n*1\r\n|1\r\n+b\r\n:2\r\n#t\r\n", []redis.Value{{
			Kind: redis.Array, Elems: []redis.Value{{Kind: redis.Boolean, Int: 1,
				Attrs: []redis.Value{{Kind: redis.SimpleString, Str: []byte("b")}, {Kind: redis.Integer, Int: 2}}}},
			Attrs: []redis.Value{{Kind: redis.SimpleString, Str: []byte("a")}, {Kind: redis.Integer, Int: 1}}}}},
		{",-inf\r\n(-1\r\n", []redis.Value{{Kind: redis.Double, Str: []byte("-inf")}, {Kind: redis.BigNumber, Str: []byte("-1")}}},
	} {
		got, err := readAll(strings.NewReader(tc.in))
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestReadReplyErrors(t *testing.T) {
	deep := strings.Repeat("*1\r\n", redis.MaxDepth+1) + ":1\r\n"
	for _, tc := range []struct {
		in   string
		want any // an error type, or an error to match with errors.Is
	}{
		{":12", new(*errs.IncompleteReadError)}, // cut short: not the integer 12
		{"+OK\n", new(*redis.ProtocolError)},
		{"\r\n", new(*redis.ProtocolError)},
		{"?1\r\n", new(*redis.ProtocolError)},
		{":1x\r\n", new(*redis.ProtocolError)},
		{":99999999999999999999\r\n", new(*redis.ProtocolError)},
		{"#x\r\n", new(*redis.ProtocolError)},
		{"$-2\r\n", new(*redis.ProtocolError)},
		{"%-1\r\n", new(*redis.ProtocolError)},
		{"$536870913\r\n", new(*redis.ProtocolError)}, // over MaxBulk, refused from the line alone
		{"=3\r\ntxt\r\n", new(*redis.ProtocolError)},
		{"$3\r\nabcd\r\n", new(*errs.MalformedFrameError)}, // no "\r\n" after the block
		{"$3\r\nab", new(*errs.IncompleteReadError)},
		{"$3\r\n", io.ErrUnexpectedEOF},
		{"*2\r\n:1\r\n", io.ErrUnexpectedEOF},
		{"|1\r\n+a\r\n+b\r\n", io.ErrUnexpectedEOF}, // attributes and no value
		{"+" + strings.Repeat("x", 80) + "\r\n", new(*errs.LimitOverrunError)},
		{deep, new(*redis.ProtocolError)},
	} {
		rr := redis.NewReader(bufio2.NewReaderLimit(strings.NewReader(tc.in), 32))
		_, err := rr.ReadReply()
		ok := false
		if target, isErr := tc.want.(error); isErr {
			ok = errors.Is(err, target)
		} else {
			ok = errors.As(err, tc.want)
		}
		if !ok {
			t.Errorf("%q: error %v (%T), want %T", tc.in, err, err, tc.want)
			continue
		}
		if _, again := rr.ReadReply(); !redis.IsBroken(again) {
			t.Errorf("%q: the call after %v returned %v, want an error wrapping ErrBroken", tc.in, err, again)
		}
	}
}

// FuzzReadReply: the reader never panics, and reads the same replies and
// the same error however its input is chunked.
func FuzzReadReply(f *testing.F) {
	for _, seed := range []string{
		"+OK\r\n$5\r\nhello\r\n",
		"*3\r\n$80\r\n" + strings.Repeat("y", 80) + "\r\n_\r\n%1\r\n#t\r\n,1.5\r\n",
		"|1\r\n+a\r\n:1\r\n=8\r\ntxt:abcd\r\n>2\r\n+m\r\n(1\r\n",
		"$3\r\nab", ":12", "$-1\r\n*-1\r\n!1\r\nE\r\n",
	} {
		f.Add([]byte(seed), []byte{3, 1, 0})
	}
	f.Fuzz(func(t *testing.T, data, plan []byte) {
		fuzz.Checker[[]redis.Value]{Plan: plan, SameError: sameError}.Check(t, data, readAll)
	})
}

// sameError compares errors by their messages: an IncompleteReadError's
// partial bytes and offsets are part of them, and ErrBroken wraps each.
//
// A LimitOverrunError is compared by its Limit alone: whether the
// separator had arrived when the limit was passed (Found), and so the
// Consumed count, depend on the reads, as in asyncio.
func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	var la, lb *errs.LimitOverrunError
	if errors.As(a, &la) && errors.As(b, &lb) {
		return la.Limit == lb.Limit && errors.Is(a, redis.ErrBroken) == errors.Is(b, redis.ErrBroken)
	}
	return a.Error() == b.Error()
}
