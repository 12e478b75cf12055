package main_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamkit/streamkit/examples/internal/exampletest"
	"github.com/streamkit/streamkit/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite testdata/tour.golden with the tour's output")

var programs = &exampletest.Programs{Names: []string{"tour"}}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	programs.Cleanup()
	os.Exit(code)
}

// TestTour runs the tour as `go run ./examples/tour` does (built, then run
// with no arguments) and compares its whole output with
// testdata/tour.golden. After a deliberate change to the tour, rewrite the
// golden file with
//
//	go test ./examples/tour -update
func TestTour(t *testing.T) {
	testenv.Watchdog(t, 3*time.Minute)
	got := exampletest.Run(t, programs.Path(t, "tour")) // fails t unless the tour exits 0
	golden := filepath.Join("testdata", "tour.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got, "\n")); diff != "" {
		t.Errorf("the tour's output (-want +got); if the change is deliberate, run go test ./examples/tour -update:\n%s", diff)
	}
	// Whatever the golden file says, each part of the tour must have run.
	for _, line := range []string{
		"echo-server| Serving on ('127.0.0.1', <port>)",
		"echo-client| Received: 'Hello World!'",
		"HTTP header> HTTP/1.0 200 OK",
		"(the server saw: HEAD /path/page.html HTTP/1.0, Host: 127.0.0.1, TLS: true)",
		"Received: abc",
		"echo-server| Serving on $TMPDIR/echo.sock",
		`client: "hello" -> "HELLO"`,
		"tour complete",
	} {
		if !strings.Contains(got, line+"\n") {
			t.Errorf("the tour did not print %q", line)
		}
	}
}
