//go:build !race

package netx_test

const raceEnabled = false
