package testenv

import (
	"flag"
	"testing"
)

// FuzzMinimize is the budget that [Main] gives go test's minimizer per
// input, as -fuzzminimizetime takes it: a count of executions.
//
// The minimizer runs on every input that finds new coverage, not only on
// crashers, and with go test's default of 60s it tries removing every
// subset of the input's bytes: a number of runs that grows with the square
// of the input's length. A target whose inputs are a few hundred bytes and
// take a millisecond a run (the rapid state machines, which read 8 bytes a
// draw) then spends most of a fuzzing session minimizing, with -parallel 1
// all of it: FuzzReaderMachine made 19 executions in 20 seconds. 2000 runs
// are enough to cut an input's unused tail and single bytes; a crasher is
// written to testdata/fuzz either way.
const FuzzMinimize = "2000x"

// Main runs a package's tests, benchmarks and fuzz targets, as a TestMain
// that calls it: it gives the minimizer the [FuzzMinimize] budget unless
// the command line sets -fuzzminimizetime itself.
//
//	func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }
func Main(m *testing.M) int {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.fuzzminimizetime" })
	if !set {
		if err := flag.Set("test.fuzzminimizetime", FuzzMinimize); err != nil {
			panic("testenv: " + err.Error())
		}
	}
	return m.Run()
}
