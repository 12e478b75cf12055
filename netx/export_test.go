package netx

import "time"

// SetSweepInterval changes how long bytes written while the reader is
// between reads may wait for that reader; zero starts a flusher at once for
// every write. It returns a function that restores the old value. For
// benchmarks and tests only.
func SetSweepInterval(d time.Duration) (restore func()) {
	old := sweepEvery.Swap(int64(d))
	return func() { sweepEvery.Store(old) }
}

// SetPlainReads makes the pairs made from now on read through the
// connection's Read, holding the Reader's buffer while they wait, as
// before reads were lazy (on), or lazily where the connection allows it
// (off, the default). It returns a function that restores the old value.
// For benchmarks and tests only.
func SetPlainReads(on bool) (restore func()) {
	old := plainReads.Swap(on)
	return func() { plainReads.Store(old) }
}

// SetLogInterval changes the least time between two rate-limited log
// records of one kind (failed TLS handshakes, MaxConns reached). It
// returns a function that restores the old value. For tests only.
func SetLogInterval(d time.Duration) (restore func()) {
	old := logEvery.Swap(int64(d))
	return func() { logEvery.Store(old) }
}
