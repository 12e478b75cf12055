// Package streamkit is Python's asyncio Streams for Go, as an
// io.Reader-composable codec toolkit. This package holds no code; it is the
// tutorial. The code is in its packages:
//
//	bufio2    a buffered reader with asyncio's limit and errors (StreamReader)
//	errs      the shared error types (IncompleteReadError, LimitOverrunError)
//
// # Reading a line protocol
//
// Put a [bufio2.Reader] on any io.Reader. Its limit (64 KiB unless you say
// otherwise) bounds how long a line may be, and with it the memory a hostile
// peer can make you spend:
//
//	r := bufio2.NewReaderLimit(conn, 1024)
//	for line, err := range r.Lines() {
//		var over *errs.LimitOverrunError
//		if errors.As(err, &over) {
//			continue // the overlong line was skipped; the next one follows
//		}
//		if err != nil {
//			return err
//		}
//		handle(line)
//	}
//
// ReadUntil reads up to any separator, ReadUntilAny up to the first of
// several ("\n" or "\r\n": the match that ends first wins), and each has a
// zero-copy form (ReadUntilSlice, ...) whose result is valid until the next
// call.
//
// # Reading a length-prefixed protocol
//
// ReadExactly reads a count that may exceed the limit, straight into its
// result; ReadExactlyInto reads into your buffer:
//
//	var hdr [4]byte
//	if _, err := r.ReadExactlyInto(hdr[:]); err != nil {
//		return err // io.EOF at a clean end; *errs.IncompleteReadError mid-header
//	}
//	n := binary.BigEndian.Uint32(hdr[:])
//	if n > maxFrame {
//		return fmt.Errorf("frame of %d bytes, max %d", n, maxFrame)
//	}
//	payload, err := r.ReadExactly(int(n))
//
// # Errors
//
// A clean end of stream is io.EOF, never wrapped. A stream that ends part way
// through a read gives *[errs.IncompleteReadError] with the partial data
// (it also matches io.ErrUnexpectedEOF). A separator not found within the
// limit gives *[errs.LimitOverrunError], and the data stays buffered so it can
// be read another way. Whether a read overruns never depends on how the
// stream was chunked.
//
// # Feeding a reader by hand
//
// When data arrives by other means (callbacks, a message queue), write it to a
// [bufio2.Feed] and read it through a Reader; the Feed tells the producer when
// to pause and resume, as asyncio's StreamReader does its transport.
package streamkit
