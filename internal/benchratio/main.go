// Command benchratio reads `go test -bench` output and prints, for each
// benchmark, the median of its runs and its ratio to the baseline measured
// in the same run.
//
// The baseline of a benchmark is its sibling whose last name element starts
// with "std=": BenchmarkLines/LF/ReadUntilSlice is compared with
// BenchmarkLines/LF/std=ReadSlice. Throughput (MB/s) is compared when both
// report it, else a custom metric ending in "/s", else time per op (inverted,
// so that a ratio above 1 always means faster than the baseline).
//
//	go test ./bufio2 -run '^$' -bench . -count 5 | go run ./internal/benchratio
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

type result struct {
	name    string
	metrics map[string][]float64 // unit -> values, one per run
}

var procSuffix = regexp.MustCompile(`-\d+$`)

func main() {
	results, order, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchratio:", err)
		os.Exit(1)
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	fmt.Fprintf(w, "| benchmark | median | baseline median | ratio |\n|---|---|---|---|\n")
	for _, name := range order {
		r := results[name]
		unit := pickUnit(r, nil)
		line := fmt.Sprintf("| %s | %s |", name, format(median(r.metrics[unit]), unit))
		base, ok := results[baseline(name, results)]
		if ok && base != r {
			u := pickUnit(r, base)
			ratio := median(r.metrics[u]) / median(base.metrics[u])
			if u == "ns/op" {
				ratio = 1 / ratio
			}
			line += fmt.Sprintf(" %s | %.2f× |", format(median(base.metrics[u]), u), ratio)
		} else {
			line += " | |"
		}
		fmt.Fprintln(w, line)
	}
}

func parse(in io.Reader) (map[string]*result, []string, error) {
	results := map[string]*result{}
	var order []string
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := procSuffix.ReplaceAllString(f[0], "")
		r := results[name]
		if r == nil {
			r = &result{name: name, metrics: map[string][]float64{}}
			results[name] = r
			order = append(order, name)
		}
		// f[1] is the iteration count; then value/unit pairs.
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			r.metrics[f[i+1]] = append(r.metrics[f[i+1]], v)
		}
	}
	return results, order, sc.Err()
}

// baseline returns the name of the std= sibling of name, if any.
func baseline(name string, results map[string]*result) string {
	parent := name[:strings.LastIndex(name, "/")+1]
	for other := range results {
		if strings.HasPrefix(other, parent) && strings.HasPrefix(other[len(parent):], "std=") && !strings.Contains(other[len(parent):], "/") {
			return other
		}
	}
	return ""
}

// pickUnit chooses the metric to report: MB/s, else a rate ("/s"), else
// ns/op; with a baseline, one that both report.
func pickUnit(r, base *result) string {
	has := func(u string) bool {
		_, ok := r.metrics[u]
		if base != nil {
			_, ok2 := base.metrics[u]
			ok = ok && ok2
		}
		return ok
	}
	if has("MB/s") {
		return "MB/s"
	}
	units := make([]string, 0, len(r.metrics))
	for u := range r.metrics {
		units = append(units, u)
	}
	slices.Sort(units)
	for _, u := range units {
		if strings.HasSuffix(u, "/s") && has(u) {
			return u
		}
	}
	return "ns/op"
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func format(v float64, unit string) string {
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + unit
}
