package ingest

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/container"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/gateway"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/join"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/nginx"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/record"
)

// gatewayLabel is one row of labels.tsv in the layout the NGF and Kong
// captures share (testdata/ngf/README.md § labels.tsv): one per access line.
type gatewayLabel struct {
	criLine                    int
	scenario                   string
	status                     int
	origin, errorKind, outcome string
	requestID                  string
	errorLines                 []int
	errorPeers                 []string
}

func readGatewayLabels(t *testing.T, dir string) []gatewayLabel {
	t.Helper()
	var out []gatewayLabel
	for i, row := range readLines(t, dir+"/labels.tsv") {
		c := strings.Split(string(row), "\t")
		require.Len(t, c, 15, "labels row %d", i)
		if i == 0 {
			require.Equal(t, "cri_line", c[0])
			continue
		}
		l := gatewayLabel{criLine: atoi(t, c[0]), scenario: c[1], status: atoi(t, c[2]), origin: c[3],
			errorKind: c[4], outcome: c[5], requestID: c[10]}
		if c[11] != "-" {
			for _, n := range strings.Split(c[11], ",") {
				l.errorLines = append(l.errorLines, atoi(t, n))
			}
			for _, u := range strings.Split(c[13], ",") {
				l.errorPeers = append(l.errorPeers, peerOf(u))
			}
			require.Len(t, l.errorPeers, len(l.errorLines), "labels row %d", i)
		}
		out = append(out, l)
	}
	require.NotEmpty(t, out)
	return out
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	require.NoError(t, err, s)
	return n
}

// criMessage is what the container runtime wrapped: the line after
// "<time> <stream> <P|F> ".
func criMessage(t *testing.T, line []byte) string {
	t.Helper()
	f := strings.SplitN(string(line), " ", 4)
	require.Len(t, f, 4)
	return f[3]
}

// silentLocal are the scenarios the labels call local from the data
// plane's configuration although no line says so: NGF's 503 server for a
// Service without endpoints and Kong's "failure to get a peer" 503 write no
// error line and no upstream, so in the log they are an application's own
// 503 (origin upstream). The processor judges them from cluster state.
var silentLocal = map[string]bool{"no-endpoints": true, "no-targets": true}

// joinByAccessLine runs a capture's lines through ingest with profile p
// (container.Auto, statuses 502, 503 and 504 watched) and the join, and
// returns the joined requests by their raw access line, and all of them.
// A line p's default formats do not match, or an error line joined with no
// access line, fails the test.
func joinByAccessLine(t *testing.T, p gateway.Profile, lines [][]byte) (map[string][]join.Request, []join.Request) {
	t.Helper()
	var got []join.Request
	j := join.New(join.Config{Window: time.Hour, Hold: time.Second, MaxPending: 100000}, func(r join.Request) { got = append(got, r) })
	in := New(Config{Wrapper: container.Auto, NewParser: parsers(t, p), Watched: NewStatuses([]int{502, 503, 504}), MaxLineSize: 1 << 20}, j)
	in.Lines(in.NewSource("pod"), lines, time.Now())
	j.Flush()
	assert.Zero(t, in.Counters.AccessFailed.Load(), "every access line matches the default format")
	assert.Zero(t, in.Counters.ErrorFailed.Load())

	byRaw := map[string][]join.Request{}
	for _, r := range got {
		require.NotNil(t, r.Access, "error line joined with no access line: %v", r.Errors)
		byRaw[r.AccessRaw] = append(byRaw[r.AccessRaw], r)
	}
	return byRaw, got
}

