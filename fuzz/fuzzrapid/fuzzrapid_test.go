package fuzzrapid_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"pgregory.net/rapid"

	"github.com/streamkit/streamkit/fuzz"
	"github.com/streamkit/streamkit/fuzz/fuzzrapid"
)

// readRetrying reads r to io.EOF, retrying timeouts, and returns the data
// and the first other error.
func readRetrying(t *rapid.T, r io.Reader) ([]byte, error) {
	var all []byte
	p := make([]byte, 7)
	for i := 0; ; i++ {
		if i > 100000 {
			t.Fatalf("no io.EOF")
		}
		n, err := r.Read(p)
		all = append(all, p[:n]...)
		switch {
		case err == io.EOF:
			return all, nil
		case fuzz.IsTimeout(err):
		case err != nil:
			return all, err
		}
	}
}

// TestChunkingIsValid: every chunking drawn has no negative size, at most
// fuzz.MaxEmptyReads empty reads in a row, and cuts the stream into
// pieces that make the stream, as a Reader delivers it.
func TestChunkingIsValid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		data := rapid.SliceOfN(rapid.Byte(), 0, 500).Draw(t, "data")
		c := fuzzrapid.Chunking(len(data)).Draw(t, "chunking")
		if c.Rest < 0 {
			t.Fatalf("Rest %d", c.Rest)
		}
		empties := 0
		for _, s := range c.Sizes {
			switch {
			case s < 0:
				t.Fatalf("negative size in %v", c.Sizes)
			case s == 0:
				if empties++; empties > fuzz.MaxEmptyReads {
					t.Fatalf("%d empty reads in a row in %v", empties, c.Sizes)
				}
			default:
				empties = 0
			}
		}
		if got := bytes.Join(c.Split(data), nil); !bytes.Equal(got, data) {
			t.Fatalf("%v: the pieces make %q, not %q", c, got, data)
		}
		got, err := readRetrying(t, c.Reader(data))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%v: read %q, %v; want %q", c, got, err, data)
		}
	})
}

// TestChunkingVariety: the generator is not stuck on one kind of
// chunking: over many draws come one-byte reads, empty reads, reads of
// most of the stream, a Rest, and io.EOF both with the data and alone.
func TestChunkingVariety(t *testing.T) {
	const n = 300
	var ones, empties, large, rest, eofWithData, whole int
	gen := fuzzrapid.Chunking(n)
	for i := range 300 {
		c := gen.Example(i)
		for _, s := range c.Sizes {
			switch {
			case s == 0:
				empties++
			case s == 1:
				ones++
			case s > n/2:
				large++
			}
		}
		if c.Rest > 0 {
			rest++
		}
		if c.EOFWithData {
			eofWithData++
		}
		if len(c.Sizes) == 0 {
			whole++
		}
	}
	for name, count := range map[string]int{
		"one-byte reads": ones, "empty reads": empties, "reads of over half the stream": large,
		"Rest > 0": rest, "EOFWithData": eofWithData, "EOF alone": 300 - eofWithData,
	} {
		if count == 0 {
			t.Errorf("no %s in 300 chunkings", name)
		}
	}
}

// TestTimeoutsAreValid: drawn timeouts are retryable timeouts at offsets
// from 0 to n, in order; a reader that retries reads the whole stream.
func TestTimeoutsAreValid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		data := rapid.SliceOfN(rapid.Byte(), 0, 200).Draw(t, "data")
		faults := fuzzrapid.Timeouts(len(data)).Draw(t, "timeouts")
		for i, f := range faults {
			if f.Err != nil || f.Sticky || f.Offset < 0 || f.Offset > int64(len(data)) || i > 0 && f.Offset < faults[i-1].Offset {
				t.Fatalf("fault %d of %v", i, faults)
			}
		}
		c := fuzzrapid.Chunking(len(data)).Draw(t, "chunking")
		r := c.Reader(data, faults...)
		timeouts := 0
		var all []byte
		p := make([]byte, 5)
		for {
			n, err := r.Read(p)
			all = append(all, p[:n]...)
			if fuzz.IsTimeout(err) {
				timeouts++
				continue
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(all, data) || timeouts != len(faults) {
			t.Fatalf("read %q with %d timeouts; want %q and %d", all, timeouts, data, len(faults))
		}
	})
}

var errBroken = errors.New("broken")

// TestFaultsUseTheErrors: Faults draws its errors from the list, and some
// are sticky; after a sticky one, the reader returns its error forever.
func TestFaultsUseTheErrors(t *testing.T) {
	var sticky int
	rapid.Check(t, func(t *rapid.T) {
		data := rapid.SliceOfN(rapid.Byte(), 0, 100).Draw(t, "data")
		faults := fuzzrapid.Faults(len(data), []error{nil, errBroken}).Draw(t, "faults")
		var firstSticky *fuzz.Fault
		for i, f := range faults {
			if f.Err != nil && f.Err != errBroken {
				t.Fatalf("fault %d has error %v", i, f.Err)
			}
			if f.Sticky && firstSticky == nil {
				firstSticky = &faults[i]
				sticky++
			}
		}
		// Read on through every error, as many times as the faults and
		// bytes can take, and a few more.
		r := fuzz.OneByte().Reader(data, faults...)
		var all []byte
		var errs []error
		for range len(data) + len(faults) + 3 {
			p := make([]byte, 4)
			n, err := r.Read(p)
			all = append(all, p[:n]...)
			errs = append(errs, err)
		}
		if firstSticky == nil {
			if !bytes.Equal(all, data) || errs[len(errs)-1] != io.EOF {
				t.Fatalf("no sticky fault: read %q, ending with %v", all, errs[len(errs)-1])
			}
			return
		}
		for _, err := range errs[len(errs)-3:] {
			if err != errBroken {
				t.Fatalf("after the sticky %v: %v", firstSticky, err)
			}
		}
		if !bytes.Equal(all, data[:firstSticky.Offset]) {
			t.Fatalf("sticky %v: read %q", firstSticky, all)
		}
	})
	if sticky == 0 {
		t.Errorf("no sticky faults drawn")
	}
}

func TestNegativeLengthPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"Chunking": func() { fuzzrapid.Chunking(-1) },
		"Faults":   func() { fuzzrapid.Faults(-1, nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s(-1): no panic", name)
				}
			}()
			f()
		}()
	}
}
