package ingest

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/nginx"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/record"
)

const f5Fixtures = "../../testdata/nginx-ingress-f5"

// f5Label is one row of the F5 fixture's labels.tsv.
type f5Label struct {
	line                   int
	scenario, status       string
	origin, upstreamName   string
	errorLines, errorPeers []string
	errorMsgs              string
}

func readF5Labels(t *testing.T) []f5Label {
	var out []f5Label
	for i, row := range readLines(t, f5Fixtures+"/labels.tsv") {
		if i == 0 {
			continue
		}
		c := strings.Split(string(row), "\t")
		require.Len(t, c, 11, "labels row %d", i)
		l := f5Label{line: i, scenario: c[1], status: c[2], origin: c[3], upstreamName: c[5], errorMsgs: c[8]}
		if c[7] != "-" && c[7] != "" {
			l.errorLines = strings.Split(c[7], ",")
		}
		if c[9] != "-" && c[9] != "" {
			for _, u := range strings.Split(c[9], ",") {
				l.errorPeers = append(l.errorPeers, peerOf(u))
			}
		}
		out = append(out, l)
	}
	return out
}

// peerOf takes host:port (or the group name) from "http://h:p/uri".
func peerOf(u string) string {
	_, u, _ = strings.Cut(u, "://")
	h, _, _ := strings.Cut(u, "/")
	return h
}

// TestF5Fixture: F5 NGINX Ingress Controller's default access line names no
// upstream at all, so the error log is the only source of the upstream and
// of the failure. Every labelled access line of the real capture must come
// out as its label says: the gateway's own 5xx joined with their error
// lines (kind and peer), the application's 5xx without any, cut or HTTP/0.9
// responses behind a non-failure status as "truncated", and nothing else.
func TestF5Fixture(t *testing.T) {
	byRaw, got := joinByAccessLine(t, nginx.F5NginxIngress, readLines(t, findCRI(t, f5Fixtures)))
	stdout := readLines(t, f5Fixtures+"/stdout.log")
	labels := readF5Labels(t)
	require.Len(t, labels, len(stdout))
	records := 0
	for _, l := range labels {
		raw := string(stdout[l.line-1])
		rs := byRaw[raw]
		recorded := watched(atoiStatus(l.status)) || len(l.errorLines) > 0
		if !recorded {
			assert.Empty(t, rs, "row %d (%s %s) must not be a record", l.line, l.scenario, l.status)
			continue
		}
		require.Len(t, rs, 1, "row %d (%s %s): one record", l.line, l.scenario, l.status)
		records++
		r := rs[0]
		assert.Equal(t, atoiStatus(l.status), r.Access.Status, "row %d status", l.line)
		assert.Equal(t, f5Origin(l), record.Origin(r.Access, r.Errors), "row %d (%s) origin", l.line, l.scenario)
		require.Len(t, r.Errors, len(l.errorLines), "row %d (%s) joined error lines", l.line, l.scenario)
		for i := range r.Errors {
			assert.Equal(t, l.errorPeers[i], r.Errors[i].Peer(), "row %d error %d peer", l.line, i)
			assert.Contains(t, l.errorMsgs, r.Errors[i].Message, "row %d error %d message", l.line, i)
		}
		wantOutcome := "failed"
		switch {
		case watched(r.Access.Status):
		case strings.Contains(l.errorMsgs, "while connecting to upstream"):
			// The attempt got no response at all, so the 200 came from
			// the next endpoint: the retry rescued the request.
			wantOutcome = "recovered"
		default:
			wantOutcome = "truncated"
		}
		assert.Equal(t, wantOutcome, record.Outcome(r.Access, r.Errors, watched), "row %d outcome", l.line)
	}
	assert.Equal(t, records, len(got), "no record without a labelled access line")
	assert.Greater(t, records, 49, "the 49 gateway 5xx and more")
}

// f5Origin maps the label's status_origin onto k8s502.origin.
func f5Origin(l f5Label) string {
	switch l.origin {
	case "nginx-gateway":
		return "gateway"
	case "nginx-local":
		return "local"
	case "client-abort":
		return "client"
	}
	return "upstream"
}

func atoiStatus(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// findCRI returns the one container log under dir/var/log/pods.
func findCRI(t *testing.T, dir string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "var", "log", "pods", "*", "*", "*.log"))
	require.NoError(t, err)
	require.Len(t, m, 1)
	return m[0]
}
