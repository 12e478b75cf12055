package bufio2

import "io"

// The interfaces a source may implement to tell a [Reader] more than
// io.Reader can.

// A LazySource is a source that can wait for data without holding a buffer
// to read into, such as a socket that can be polled for readability (netx's
// connections are LazySources).
//
// When a [Reader]'s buffer is empty and it must read, it calls ReadLazy
// instead of Read. get returns the buffer to read into: the Reader's own if
// it has one, else a small one from a pool shared by all Readers. release
// gives the Reader's buffer back to that pool. ReadLazy must call release
// before it waits for data (if it called get before and found nothing to
// read, as a non-blocking read that would block does, it must not use that
// buffer again), and call get again once data can be read; it reads as Read
// would and returns the count, which refers to the buffer that get returned
// last. It must not keep a buffer after ReadLazy returns. So a Reader that
// waits on an idle connection holds no buffer at all, while a busy one reads
// straight into the buffer it has.
type LazySource interface {
	io.Reader
	ReadLazy(get func() []byte, release func()) (n int, err error)
}

// A ReadStarter is a source that wants to know when a call on a [Reader]
// begins to read from it: a network connection that bounds each call with
// a deadline, or that tells a connection waiting for its next message from
// one in the middle of a message (netx's connections are ReadStarters).
//
// StartRead is called once per call on the Reader (ReadLine, ReadUntil,
// ReadExactly, Read, Peek, Discard, WriteTo, a frame.Reader's Next over the
// Reader, and the others), before that call's first read from the source;
// a call that finds what it needs buffered does not call it. fresh reports
// that the call found nothing buffered and had consumed nothing: it waits
// for the start of a new message, not for the rest of one. StartRead must
// not call the Reader.
type ReadStarter interface {
	io.Reader
	StartRead(fresh bool)
}
