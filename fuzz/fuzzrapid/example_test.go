package fuzzrapid_test

import (
	"bytes"
	"fmt"

	"github.com/streamkit/streamkit/fuzz/fuzzrapid"
)

func ExampleChunking() {
	// In a property, draw with Draw(t, "chunking"); Example draws without
	// a test.
	data := []byte("a stream of bytes")
	for seed := range 3 {
		c := fuzzrapid.Chunking(len(data)).Example(seed)
		fmt.Println(bytes.Equal(bytes.Join(c.Split(data), nil), data))
	}
	// Output:
	// true
	// true
	// true
}
