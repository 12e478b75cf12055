package bufio2_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/errs"
)

func Example() {
	r := bufio2.NewReader(strings.NewReader("first line\nsecond line\nno newline at the end"))
	for {
		line, err := r.ReadLine()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Printf("%q\n", line)
	}
	// Output:
	// "first line\n"
	// "second line\n"
	// "no newline at the end"
}

func ExampleReader_ReadUntil() {
	r := bufio2.NewReader(strings.NewReader("PING\r\nPONG\r\nPAR"))
	for {
		msg, err := r.ReadUntil([]byte("\r\n"))
		var inc *errs.IncompleteReadError
		switch {
		case err == io.EOF:
			return
		case errors.As(err, &inc):
			// The stream ended in the middle of a message.
			fmt.Printf("cut short: %q\n", inc.Partial)
			continue
		case err != nil:
			fmt.Println("error:", err)
			return
		}
		fmt.Printf("%q\n", msg)
	}
	// Output:
	// "PING\r\n"
	// "PONG\r\n"
	// cut short: "PAR"
}

// The match that ends first wins, wherever it starts: here "END" ends
// before "<<END>>" does.
func ExampleReader_ReadUntilAny() {
	r := bufio2.NewReader(strings.NewReader("a=1;b=2\nc<<END>>"))
	for {
		field, err := r.ReadUntilAny([]byte(";"), []byte("\n"), []byte("<<END>>"), []byte("END"))
		if err != nil {
			break
		}
		fmt.Printf("%q\n", field)
	}
	// Output:
	// "a=1;"
	// "b=2\n"
	// "c<<END"
}

// Frames with a two-byte length before each payload; the last one was cut
// short.
func ExampleReader_ReadExactly() {
	stream := "\x00\x05hello\x00\x03abc\x00\x09trunc"
	r := bufio2.NewReader(strings.NewReader(stream))
	for {
		header, err := r.ReadExactly(2)
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		payload, err := r.ReadExactly(int(binary.BigEndian.Uint16(header)))
		var inc *errs.IncompleteReadError
		if errors.As(err, &inc) {
			fmt.Printf("got %d of %d bytes: %q\n", len(inc.Partial), inc.Expected, inc.Partial)
			break
		}
		fmt.Printf("%q\n", payload)
	}
	// Output:
	// "hello"
	// "abc"
	// got 5 of 9 bytes: "trunc"
}

// A line longer than the limit is skipped whole, and reading goes on with
// the next line.
func ExampleReader_ReadLine() {
	r := bufio2.NewReaderLimit(strings.NewReader("short\nthis line is much too long\nok\n"), 10)
	for {
		line, err := r.ReadLine()
		if err == io.EOF {
			break
		}
		var over *errs.LimitOverrunError
		if errors.As(err, &over) {
			fmt.Println("skipped a line longer than", over.Limit, "bytes")
			continue
		}
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Printf("%q\n", line)
	}
	// Output:
	// "short\n"
	// skipped a line longer than 10 bytes
	// "ok\n"
}

// ReadUntil leaves the data of an overrun buffered: read it with
// ReadExactly(Consumed), as asyncio's documentation suggests, and go on.
func ExampleReader_ReadUntil_overrun() {
	r := bufio2.NewReaderLimit(strings.NewReader("id=7;comment=far too long;x=1;"), 10)
	for {
		field, err := r.ReadUntil([]byte(";"))
		var over *errs.LimitOverrunError
		if errors.As(err, &over) {
			long, err := r.ReadExactly(over.Consumed)
			if err != nil {
				fmt.Println("error:", err)
				return
			}
			fmt.Printf("over the limit: %q\n", long)
			continue
		}
		if err != nil {
			break
		}
		fmt.Printf("%q\n", field)
	}
	// Output:
	// "id=7;"
	// over the limit: "comment=far too long"
	// ";"
	// "x=1;"
}

func ExampleReader_Lines() {
	r := bufio2.NewReaderLimit(strings.NewReader("one\ntwo, which is too long\nthree\n"), 8)
	for line, err := range r.Lines() {
		var over *errs.LimitOverrunError
		if errors.As(err, &over) {
			// The overlong line was skipped; the loop goes on. Any other
			// error ends it.
			fmt.Println("skipped a line longer than", over.Limit, "bytes")
			continue
		}
		if err != nil {
			fmt.Println("error:", err)
			break
		}
		fmt.Printf("%q\n", line)
	}
	// Output:
	// "one\n"
	// skipped a line longer than 8 bytes
	// "three\n"
}

// A producer goroutine feeds a Reader by hand and honours flow control:
// it stops writing when the Feed asks it to pause, until it is told to
// resume.
func ExampleFeed() {
	f := bufio2.NewFeed()
	r := bufio2.NewReaderLimit(f, 16)

	var paused atomic.Bool
	resume := make(chan struct{}, 1)
	f.SetFlowControl(r.Limit(),
		func() { paused.Store(true) },
		func() {
			paused.Store(false)
			select {
			case resume <- struct{}{}:
			default:
			}
		})

	go func() {
		for i := range 5 {
			for paused.Load() {
				<-resume
			}
			fmt.Fprintf(f, "message %d\n", i)
		}
		f.Close()
	}()

	for line, err := range r.Lines() {
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Print(string(line))
	}
	// Output:
	// message 0
	// message 1
	// message 2
	// message 3
	// message 4
}
