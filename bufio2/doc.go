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
// grows only as a read needs, never past the limit plus the longest separator
// plus one read's worth. A stream with no separator costs O(limit) whatever its
// size; the read fails with *[errs.LimitOverrunError], and the data stays
// buffered so it can be read another way (for example ReadExactly(Consumed)).
// Whether a read overruns depends only on the stream, never on how it was
// chunked: it overruns exactly when asyncio's reader, given the whole stream at
// once, overruns.
//
// # Idle readers
//
// Buffers are shared through pools. When a Reader's source is a
// [LazySource] — a netx connection, or a [Feed] — the Reader gives its buffer
// back whenever it has to wait for data, and takes a 4 KiB one when data
// arrives: ten thousand idle connections hold no read buffers at all, even if
// each once read a line that filled 64 KiB.
//
// # Errors
//
//   - io.EOF: the stream ended cleanly, with nothing buffered. It is never
//     wrapped.
//   - *[errs.IncompleteReadError]: the stream ended part way through a read;
//     Partial holds what was there. errors.Is(err, io.ErrUnexpectedEOF) holds.
//   - *[errs.LimitOverrunError]: no separator within the limit.
//   - Any other error comes from the source. It is returned once, by the first
//     read that needs more data than is buffered, and nothing buffered is lost,
//     so a read that failed on a timeout can be retried.
//
// # Copies and views
//
// Each read that returns a slice comes in two forms. ReadLine, ReadUntil,
// ReadUntilAny and ReadExactly return a slice that is the caller's to keep.
// ReadLineSlice, ReadUntilSlice, ReadUntilAnySlice and ReadExactlySlice return
// a view into the Reader's buffer, without a copy or an allocation; it is valid
// only until the next call on the Reader, as with bufio.Reader.ReadSlice.
// ReadExactlyInto reads into the caller's own buffer.
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
// A Reader is not safe for concurrent use; a Feed is safe for one producer and
// one reader goroutine.
package bufio2
