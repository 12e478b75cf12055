package frame_test

import (
	"os"
	"testing"

	"github.com/streamkit/streamkit/internal/testenv"
)

// TestMain bounds go test's minimizer for the fuzz targets
// (testenv.FuzzMinimize says why).
func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }
