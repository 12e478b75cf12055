package main

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/fuzz"
)

// fuzzing checks two parsers of a length-prefixed record (a 2-byte length,
// then the bytes) with package fuzz's Checker, as a fuzz target would call
// it: the parser must give the same result however the input is chunked.
// The first takes one Read to return the whole header, which a bytes.Reader
// always does and a socket does not; the Checker finds a chunking where it
// fails. The second reads with bufio2's ReadExactly and passes.
func fuzzing(w io.Writer) error {
	input := []byte("\x00\x05hello")
	naive := func(r io.Reader) (string, error) {
		var hdr [2]byte
		if n, err := r.Read(hdr[:]); n < 2 {
			return "", fmt.Errorf("short header: %d bytes, %v", n, err)
		}
		body := make([]byte, binary.BigEndian.Uint16(hdr[:]))
		_, err := io.ReadFull(r, body)
		return string(body), err
	}
	careful := func(r io.Reader) (string, error) {
		br := bufio2.NewReader(r)
		hdr, err := br.ReadExactly(2)
		if err != nil {
			return "", err
		}
		body, err := br.ReadExactly(int(binary.BigEndian.Uint16(hdr)))
		return string(body), err
	}
	for _, p := range []struct {
		name  string
		parse func(io.Reader) (string, error)
	}{{"one Read for the header", naive}, {"bufio2.ReadExactly", careful}} {
		var rep report
		if fuzz.CheckChunking(&rep, input, p.parse) {
			fmt.Fprintf(w, "%s: the same result under every chunking\n", p.name)
		} else {
			fmt.Fprintf(w, "%s: the Checker reports\n%s\n", p.name, rep.first)
		}
	}
	return nil
}

// report is the fuzz.TB of a check outside a test: it keeps the first
// failure.
type report struct{ first string }

func (r *report) Helper() {}

func (r *report) Errorf(format string, args ...any) {
	if r.first == "" {
		r.first = fmt.Sprintf(format, args...)
	}
}
