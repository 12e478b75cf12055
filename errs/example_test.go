package errs_test

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/errs"
	"github.com/streamkit/streamkit/frame"
)

// A stream that ends part way through a read gives an IncompleteReadError
// with what was there; it also matches io.ErrUnexpectedEOF.
func ExampleIncompleteReadError() {
	r := bufio2.NewReader(strings.NewReader("abc"))
	_, err := r.ReadExactly(5)
	var short *errs.IncompleteReadError
	if errors.As(err, &short) {
		fmt.Printf("got %q of %d bytes\n", short.Partial, short.Expected)
	}
	fmt.Println(errors.Is(err, io.ErrUnexpectedEOF))
	fmt.Println(err)
	// Output:
	// got "abc" of 5 bytes
	// true
	// bufio2.ReadExactly: the stream ended after 3 of 5 bytes; the bytes read are in Partial
}

// A separator read that overruns the limit leaves the data buffered:
// Consumed says how much to take another way.
func ExampleLimitOverrunError() {
	r := bufio2.NewReaderLimit(strings.NewReader("a-very-long-key=value;"), 8)
	_, err := r.ReadUntil([]byte("="))
	var over *errs.LimitOverrunError
	if errors.As(err, &over) {
		fmt.Println(err)
		key, _ := r.ReadExactly(over.Consumed)
		fmt.Printf("%q\n", key)
	}
	// Output:
	// bufio2.ReadUntil: separator found after 15 bytes, over the limit of 8; the data is still buffered: read it (ReadExactly(Consumed)) or skip it (SkipUntil); NewReaderLimit raises the limit
	// "a-very-long-key"
}

// A frame whose header declares more than the codec's maximum fails before
// anything of that size is read or allocated.
func ExampleFrameTooLargeError() {
	stream := strings.NewReader("\x00\x10\x00\x00 and a lie")
	r := frame.NewReader(stream, frame.LengthPrefixed{Size: 4, Max: 1024})
	_, err := r.Next()
	var big *errs.FrameTooLargeError
	if errors.As(err, &big) {
		fmt.Printf("declared %d bytes, max %d\n", big.Size, big.Max)
		fmt.Println(err)
	}
	// Output:
	// declared 1048576 bytes, max 1024
	// frame: frame of 1048576 bytes is over the maximum 1024 (LengthPrefixed.Max)
}

// A malformed header is reported with its offset in the stream.
func ExampleMalformedFrameError() {
	r := frame.NewReader(strings.NewReader("5:hello,x:"), frame.Netstring{})
	p, _ := r.Next()
	fmt.Printf("%q\n", p)
	_, err := r.Next()
	var bad *errs.MalformedFrameError
	if errors.As(err, &bad) {
		fmt.Println(bad.Offset, bad.Reason)
		fmt.Println(err)
	}
	// Output:
	// "hello"
	// 8 the length must start with a digit
	// frame.Netstring: malformed frame at offset 8: the length must start with a digit
}
