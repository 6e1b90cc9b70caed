package envoy

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/container"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/ingest"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/join"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/record"
)

const fixtures = "../../testdata/envoy"

// label is one labels.tsv row (testdata/envoy/README.md): the expected
// outcome of one access line.
type label struct {
	file, requestID, scenario, format string
	status, origin, errorKind         string
	upstreamName, service             string
	upstreamAddr, attemptStatus       string
	flags, details                    string
}

func readLabels(t *testing.T, dir string) []label {
	f, err := os.Open(filepath.Join(dir, "labels.tsv"))
	require.NoError(t, err)
	defer f.Close()
	var out []label
	sc := bufio.NewScanner(f)
	for n := 0; sc.Scan(); n++ {
		if n == 0 {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		require.Len(t, c, 13, "labels row %d", n)
		out = append(out, label{c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12]})
	}
	require.NoError(t, sc.Err())
	return out
}

// podFiles maps labels.tsv's file column to the CRI file of that pod.
var podFiles = map[string]string{
	"envoy-gateway": "envoy-gateway-system_envoy-shop-eg-*/envoy/0.log",
	"istio":         "istio-system_istio-ingressgateway-*/istio-proxy/0.log",
	"contour":       "projectcontour_envoy-7xk2p_*/envoy/0.log",
	"contour-json":  "projectcontour_envoy-9mz4q_*/envoy/0.log",
}

// streamCounts are what each file holds besides access lines: Envoy's and
// pilot-agent's own log lines, and the one JSON access line cut mid-write
// (README: "malformed").
var streamCounts = map[string]struct{ other, malformed int64 }{
	"envoy-gateway": {2, 1},
	"istio":         {2, 0},
	"contour":       {1, 0},
	"contour-json":  {1, 0},
}

func readLines(t *testing.T, path string) [][]byte {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var out [][]byte
	for _, l := range strings.SplitAfter(string(data), "\n") {
		if l != "" {
			out = append(out, []byte(strings.TrimSuffix(l, "\n")))
		}
	}
	return out
}

// runFile feeds one CRI file through the receiver's line path exactly as
// the receiver wires a gateway parser, reading it with format f.
func runFile(t *testing.T, path string, f *Format) (map[string]join.Request, *ingest.Ingest) {
	got := map[string]join.Request{}
	j := join.New(join.Config{Window: time.Hour, Hold: time.Second, MaxPending: 100000}, func(r join.Request) {
		require.NotNil(t, r.Access, "Envoy states failures inline: nothing is joined")
		_, dup := got[r.Access.RequestID]
		require.False(t, dup, "request %s emitted twice", r.Access.RequestID)
		got[r.Access.RequestID] = r
	})
	in := ingest.New(ingest.Config{Wrapper: container.Auto, NewParser: f.NewParser, Watched: ingest.NewStatuses([]int{502, 503, 504}), MaxLineSize: 1 << 20}, j)
	src := in.NewSource("pod")
	lines := readLines(t, path)
	now := time.Now()
	for i := 0; i < len(lines); i += 100 {
		in.Lines(src, lines[i:min(i+100, len(lines))], now)
	}
	j.Flush()
	assert.EqualValues(t, len(lines), in.Counters.LinesRead.Load())
	return got, in
}

func dashEmpty(s string) string {
	if s == "-" {
		return ""
	}
	return s
}

func TestFixtureCRI(t *testing.T) {
	labels := readLabels(t, fixtures)
	byFile := map[string][]label{}
	for _, l := range labels {
		byFile[l.file] = append(byFile[l.file], l)
	}
	require.Len(t, byFile, len(podFiles))
	for file, pattern := range podFiles {
		t.Run(file, func(t *testing.T) {
			paths, _ := filepath.Glob(filepath.Join(fixtures, "var/log/pods", pattern))
			require.Len(t, paths, 1)
			got, in := runFile(t, paths[0], mustCompile(t, ""))
			emitted := 0
			for _, l := range byFile[file] {
				r, ok := got[l.requestID]
				wantRecord := watched(atoi(l.status)) || l.errorKind != "-"
				if !assert.Equal(t, wantRecord, ok, "%s %s: record", l.requestID, l.scenario) || !ok {
					continue
				}
				emitted++
				checkRecord(t, l, r)
			}
			assert.Len(t, got, emitted, "records beyond the labelled ones")
			c := &in.Counters
			assert.Equal(t, streamCounts[file].malformed, c.AccessFailed.Load(), "malformed lines")
			assert.Equal(t, streamCounts[file].other, c.SkippedOther.Load(), "non-access lines")
			assert.Zero(t, c.WrapperFailed.Load())
			assert.Zero(t, c.Truncated.Load())
		})
	}
}

func checkRecord(t *testing.T, l label, r join.Request) {
	a := r.Access
	msg := l.requestID + " " + l.scenario
	assert.Equal(t, l.status, itoa3(a.Status), msg)
	assert.Equal(t, l.origin, a.Origin, msg)
	assert.Equal(t, l.origin, record.Origin(a, r.Errors), msg)
	assert.Equal(t, dashEmpty(l.upstreamName), a.UpstreamName, msg)
	svc := ""
	if a.Service.Name != "" {
		svc = a.Service.Namespace + "/" + a.Service.Name + "/" + a.Service.Port
	}
	assert.Equal(t, dashEmpty(l.service), svc, msg)
	if l.upstreamAddr == "-" {
		assert.Empty(t, a.Attempts, msg)
	} else if assert.Len(t, a.Attempts, 1, msg) {
		assert.Equal(t, l.upstreamAddr, a.Attempts[0].Addr, msg)
		assert.Equal(t, l.attemptStatus, a.Attempts[0].Status, msg)
	}
	if l.errorKind == "-" {
		assert.Empty(t, r.Errors, msg)
	} else if assert.Len(t, r.Errors, 1, msg) {
		assert.Equal(t, l.errorKind, r.Errors[0].Kind, msg)
		assert.Equal(t, r.AccessRaw, r.Errors[0].Raw, "the line is its own error line")
	}
	wantSignal := l.flags
	if l.details != "-" {
		wantSignal += " " + l.details
	}
	if wantSignal == "-" {
		wantSignal = ""
	}
	assert.Equal(t, wantSignal, a.FailureSignal, msg)

	lr := plog.NewLogRecord()
	outcome := record.Fill(lr, &r, time.Now(), record.Options{Gateway: "envoy", Statuses: watched})
	want := schema.OutcomeFailed
	if !watched(a.Status) {
		want = schema.OutcomeTruncated // a failure stated on a non-watched status: the body was cut
	}
	assert.Equal(t, want, outcome, msg)
	attrs := lr.Attributes()
	if l.errorKind != "-" {
		v, _ := attrs.Get(schema.ErrorKind)
		assert.Equal(t, l.errorKind, v.Str(), msg)
	}
	if l.service != "-" {
		v, _ := attrs.Get(schema.UpstreamServiceName)
		assert.Equal(t, strings.Split(l.service, "/")[1], v.Str(), msg)
	}
	v, _ := attrs.Get(schema.Origin)
	assert.Equal(t, l.origin, v.Str(), msg)
}

func atoi(s string) int {
	n, _ := event.ParseStatus([]byte(s))
	return n
}

func itoa3(n int) string {
	if n == 0 {
		return "0"
	}
	return strings.TrimLeft(string([]byte{byte('0' + n/100), byte('0' + n/10%10), byte('0' + n%10)}), "0")
}
