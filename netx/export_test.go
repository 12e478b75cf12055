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
