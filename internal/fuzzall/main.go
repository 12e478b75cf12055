// Command fuzzall runs every fuzz target of the module, one at a time, for
// a given time each, and prints a table of what each run did: the time it
// took, its executions (and how many a minute that is), the new inputs it
// found interesting (new coverage) and the size of the corpus after it, and
// its crashers.
//
// From the module root:
//
//	go run ./internal/fuzzall                         # every target, 60s each, -parallel 1
//	go run ./internal/fuzzall -fuzztime 3m ./bufio2   # the targets of one package
//	go run ./internal/fuzzall -run 'Uvarint' -fuzztime 20s
//	go run ./internal/fuzzall -fuzztime 10000x -parallel 2 -log /tmp/fuzzlogs
//
// The arguments are package patterns, ./... if none. For each package,
// fuzzall lists the targets with go test -list '^Fuzz', and runs each with
//
//	go test -run '^$' -fuzz '^Target$' -fuzztime T -parallel P pkg
//
// reading the last "fuzz: elapsed: ..., execs: N (R/sec), new interesting:
// M (total: C)" line of its output. -fuzztime takes what go test's does: a
// duration, or a count of executions such as 5000x. A crasher is a run that
// writes a failing input to testdata/fuzz/<Target>/: the table names the
// file, which is the regression seed to commit once the bug is fixed, and
// fuzzall exits with status 1. A run that fails with no failing input — Go
// 1.26's coordinator can report its own -fuzztime deadline as a failure
// (golang/go#75804) — is listed under the table as failed with no
// crasher, with the end of its output, and is not counted as a crasher; a
// count of executions (-fuzztime 5000x) avoids it.
//
// Executions a minute are a target's health: one that runs only a few
// hundred a minute spends its time on too large inputs or unbounded work
// per input, and fuzzes little. The module's targets run well over
// 10,000 a minute with -parallel 1.
//
// The fuzz cache (new interesting inputs) is go test's, $(go env
// GOCACHE)/fuzz; -cachedir points the runs at another one, e.g. an empty
// directory to measure the targets from their seed corpora alone.
//
// fuzzall is a main package with no tests: go test ./... builds it and runs
// nothing. CI does not use it; .ci/run fuzzes every target for a fixed
// count of executions.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

func main() {
	fuzztime := flag.String("fuzztime", "60s", "how long to fuzz each target: a duration, or a count of executions (5000x)")
	parallel := flag.Int("parallel", 1, "fuzzing workers per target (go test -parallel)")
	run := flag.String("run", "", "fuzz only the targets whose name, or package/name, this regexp matches")
	logDir := flag.String("log", "", "if set, write each run's whole output to DIR/<package>.<Target>.log")
	cacheDir := flag.String("cachedir", "", "if set, the fuzz cache directory for the runs (default: go test's, under GOCACHE)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: go run ./internal/fuzzall [flags] [packages]\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	var filter *regexp.Regexp
	if *run != "" {
		var err error
		if filter, err = regexp.Compile(*run); err != nil {
			fatalf("-run: %v", err)
		}
	}
	patterns := flag.Args()
	if len(patterns) == 0 {
		patterns = []string{"./..."}
	}
	pkgs, err := output("go", append([]string{"list"}, patterns...)...)
	if err != nil {
		fatalf("go list: %v\n%s", err, pkgs)
	}
	if *logDir != "" {
		if err := os.MkdirAll(*logDir, 0o755); err != nil {
			fatalf("%v", err)
		}
	}

	var results []result
	for _, pkg := range strings.Fields(pkgs) {
		for _, target := range targets(pkg) {
			if filter != nil && !filter.MatchString(target) && !filter.MatchString(pkg+"/"+target) {
				continue
			}
			fmt.Fprintf(os.Stderr, "fuzzall: %s %s for %s\n", pkg, target, *fuzztime)
			r := fuzz(pkg, target, *fuzztime, *parallel, *cacheDir)
			if *logDir != "" {
				name := strings.ReplaceAll(pkg, "/", "_") + "." + target + ".log"
				if err := os.WriteFile(filepath.Join(*logDir, name), r.out, 0o644); err != nil {
					fatalf("%v", err)
				}
			}
			fmt.Fprintf(os.Stderr, "fuzzall: %s\n", r.summary())
			results = append(results, r)
		}
	}
	crashed := printTable(os.Stdout, results)
	if crashed {
		os.Exit(1)
	}
}

// result is what one target's run did.
type result struct {
	pkg, target string
	elapsed     string // as the last status line has it
	execs       int64
	newCov      int64 // new interesting inputs
	corpus      int64 // the corpus after the run
	seen        bool  // a status line was found
	crasher     string
	failed      bool // go test failed
	tail        string
	out         []byte
}

func (r result) perMinute() string {
	d, err := time.ParseDuration(r.elapsed)
	if err != nil || d <= 0 || !r.seen {
		return "-"
	}
	return strconv.FormatInt(int64(float64(r.execs)/d.Minutes()), 10)
}

func (r result) status() string {
	switch {
	case r.crasher != "":
		return "CRASHER " + r.crasher
	case r.failed && !r.seen:
		return "FAILED (no status line; see the log)"
	case r.failed:
		return "failed, no crasher (golang/go#75804?)"
	}
	return "ok"
}

func (r result) summary() string {
	return fmt.Sprintf("%s %s: %s, %d execs (%s/min), new interesting %d (total %d): %s",
		r.pkg, r.target, r.elapsed, r.execs, r.perMinute(), r.newCov, r.corpus, r.status())
}

// targets lists pkg's fuzz targets.
func targets(pkg string) []string {
	out, err := output("go", "test", "-list", "^Fuzz", pkg)
	if err != nil {
		fatalf("go test -list '^Fuzz' %s: %v\n%s", pkg, err, out)
	}
	var ts []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "Fuzz") {
			ts = append(ts, strings.TrimSpace(line))
		}
	}
	return ts
}

