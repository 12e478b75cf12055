// Package errs holds the error types shared by the streamkit packages.
//
//	IncompleteReadError  the stream ended part way through a read (asyncio's)
//	LimitOverrunError    no separator within a bufio2.Reader's limit (asyncio's)
//	FrameTooLargeError   a frame over a frame codec's maximum size
//	MalformedFrameError  a frame header that breaks its codec's format
//
// They are Go error types that carry their data (like
// [net/http.MaxBytesError]) and are matched with [errors.As]:
//
//	var over *errs.LimitOverrunError
//	if errors.As(err, &over) {
//		// over.Consumed bytes are buffered: read them some other way.
//	}
//
// An [IncompleteReadError] also matches io.ErrUnexpectedEOF with [errors.Is].
// A clean end of stream is never one of these: it is io.EOF itself, never
// wrapped. Every error that reports a limit says the size seen and the limit,
// and a FrameTooLargeError also the codec setting that raises it. Every
// message starts with the package or the call that returned it:
//
//	frame: frame of 10485760 bytes is over the maximum 8388608 (LengthPrefixed.Max)
//	frame.Netstring: malformed frame at offset 20: the length has a leading zero
package errs
