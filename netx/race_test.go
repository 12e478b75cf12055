//go:build race

package netx_test

// raceEnabled scales the load test down under the race detector, which
// makes it about ten times slower.
const raceEnabled = true