// checkGatewayLabels reads a capture's CRI log with the profile and wants
// every labelled access line to come out as its row says: the watched
// statuses and the rescued requests are records, with exactly the error
// lines the row lists (by line, peer and kind), the row's status, origin,
// outcome and request id; nothing else is a record, and no error line is
// left without its access line.
func checkGatewayLabels(t *testing.T, dir string, p gateway.Profile, lines [][]byte) []join.Request {
	t.Helper()
	byRaw, got := joinByAccessLine(t, p, lines)
	records := 0
	for _, l := range readGatewayLabels(t, dir) {
		row := fmt.Sprintf("line %d (%s %d)", l.criLine, l.scenario, l.status)
		rs := byRaw[criMessage(t, lines[l.criLine-1])]
		if !watched(l.status) && l.outcome == "-" {
			assert.Empty(t, rs, "%s must not be a record", row)
			continue
		}
		require.Len(t, rs, 1, "%s: one record", row)
		records++
		r := rs[0]
		assert.Equal(t, l.status, r.Access.Status, row)
		wantOrigin := l.origin
		if silentLocal[l.scenario] {
			wantOrigin = schema.OriginUpstream
		}
		assert.Equal(t, wantOrigin, record.Origin(r.Access, r.Errors), "%s origin", row)
		assert.Equal(t, l.outcome, record.Outcome(r.Access, r.Errors, watched), "%s outcome", row)
		if l.requestID != "-" {
			assert.Equal(t, l.requestID, r.Access.RequestID, "%s request id", row)
		}
		require.Len(t, r.Errors, len(l.errorLines), "%s joined error lines", row)
		for i, e := range r.Errors {
			assert.Equal(t, criMessage(t, lines[l.errorLines[i]-1]), e.Raw, "%s error %d is line %d", row, i, l.errorLines[i])
			assert.Equal(t, l.errorPeers[i], e.Peer(), "%s error %d peer", row, i)
		}
		if l.errorKind != "-" {
			assert.Equal(t, l.errorKind, firstErrorKind(r.Errors), "%s error kind", row)
		}
	}
	assert.Equal(t, records, len(got), "no record without a labelled access line")
	return got
}

func firstErrorKind(errs []event.UpstreamError) string {
	for _, e := range errs {
		if e.Level >= event.LevelError {
			return e.Kind
		}
	}
	return ""
}

// TestNGFFixture: NGINX Gateway Fabric logs nginx's combined format (no
// upstream, no request id): the error log alone names the peer and the
// reason, joined on client and request line; its 503 for a Service without
// endpoints and its 500 for an invalid backendRef write no error line.
func TestNGFFixture(t *testing.T) {
	const dir = "../../testdata/ngf"
	got := checkGatewayLabels(t, dir, nginx.NGF, readLines(t, findCRI(t, dir)))
	assert.Len(t, got, 26, "20 × 502, 3 × 503, 2 × 504 and the one rescued request")
}

// TestKongFixture: Kong's kong_log_format names no upstream either; each
// failed request has one error line per try (retries 5: six), all joined.
func TestKongFixture(t *testing.T) {
	const dir = "../../testdata/kong"
	got := checkGatewayLabels(t, dir, nginx.Kong, readLines(t, findCRI(t, dir)))
	assert.Len(t, got, 22, "14 × 502, 3 × 503, 2 × 504 and three rescued requests")
	for _, r := range got {
		for _, e := range r.Errors {
			assert.Empty(t, e.RequestID, "stock nginx writes no request_id")
		}
	}
}

// TestKongFixtureWithRequestIDs: real Kong appends `, request_id: "<id>"`
// to each request's error lines. The capture with that suffix added to
// every error line (the id from its row) must give the same records, each
// error line carrying its access line's id.
func TestKongFixtureWithRequestIDs(t *testing.T) {
	const dir = "../../testdata/kong"
	lines := readLines(t, findCRI(t, dir))
	for _, l := range readGatewayLabels(t, dir) {
		for _, n := range l.errorLines {
			lines[n-1] = append(lines[n-1], fmt.Sprintf(`, request_id: "%s"`, l.requestID)...)
		}
	}
	got := checkGatewayLabels(t, dir, nginx.Kong, lines)
	require.Len(t, got, 22)
	for _, r := range got {
		for _, e := range r.Errors {
			assert.Equal(t, r.Access.RequestID, e.RequestID)
			assert.Equal(t, "shop.example.com", e.Host)
		}
	}
}
