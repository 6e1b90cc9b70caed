package testtraefik

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testproc"
)

// WaitTimeout bounds every Wait* helper.
const WaitTimeout = testproc.WaitTimeout

// Response is what the client got back from Traefik.
type Response = testproc.Response

// Access is one line of the JSON access log, the fields the tests read.
type Access struct {
	RequestHost       string
	RequestPath       string
	DownstreamStatus  int
	OriginStatus      int
	RouterName        string
	ServiceName       string // absent when no server was chosen
	ServiceAddr       string
	ServiceURL        string
	Duration          int64 // nanoseconds
	OriginContentSize int64
	Line              string `json:"-"`
}

// ParseAccess reads an access line; ok is false for general-log lines
// (those have no DownstreamStatus).
func ParseAccess(line string) (Access, bool) {
	if !strings.Contains(line, `"DownstreamStatus"`) {
		return Access{}, false
	}
	var a Access
	if err := json.Unmarshal([]byte(line), &a); err != nil {
		return Access{}, false
	}
	a.Line = line
	return a, true
}

// AccessLines are the access lines so far, without those of the ready
// route.
func (tr *Traefik) AccessLines(t testing.TB) []Access {
	t.Helper()
	var out []Access
	for _, l := range tr.StdoutLines(t) {
		if a, ok := ParseAccess(l); ok && a.RequestHost != ReadyHost {
			out = append(out, a)
		}
	}
	return out
}

// WaitRequests waits for one access line per request sent so far and
// returns the access lines.
func (tr *Traefik) WaitRequests(t testing.TB) []Access {
	t.Helper()
	return testproc.WaitCount(t, tr.Proc, tr.Requests(), "access lines", func() []Access { return tr.AccessLines(t) })
}