var (
	// fuzz: elapsed: 25s, execs: 138996 (6106/sec), new interesting: 44 (total: 68)
	statusLine = regexp.MustCompile(`fuzz: elapsed: (\S+), execs: (\d+) \(\d+/sec\), new interesting: (\d+) \(total: (\d+)\)`)
	// Failing input written to testdata/fuzz/FuzzX/0123abcd
	failingInput = regexp.MustCompile(`Failing input written to (\S+)`)
)

func fuzz(pkg, target, fuzztime string, parallel int, cacheDir string) result {
	args := []string{"test", "-run", "^$", "-fuzz", "^" + target + "$",
		"-fuzztime", fuzztime, "-parallel", strconv.Itoa(parallel), pkg}
	if cacheDir != "" {
		args = append(args, "-args", "-test.fuzzcachedir="+filepath.Join(cacheDir, pkg, target))
	}
	out, err := exec.Command("go", args...).CombinedOutput()
	r := result{pkg: pkg, target: target, failed: err != nil, out: out, elapsed: "-"}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var lines []string
	for sc.Scan() {
		line := sc.Text()
		lines = append(lines, line)
		if m := statusLine.FindStringSubmatch(line); m != nil {
			r.seen = true
			r.elapsed = m[1]
			r.execs, _ = strconv.ParseInt(m[2], 10, 64)
			r.newCov, _ = strconv.ParseInt(m[3], 10, 64)
			r.corpus, _ = strconv.ParseInt(m[4], 10, 64)
		}
		if m := failingInput.FindStringSubmatch(line); m != nil {
			r.crasher = m[1]
		}
	}
	if r.failed {
		r.tail = strings.Join(lines[max(0, len(lines)-12):], "\n")
	}
	return r
}

// printTable prints the results and reports whether any run had a crasher.
func printTable(w *os.File, results []result) (crashed bool) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "package\ttarget\ttime\texecs\texecs/min\tnew interesting\tcorpus\tcrashers\t")
	for _, r := range results {
		crashers := 0
		if r.crasher != "" {
			crashers, crashed = 1, true
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%d\t%d\t%d\t\n",
			strings.TrimPrefix(r.pkg, modulePrefix), r.target, r.elapsed, r.execs, r.perMinute(), r.newCov, r.corpus, crashers)
	}
	tw.Flush()
	for _, r := range results {
		if s := r.status(); s != "ok" {
			fmt.Fprintf(w, "\n%s %s: %s\n%s\n", r.pkg, r.target, s, r.tail)
		}
	}
	return crashed
}

// modulePrefix is cut from the package paths in the table.
const modulePrefix = "github.com/streamkit/streamkit/"

func output(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "fuzzall: "+format+"\n", args...)
	os.Exit(2)
}
