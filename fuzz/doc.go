// Package fuzz helps test and fuzz parsers that read from an io.Reader:
// it delivers their input in reads cut at chosen places, injects errors at
// chosen offsets, and checks that a parser gives the same result however
// its input is chunked.
//
// A parser that works on a bytes.Reader can still break on a network
// connection, which hands it a message in pieces: a length prefix split
// over two reads, a "\r\n" whose '\r' ends one read, an io.EOF that comes
// with the last bytes, an empty read, a timeout in the middle of a frame.
// The types of this package make those happen on purpose:
//
//	Chunking      where the reads end: Sizes, then Rest bytes a read; EOFWithData
//	              OneByte, Halves, Cut, Random, DecodeChunking make common ones
//	Reader        an io.Reader over a []byte that follows a Chunking, with Faults
//	NewReader     a Reader from two fuzzer inputs: the data, and a plan of reads and timeouts
//	Fault         an error after exactly Offset bytes: once (retryable) or Sticky,
//	              alone or with the read's data; ErrTimeout by default
//	FaultReader   Faults over any io.Reader
//	Checker       runs a parser under many chunkings and reports any difference
//	CheckChunking a Checker with its defaults
//
// The package depends on the standard library only. Its subpackage
// fuzzrapid holds generators of chunkings and faults for
// pgregory.net/rapid property tests.
//
// # Fuzzing a parser of your own
//
// Given a parser func ParseRecords(r io.Reader) ([]Record, error), these
// lines in a _test.go file make a fuzz target that checks, on every input
// the fuzzer makes, that the parser neither panics nor gives a different
// result when the input arrives one byte at a time, in halves, cut in two
// anywhere, in pseudo-random pieces, with io.EOF alone or with the last
// bytes, with empty reads — and in pieces the fuzzer chooses itself, with
// its second argument:
//
//	func FuzzParseRecords(f *testing.F) {
//		f.Add([]byte("a=1\nb=2\n"), []byte{1, 2, 0})   // input, plan (see NewReader)
//		f.Add([]byte("a=1\r\n\r\nb"), []byte{4, 0x7f}) // more seeds: the corner cases you know
//		f.Fuzz(func(t *testing.T, data, plan []byte) {
//			fuzz.Checker[[]Record]{Plan: plan}.Check(t, data, ParseRecords)
//		})
//	}
//
// and go test -fuzz FuzzParseRecords runs it; plain go test runs the seeds
// and the inputs saved in testdata/fuzz/FuzzParseRecords. The results are
// compared with reflect.DeepEqual, errors too (set [Checker.Equal] and
// [Checker.SameError] to compare otherwise). A failure shows the input,
// the reads and both results:
//
//	fuzz: parse depends on how its input is chunked: under one byte a read
//		input (8 bytes): "a=1\nb=2\n"
//		chunking: 1 byte a read
//		in one read: result []records.Record{records.Record{Key:"a", Value:"1"}, records.Record{Key:"b", Value:"2"}}, error nil
//		chunked:     result []records.Record(nil), error "line 1: no '='" (*errors.errorString)
//		lengths differ: 2 in one read, 0 chunked, equal up to there
//		12 of 17 chunkings differ; also: ...
//
// A parser that must survive timeouts — one that reads from a connection
// with a read deadline and retries — is checked with Timeouts set: then
// the random chunkings and the plan also return [ErrTimeout] at some
// boundaries, once each, and parse must retry those reads (see
// [IsTimeout]) and still return what it returns without them.
//
// To drive the reads by hand, as in a test of a parser that keeps state
// between calls, read from [NewReader] or from a Chunking's Reader:
//
//	r := fuzz.NewReader(data, plan) // or fuzz.Cut(3, 5).Reader(data, fuzz.Fault{Offset: 4})
//	for {
//		rec, err := p.Next(r)
//		if fuzz.IsTimeout(err) {
//			continue // the read is retried; nothing was lost
//		}
//		...
//	}
//
// # Readers and errors
//
// A Chunking's boundaries are places in the stream: each read returns
// bytes of one planned piece only, fewer if the caller's buffer is
// shorter. A [Fault] stops the reads at its offset, so its error comes
// after exactly that many bytes. Empty reads are kept to [MaxEmptyReads]
// in a row in every plan this package makes, far below the 100 after
// which bufio gives up with io.ErrNoProgress. None of the readers is safe
// for concurrent use; a Checker is, if its functions are.
package fuzz
