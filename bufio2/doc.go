// Package bufio2 is a buffered reader with a limit: Python asyncio's
// StreamReader, over any io.Reader.
//
// A [Reader] reads lines ([Reader.ReadLine]), data up to a separator
// ([Reader.ReadUntil]) or up to the first of several separators
// ([Reader.ReadUntilAny]), and exact counts ([Reader.ReadExactly]), with
// asyncio's results and errors, and it is an io.Reader, io.ByteScanner and
// io.WriterTo, so it composes with the rest of io. A [Feed] is an io.Reader
// that a producer fills by hand (asyncio's feed_data and feed_eof), with
// asyncio's read-side flow control.
//
// # The limit
//
// Every Reader has a limit ([DefaultLimit], 64 KiB, unless set with
// [NewReaderLimit]). It bounds the data a separator read may return before its
// separator, and with it the Reader's memory: the buffer starts at 4 KiB and
// grows as a read needs, or while the source keeps it full at every read (so
// that a busy source is read in large reads: up to 16 KiB for a plain
// io.Reader, where a larger buffer costs more in copies than it saves in
// reads, and up to the limit for a [LazySource] such as a netx connection,
// where each read is a system call), never past the limit plus the longest
// separator plus one read's worth. A stream with no separator costs
// O(limit) whatever its size; the read fails with *[errs.LimitOverrunError], and the data stays
// buffered so it can be read another way (for example ReadExactly(Consumed))
// or skipped ([Reader.SkipUntil]). Whether a read overruns depends only on the
// stream, never on how it was chunked: it overruns exactly when asyncio's
// reader, given the whole stream at once, overruns.
//
// A count that the stream declares costs memory only as its bytes arrive:
// [Reader.ReadExactly] of more than the limit grows its result by doubling as
// the bytes come, so a peer that claims a terabyte and sends ten bytes costs
// ten bytes, not a terabyte.
//
// # One buffer per stream
//
// A frame.Reader made over a Reader decodes its frames in the Reader's own
// buffer and reads nothing ahead of them. The two kinds of reads can follow
// each other on one stream in any order (a head of lines, then
// length-prefixed frames, then lines again), frame.Readers with different
// codecs can take turns, and netx's StartTLS sees every byte not yet read,
// whichever reader buffered it. A frame.Reader's frame may grow the buffer
// past the limit, up to its codec's maximum frame, as the frame's bytes
// arrive.
//
// # Idle readers
//
// Buffers are shared through pools. When a Reader's source is a
// [LazySource] — a netx connection, or a [Feed] — the Reader gives its buffer
// back whenever it has to wait for data, and takes one again when data
// arrives, sized to what its recent reads used (4 KiB to 1 MiB): ten
// thousand idle connections hold no read buffers at all, even if each once
// read a line that filled 64 KiB, while a connection that keeps receiving
// 60 KiB messages reads each one whole. A [ReadStarter] source is told when
// each call starts reading from it, which netx uses for its per-call read
// timeout and to tell an idle connection from one in the middle of a message.
//
// # Errors
//
//   - io.EOF: the stream ended cleanly, with nothing buffered. It is never
//     wrapped.
//   - *[errs.IncompleteReadError]: the stream ended part way through a read;
//     Partial holds what was there. errors.Is(err, io.ErrUnexpectedEOF) holds.
//   - *[errs.LimitOverrunError]: no separator within the limit; Discarded says
//     whether the data is gone (ReadLine) or still buffered (the others).
//   - *[errs.MalformedFrameError]: [Reader.ReadBlock]'s block is not followed
//     by its trailer; nothing was consumed.
//   - Any other error comes from the source. It is returned once, by the first
//     read that needs more data than is buffered, and nothing buffered is lost,
//     so a read that failed on a timeout can be retried.
//
// Every message starts with the call that failed (bufio2.ReadUntil, ...) and
// says what became of the data.
//
// # Copies and views
//
// One rule holds across streamkit: a call or an iterator that returns a
// slice returns the caller's own copy, unless its name ends in Slice (or it
// is frame.Reader.Next, the zero-copy frame read). ReadLine, ReadUntil,
// ReadUntilAny, ReadExactly, ReadBlock, ReadLineTrimmed and Lines return
// copies. ReadLineSlice, ReadUntilSlice, ReadUntilAnySlice,
// ReadExactlySlice, ReadBlockSlice, ReadLineTrimmedSlice and LinesSlice
// return views into the Reader's buffer, without a copy or an allocation;
// a view is valid only until the next call on the Reader (or on a
// frame.Reader over it), as with bufio.Reader.ReadSlice. ReadExactlyInto
// reads into the caller's own buffer.
//
// # Line protocols with counted values
//
// [Reader.ReadLineTrimmed] reads a line without its "\n" or "\r\n";
// [Reader.ReadBlock] reads n bytes and checks the trailer that must follow
// them, in one call: a RESP bulk string is a line "$5" and then
// ReadBlock(5, "\r\n").
//
// # From asyncio
//
//	asyncio StreamReader            bufio2
//	--------------------            ------
//	StreamReader(limit=n)           NewReaderLimit(src, n)
//	await read(n)                   Read(p), len(p) == n
//	await read()                    io.ReadAll(r) or r.WriteTo(w)
//	await readline()                ReadLine()
//	await readuntil(sep)            ReadUntil(sep)
//	await readuntil((s1, s2))       ReadUntilAny(s1, s2)
//	await readexactly(n)            ReadExactly(n)
//	readline() then strip           ReadLineTrimmed()
//	at_eof()                        AtEOF()
//	async for line in reader        for line, err := range r.Lines()
//	feed_data / feed_eof            Feed.Write / Feed.Close
//	set_exception(exc)              Feed.CloseWithError(err)
//
// Where Go's conventions differ, Go's win:
//
//   - A clean end of stream is io.EOF, where asyncio returns b"" or raises
//     IncompleteReadError with an empty partial.
//   - ReadLine on an overlong line discards the whole line, reading on as
//     needed, so the next call starts at the next line. asyncio discards only
//     what happens to be buffered, so the tail of a long line can come back as
//     a line of its own, depending on the chunking.
//   - Feed.CloseWithError lets the reader drain the bytes already fed before it
//     sees the error; asyncio drops them. Likewise, a source error does not
//     drop buffered data.
//   - Peek, Discard, ReadByte, UnreadByte and WriteTo come from bufio.Reader;
//     asyncio has no such calls.
//
// The zero Reader has no source: [Reader.Reset] gives it one (with
// DefaultLimit), and a read before that panics with a message that says so.
// A Reader is not safe for concurrent use; a Feed is safe for one producer and
// one reader goroutine.
package bufio2
