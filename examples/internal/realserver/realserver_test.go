package realserver_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/streamkit/streamkit/examples/internal/realserver"
	"github.com/streamkit/streamkit/internal/testenv"
)

// TestReachable dials every server that .ci/servers starts, so that CI
// fails when one of them did not come up, whether or not a client's test
// uses it yet. The syslog sink is where a test listens, so nothing answers
// there.
func TestReachable(t *testing.T) {
	testenv.Watchdog(t, time.Minute)
	for _, s := range realserver.All {
		if s == realserver.SyslogSink {
			continue
		}
		t.Run(s.Env, func(t *testing.T) {
			addr := realserver.Addr(t, s)
			network := "tcp"
			if s == realserver.RedisSocket {
				network = "unix"
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var d net.Dialer
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				t.Fatalf("%s at %s: %v", s.Name, addr, err)
			}
			c.Close()
		})
	}
}
