// Package realserver tells the examples' tests where the real servers are:
// the Redis, memcached, dnsmasq, PostgreSQL, mosquitto and rsyslog servers
// that .ci/servers starts on loopback and names in STREAMKIT_* environment
// variables.
//
// A test asks for its server with [Addr], which skips the test, naming the
// server and the variable, when the variable is unset, so that go test ./...
// passes on a machine that has only Go. With STREAMKIT_REQUIRE_SERVERS set to
// 1, as .ci/run sets it, a missing server fails the test instead: in CI the
// real-server tests must run.
package realserver

import (
	"os"
	"testing"
)

// RequireEnv is the variable that turns a missing server from a skip into a
// failure when it is "1".
const RequireEnv = "STREAMKIT_REQUIRE_SERVERS"

// A Server is one real server a test talks to, and the variable that holds
// its address.
type Server struct {
	Name string // the server, as its package installs it: "redis-server"
	Env  string // the variable that holds its address
	What string // what the address is: "host:port", "Unix socket path"
}

// The servers that .ci/servers starts (bash .ci/servers list describes
// each).
var (
	Redis       = Server{"redis-server", "STREAMKIT_REDIS_ADDR", "host:port"}
	RedisSocket = Server{"redis-server", "STREAMKIT_REDIS_SOCKET", "Unix socket path"}
	Memcached   = Server{"memcached", "STREAMKIT_MEMCACHED_ADDR", "host:port"}
	Dnsmasq     = Server{"dnsmasq", "STREAMKIT_DNSMASQ_ADDR", "host:port, answering example.test A 127.0.0.53"}
	Postgres    = Server{"PostgreSQL", "STREAMKIT_POSTGRES_ADDR", "host:port"}
	Mosquitto   = Server{"mosquitto", "STREAMKIT_MOSQUITTO_ADDR", "host:port"}
	Rsyslog     = Server{"rsyslogd", "STREAMKIT_RSYSLOG_ADDR", "host:port of its imtcp input"}
	// SyslogSink is not a server but the address where a test's syslog
	// server is to listen: the Rsyslog server forwards there.
	SyslogSink = Server{"rsyslogd", "STREAMKIT_SYSLOG_SINK_ADDR", "host:port that rsyslogd forwards to"}
)

// All lists every server and address that .ci/servers provides.
var All = []Server{Redis, RedisSocket, Memcached, Dnsmasq, Postgres, Mosquitto, Rsyslog, SyslogSink}

// Addr returns s's address from its variable. If the variable is unset or
// empty, Addr skips t, or fails it if STREAMKIT_REQUIRE_SERVERS is 1; the
// message names the server and the variable either way.
func Addr(t testing.TB, s Server) string {
	t.Helper()
	if addr := os.Getenv(s.Env); addr != "" {
		return addr
	}
	if Required() {
		t.Fatalf("needs %s: %s (%s) is not set, and %s=1 requires the real servers (.ci/servers starts them)",
			s.Name, s.Env, s.What, RequireEnv)
	}
	t.Skipf("needs %s: set %s (%s), or run under bash .ci/servers run go test ...", s.Name, s.Env, s.What)
	return ""
}

// Required reports whether STREAMKIT_REQUIRE_SERVERS is 1.
func Required() bool { return os.Getenv(RequireEnv) == "1" }
