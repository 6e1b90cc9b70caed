package testhaproxy

import (
	"strings"
	"testing"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testproc"
)

// WaitTimeout bounds every Wait* helper. It covers a health check: the
// first one runs within inter (2s) of the start.
const WaitTimeout = testproc.WaitTimeout

// Response is what the client got back from HAProxy.
type Response = testproc.Response

// IsTraffic tells a traffic line of LogFormat ("ip:port [date] ...") from
// the other lines the log target gets: on stdout, traffic lines share the
// log target with its copies of server state changes ("Server b/s is DOWN,
// ..."); stderr has HAProxy's own console messages.
func IsTraffic(line string) bool {
	addr, rest, ok := strings.Cut(line, " ")
	return ok && strings.Contains(addr, ":") && strings.HasPrefix(rest, "[")
}

// TrafficLines are the stdout traffic lines so far.
func (h *HAProxy) TrafficLines(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, l := range h.StdoutLines(t) {
		if IsTraffic(l) {
			out = append(out, l)
		}
	}
	return out
}

// WaitRequests waits for one traffic line per request sent so far and
// returns the traffic lines. HAProxy logs when the transaction ends, so a
// client that got its response can be ahead of the log.
func (h *HAProxy) WaitRequests(t testing.TB) []string {
	t.Helper()
	return testproc.WaitCount(t, h.Proc, h.Requests(), "traffic lines", func() []string { return h.TrafficLines(t) })
}
