//go:build !unix

package netx_test

import (
	"testing"
	"time"
)

func fullBacklog(t *testing.T) string {
	t.Skip("needs a Unix socket API")
	return ""
}

func cpuTime() time.Duration { return 0 }

func raiseFiles(t testing.TB, want uint64) {}

func rss() int64 { return 0 }
