// Package frame cuts byte streams into frames and writes frames to byte
// streams: line protocols (SMTP, Redis inline commands, JSON lines),
// length-prefixed binary protocols (Kafka, PostgreSQL, MQTT,
// protobuf-delimited streams), netstrings and syslog over TCP.
//
// A [Codec] is one framing, decode and encode. Its decoder is shaped
// exactly like [bufio.SplitFunc], so every codec works in a bufio.Scanner,
// and every bufio.SplitFunc works as a decoder through [SplitFunc]. Codecs
// are pure: no I/O, no goroutines, no state; a codec is a small config
// struct whose zero value works and whose fields say "if zero, X is used".
// The catalogue:
//
//	Lines           "hello\n" or "hello\r\n"          payload without the line ending
//	Delimited       "a\x00" with any of several separators (earliest end wins)
//	Fixed           exactly Size bytes
//	LengthPrefixed  00 00 00 05 "hello"               1/2/3/4/8-byte length, either byte order,
//	                                                  offset, adjustment, header kept or stripped
//	Uvarint         05 "hello"                        protobuf-style varint length;
//	                30 05 "hello"                     with Offset 1, MQTT's fixed header
//	Netstring       "5:hello,"
//	OctetCounting   "5 hello"                         RFC 6587 syslog over TCP;
//	                "hello\n"                         with NonTransparent, LF framing too
//
// A [Reader] decodes frames from an io.Reader: one driver loop serves
// every codec. [Reader.Next] returns each payload without a copy (valid until
// the next call), [Reader.ReadFrame] a copy, [Reader.All] an iterator of
// copies and [Reader.AllSlice] one of views: as everywhere in streamkit, a
// slice is the caller's to keep unless the name says Slice (Next, the
// zero-copy read, is the one other exception). A [Writer] encodes frames into
// a buffer and batches them into few writes.
//
// # One buffer per connection
//
// A Reader made over a [bufio2.Reader] decodes in that Reader's buffer and
// reads nothing ahead: after each Next the bufio2.Reader stands right after
// the frame returned. A protocol that changes its framing part way reads on
// with the bufio2.Reader's own calls, or with another Reader and another
// codec over the same bufio2.Reader (which costs no buffer), and loses
// nothing: an HTTP head then a length-prefixed body, PostgreSQL's untyped
// startup message then typed messages, RESP's line then bulk block, STARTTLS
// after a framed greeting (netx's StartTLS sees every plaintext byte not yet
// read). Over a netx connection, a Reader that waits for data holds no
// buffer. Over any other io.Reader, NewReader makes a bufio2.Reader of its
// own.
//
// Memory follows the bytes that arrive, never a peer's claim: a frame whose
// header declares n bytes grows the buffer by doubling as its bytes come, so
// a lying header costs what was actually sent. A codec that ends frames with
// a separator is asked again only once a separator has arrived, found by a
// search that resumes where it stopped: a long line that arrives a byte at a
// time is scanned once.
//
// # Typed messages
//
// PostgreSQL's messages and MQTT's packets are typed: a type byte, a
// length, a body. A [LengthPrefixed] or a [Uvarint] whose Offset is 1
// frames them, the type byte being the byte before the length field:
//
//	frame.LengthPrefixed{Offset: 1, Size: 4, Adjust: -4}   (PostgreSQL: the length counts itself)
//	stream:  'Q' 00 00 00 0e "SELECT 1;\x00" 'X' 00 00 00 04
//	         +---+-----------+--------------+---+-----------+
//	         | Q |  len 14   |   10 bytes   | X |   len 4   |
//	         +---+-----------+--------------+---+-----------+
//	type, body:  'Q' "SELECT 1;\x00"             'X' ""
//
// [Writer.WriteTyped] writes one from its type byte and body, with no
// placeholder bytes and no allocation, and [Reader.NextTyped] reads one
// as its type byte and body, pointing into the buffer. A message framed
// apart, such as PostgreSQL's startup message (a length and a body, no
// type byte), is written on the same Writer, in order, with
// [Writer.WriteFrameWith].
//
// # Limits and bad input
//
// Every codec has a maximum frame size: [DefaultMaxDelimited] (64 KiB) for
// the separator codecs (and OctetCounting's non-transparent messages),
// [DefaultMaxFrame] (8 MiB) for those whose header declares a length, Size
// for Fixed. A frame that declares a larger size, or grows past the
// maximum without its separator, fails at once with
// *errs.FrameTooLargeError, which says the size, the maximum and the
// setting that raises it, before the frame is buffered or memory of its
// size allocated: a lying length prefix costs nothing.
//
//	frame: frame of 10485760 bytes at offset 96 is over the maximum 8388608 (LengthPrefixed.Max)
//
// A header that breaks the format (a netstring without its ':', a
// non-digit length, a varint over 10 bytes) fails with
// *errs.MalformedFrameError at the offending byte's offset, naming the
// codec:
//
//	frame.Netstring: malformed frame at offset 20: the length has a leading zero
//
// After an oversized frame a Reader stops, or, with [SkipOversized], skips
// the frame and goes on with the next, in O(max frame) memory.
//
// Decoding does not depend on how the stream is chunked: the same bytes
// give the same frames and the same errors at the same frame, whether they
// arrive at once or one byte at a time.
package frame
