package fuzz_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/streamkit/streamkit/fuzz"
)

// printTB is a fuzz.TB that prints the first line of a failure, for the
// examples; in a test, pass the *testing.T.
type printTB struct{}

func (printTB) Helper() {}
func (printTB) Errorf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	fmt.Println("FAIL:", strings.SplitN(msg, "\n", 2)[0])
}

// parseWords is a correct parser: bufio.Scanner reads as much as it needs.
func parseWords(r io.Reader) ([]string, error) {
	sc := bufio.NewScanner(r)
	sc.Split(bufio.ScanWords)
	var words []string
	for sc.Scan() {
		words = append(words, sc.Text())
	}
	return words, sc.Err()
}

// parseWordsOneRead has the classic bug: it takes one Read for the whole
// message.
func parseWordsOneRead(r io.Reader) ([]string, error) {
	p := make([]byte, 1024)
	n, err := r.Read(p)
	if err != nil && err != io.EOF {
		return nil, err
	}
	return strings.Fields(string(p[:n])), nil
}

func ExampleCheckChunking() {
	data := []byte("the quick brown fox")
	fmt.Println(fuzz.CheckChunking(printTB{}, data, parseWords))
	fmt.Println(fuzz.CheckChunking(printTB{}, data, parseWordsOneRead))
	// Output:
	// true
	// FAIL: fuzz: parse depends on how its input is chunked: under one byte a read
	// false
}

func ExampleChecker() {
	// A parser that retries timeouts, as a reader of a connection with a
	// read deadline does.
	parse := func(r io.Reader) (string, error) {
		var b strings.Builder
		p := make([]byte, 16)
		for {
			n, err := r.Read(p)
			b.Write(p[:n])
			switch {
			case err == io.EOF:
				return b.String(), nil
			case fuzz.IsTimeout(err):
				continue // retry
			case err != nil:
				return "", err
			}
		}
	}
	c := fuzz.Checker[string]{
		Random:   32,                    // more random chunkings than DefaultRandom
		Timeouts: true,                  // with timeouts among them
		Plan:     []byte{3, 0x80, 0x7f}, // and this one: 3 bytes, a timeout, the rest with io.EOF
	}
	fmt.Println(c.Check(printTB{}, []byte("hello, world"), parse))
	// Output:
	// true
}

func ExampleNewReader() {
	// A fuzz target gets data and plan from the fuzzer; here they are
	// chosen by hand: 5 bytes, a timeout, 2 bytes with a timeout, an
	// empty read, and the rest with io.EOF.
	r := fuzz.NewReader([]byte("hello, world"), []byte{5, 0x80, 0x82, 0, 0x7f})
	p := make([]byte, 64)
	for {
		n, err := r.Read(p)
		fmt.Printf("%q %v\n", p[:n], err)
		if err == io.EOF {
			break
		}
	}
	// Output:
	// "hello" <nil>
	// "" fuzz: injected timeout
	// ", " fuzz: injected timeout
	// "" <nil>
	// "world" EOF
}

func ExampleChunking_Split() {
	data := []byte("0123456789")
	fmt.Printf("%q\n", fuzz.Cut(2, 5).Split(data))
	fmt.Printf("%q\n", fuzz.Halves(len(data)).Split(data))
	fmt.Printf("%q\n", fuzz.Chunking{Sizes: []int{1, 0}, Rest: 4}.Split(data))
	// Output:
	// ["01" "234" "56789"]
	// ["01234" "567" "8" "9"]
	// ["0" "" "1234" "5678" "9"]
}

func ExampleChunking_Reader() {
	r := fuzz.OneByte().Reader([]byte("abc"))
	p := make([]byte, 64)
	for {
		n, err := r.Read(p)
		fmt.Printf("%q %v\n", p[:n], err)
		if err != nil {
			break
		}
	}
	// Output:
	// "a" <nil>
	// "b" <nil>
	// "c" <nil>
	// "" EOF
}

func ExampleFault() {
	errReset := errors.New("connection reset")
	src := strings.NewReader("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n")
	r := fuzz.NewFaultReader(src,
		fuzz.Fault{Offset: 4},                               // a timeout after "GET ", once
		fuzz.Fault{Offset: 16, Err: errReset, Sticky: true}, // then the connection breaks
	)
	p := make([]byte, 64)
	for range 5 {
		n, err := r.Read(p)
		fmt.Printf("%q %v\n", p[:n], err)
	}
	// Output:
	// "GET " <nil>
	// "" fuzz: injected timeout
	// "/ HTTP/1.1\r\n" <nil>
	// "" connection reset
	// "" connection reset
}

func ExampleIsTimeout() {
	r := fuzz.Cut(2).Reader([]byte("abcd"), fuzz.Fault{Offset: 2})
	b, err := io.ReadAll(r)
	fmt.Printf("%q %v\n", b, fuzz.IsTimeout(err))
	// A timeout is returned once: reading on gets the rest.
	b, err = io.ReadAll(r)
	fmt.Printf("%q %v\n", b, err)
	// Output:
	// "ab" true
	// "cd" <nil>
}
