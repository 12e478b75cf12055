// Package streamkit is Python's asyncio Streams for Go, as an
// io.Reader-composable codec toolkit. This package holds no code; it is the
// tutorial, and its examples run as tests. The code is in its packages:
//
//	bufio2   a buffered reader with asyncio's limit and errors (StreamReader), and Feed
//	frame    codecs for framed protocols, and a frame Reader and Writer
//	netx     dial and serve TCP, Unix and TLS as reader/writer pairs (open_connection, start_server)
//	errs     the shared error types
//	fuzz     readers that chunk input and inject faults, to fuzz your own parsers
//
// # Reading a line protocol
//
// Put a [bufio2.Reader] on any io.Reader. Its limit (64 KiB unless you say
// otherwise) bounds how long a line may be, and with it the memory a hostile
// peer can make you spend. An overlong line is reported and skipped:
//
//	r := bufio2.NewReaderLimit(conn, 1024)
//	for line, err := range r.Lines() {
//		var over *errs.LimitOverrunError
//		if errors.As(err, &over) {
//			continue // the overlong line is gone; the next one follows
//		}
//		if err != nil {
//			return err
//		}
//		handle(line)
//	}
//
// ReadUntil reads up to any separator, ReadUntilAny up to the first of
// several ("\n" or "\r\n": the match that ends first wins), ReadExactly an
// exact count (which may exceed the limit), and each has a zero-copy form
// (ReadUntilSlice, ...) whose result is valid until the next call.
//
// # Reading a length-prefixed protocol
//
// The [frame] codecs cut a stream into frames. A length-prefixed protocol
// with a 4-byte big-endian length and frames of at most 1 MiB:
//
//	codec := frame.LengthPrefixed{Max: 1 << 20}
//	for payload, err := range frame.NewReader(conn, codec).All() {
//		if err != nil {
//			return err // *errs.FrameTooLargeError for a lying prefix, before anything is allocated
//		}
//		handle(payload) // the caller's to keep
//	}
//
// and to write, frame.NewWriter(conn, codec): WriteFrame batches small frames,
// Flush sends them. Lines, Delimited, Fixed, Uvarint, Netstring and
// OctetCounting work the same way, and each codec's Split is a
// bufio.SplitFunc, so it also drives a bufio.Scanner.
//
// All yields copies; AllSlice and Next, the zero-copy reads, return views
// valid until the next call. That is the rule everywhere in streamkit: a
// slice is the caller's to keep unless the name says Slice (or it is
// frame.Reader.Next).
//
// # Switching framing part way
//
// A frame.Reader over a bufio2.Reader decodes in the bufio2.Reader's buffer
// and reads nothing ahead, so a protocol can change its framing mid-stream
// and lose nothing:
//
//	br := bufio2.NewReader(conn)
//	head, err := br.ReadLineTrimmed()                       // a line,
//	body, err := frame.NewReader(br, frame.LengthPrefixed{}).Next() // a frame,
//	tail, err := br.ReadLine()                              // lines again
//
// # Serving
//
// [netx.Listen] is asyncio's start_server: each connection gets its own
// goroutine running the handler, with the connection's reader and writer.
// Bytes written go out promptly, without Drain; replies to requests that
// arrived together go out in one system call.
//
//	srv, err := netx.Listen(ctx, "tcp", ":8888", func(ctx context.Context, r *bufio2.Reader, w *netx.Writer) {
//		for line, err := range r.Lines() {
//			if err != nil {
//				return
//			}
//			w.Write(line) // echo
//		}
//	})
//	...
//	srv.Shutdown(ctx) // stop accepting, close idle connections, let busy handlers finish; abort the rest when ctx ends
//
// A handler that streams a lot calls w.Drain(ctx) now and then, as in
// asyncio, and a Write above the high-water mark waits by itself. Handlers
// that should wind down early in a graceful shutdown watch srv.Closing().
//
// # Dialing
//
// [netx.Dial] is asyncio's open_connection; a [netx.Dialer] sets the limit,
// TLS, and the rest of net.Dialer's options:
//
//	r, w, err := netx.Dial(ctx, "tcp", "example.com:8888")
//	if err != nil {
//		return err
//	}
//	defer w.Close() // sends what was written, then closes
//	w.Write([]byte("Hello World!\n"))
//	reply, err := r.ReadLine()
//
// "unix" dials a Unix socket; [netx.Wrap] adopts a connection you already
// have.
//
// # Errors
//
// A clean end of stream is io.EOF, never wrapped. A stream that ends part way
// through a read gives *[errs.IncompleteReadError] with the partial data (it
// also matches io.ErrUnexpectedEOF). A separator not found within the limit
// gives *[errs.LimitOverrunError], and the data stays buffered so it can be
// read another way. A frame over its codec's maximum is
// *[errs.FrameTooLargeError], a malformed header *[errs.MalformedFrameError]
// with its offset. None of these depends on how the stream was chunked.
//
// # Feeding a reader by hand
//
// When data arrives by other means (callbacks, a message queue), write it to a
// [bufio2.Feed] and read it through a Reader; the Feed tells the producer when
// to pause and resume, as asyncio's StreamReader does its transport.
//
// # Fuzzing your own parser
//
// A parser that passes its tests on a bytes.Reader can still fail on a
// connection, which delivers a message in pieces: a length prefix split over
// two reads, a "\r\n" cut between its bytes, io.EOF with the last data, a
// timeout mid-frame. The [fuzz] package makes those happen on purpose. Given
// ParseRecords(io.Reader) ([]Record, error), a fuzz target that checks it
// never panics and gives the same result however the input is chunked, in
// pieces the fuzzer chooses too:
//
//	func FuzzParseRecords(f *testing.F) {
//		f.Add([]byte("a=1\nb=2\n"), []byte{1, 2, 0}) // input, chunking plan
//		f.Fuzz(func(t *testing.T, data, plan []byte) {
//			fuzz.Checker[[]Record]{Plan: plan}.Check(t, data, ParseRecords)
//		})
//	}
//
// go test -fuzz FuzzParseRecords runs it. [fuzz.CheckChunking] does the same
// check in an ordinary test, [fuzz.Fault] injects an error at an exact
// offset, and package fuzz/fuzzrapid generates chunkings for rapid
// properties.
package streamkit
