package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/streamkit/streamkit/examples/internal/redis"
)

// Format writes a reply as redis-cli prints it, with a line ending.
func Format(v redis.Value) string {
	var b strings.Builder
	format(&b, v, 0)
	return b.String()
}

// format writes v; indent is the width of the element numbers to its left,
// which the lines after an aggregate's first line are indented by.
func format(b *strings.Builder, v redis.Value, indent int) {
	switch v.Kind {
	case redis.SimpleString:
		b.Write(v.Str)
	case redis.Error, redis.BulkError:
		fmt.Fprintf(b, "(error) %s", v.Str)
	case redis.Integer:
		fmt.Fprintf(b, "(integer) %d", v.Int)
	case redis.BulkString:
		b.WriteString(quote(v.Str))
	case redis.Verbatim:
		_, text := v.Verbatim()
		b.Write(text)
		if len(text) > 0 && text[len(text)-1] == '\n' {
			return
		}
	case redis.Null:
		b.WriteString("(nil)")
	case redis.Boolean:
		if v.Int != 0 {
			b.WriteString("(true)")
		} else {
			b.WriteString("(false)")
		}
	case redis.Double:
		fmt.Fprintf(b, "(double) %s", v.Str)
	case redis.BigNumber:
		fmt.Fprintf(b, "(big number) %s", v.Str)
	case redis.Array, redis.Set, redis.Push, redis.Map:
		formatAggregate(b, v, indent)
		return // each element ended its own line
	}
	b.WriteByte('\n')
}

func formatAggregate(b *strings.Builder, v redis.Value, indent int) {
	elems, step, mark, empty := v.Elems, 1, ")", "(empty array)"
	switch v.Kind {
	case redis.Set:
		mark, empty = "~", "(empty set)"
	case redis.Push:
		empty = "(empty push)"
	case redis.Map:
		step, mark, empty = 2, "#", "(empty hash)"
	}
	n := len(elems) / step
	if n == 0 {
		b.WriteString(empty + "\n")
		return
	}
	width := len(strconv.Itoa(n))
	nested := indent + width + 2 // the indent of the lines inside an element
	for i := range n {
		if i > 0 {
			b.WriteString(strings.Repeat(" ", indent))
		}
		fmt.Fprintf(b, "%*d%s ", width, i+1, mark)
		if step == 1 {
			format(b, elems[i], nested)
			continue
		}
		// A map's key, " => ", and its value; a value that is an
		// aggregate starts on a line of its own.
		var key strings.Builder
		format(&key, elems[2*i], nested)
		b.WriteString(strings.TrimSuffix(key.String(), "\n"))
		b.WriteString(" => ")
		if val := elems[2*i+1]; isAggregate(val) && entries(val) > 1 {
			b.WriteString("\n" + strings.Repeat(" ", nested))
		}
		format(b, elems[2*i+1], nested)
	}
}

// entries is the number of elements of an aggregate, a map's pairs
// counting one each.
func entries(v redis.Value) int {
	if v.Kind == redis.Map {
		return len(v.Elems) / 2
	}
	return len(v.Elems)
}

func isAggregate(v redis.Value) bool {
	switch v.Kind {
	case redis.Array, redis.Set, redis.Push, redis.Map:
		return true
	}
	return false
}

// quote writes a bulk string as redis-cli does: in double quotes, with
// the bytes that are not printable ASCII as \n, \r, \t, \a, \b or \xHH.
func quote(s []byte) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range s {
		switch c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if c < 0x20 || c >= 0x7f {
				fmt.Fprintf(&b, `\x%02x`, c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
