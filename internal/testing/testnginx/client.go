package testnginx

import (
	"testing"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testproc"
)

// DefaultClientIP is sent as X-Forwarded-For when the caller sets none, so
// $remote_addr in access lines is never the loopback address.
const DefaultClientIP = "203.0.113.7"

// WaitTimeout bounds every Wait* helper.
const WaitTimeout = testproc.WaitTimeout

// Response is what the client got back from nginx.
type Response = testproc.Response

// AccessLines returns the complete stdout lines so far; with this config
// every stdout line is an access line.
func (n *Nginx) AccessLines(t testing.TB) []string {
	t.Helper()
	return n.StdoutLines(t)
}

// ErrorLines returns the complete stderr lines so far.
func (n *Nginx) ErrorLines(t testing.TB) []string {
	t.Helper()
	return n.StderrLines(t)
}

// WaitAccessLines waits until the CRI file holds at least count access lines
// and returns them all. nginx logs after answering, so a client that got its
// response can be ahead of the log.
func (n *Nginx) WaitAccessLines(t testing.TB, count int) []string {
	t.Helper()
	return testproc.WaitCount(t, n.Proc, count, "access lines", func() []string { return n.AccessLines(t) })
}

// WaitRequests waits for one access line per request sent so far.
func (n *Nginx) WaitRequests(t testing.TB) []string {
	t.Helper()
	return n.WaitAccessLines(t, n.Requests())
}
