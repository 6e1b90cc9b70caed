package ingest

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/container"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/join"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/nginx"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/record"
)

const fixtures = "../../testdata/ingress-nginx"

// label is one row of labels.tsv: the ground truth for one access line.
type label struct {
	line         int
	scenario     string
	status       string
	origin       string
	upstreamName string
	upstreamAddr string
	upstreamStat string
	errorLines   []string
	errorMsgs    string
}

func readLabels(t *testing.T, path string) []label {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []label
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 0; sc.Scan(); n++ {
		if n == 0 {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		require.Len(t, c, 11, "labels row %d", n)
		l := label{scenario: c[1], status: c[2], origin: c[3], upstreamName: c[4], upstreamAddr: c[6], upstreamStat: c[7], errorMsgs: c[10]}
		l.line = n
		if c[9] != "-" {
			l.errorLines = strings.Split(c[9], ",")
		}
		out = append(out, l)
	}
	require.NoError(t, sc.Err())
	return out
}

func readLines(t testing.TB, path string) [][]byte {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var out [][]byte
	for _, l := range strings.SplitAfter(string(data), "\n") {
		if l == "" {
			continue
		}
		out = append(out, []byte(strings.TrimSuffix(l, "\n")))
	}
	return out
}

// run feeds batches of lines through a fresh Ingest and returns the emitted
// requests keyed by request id, plus the error-only ones.
func run(t *testing.T, wrapper container.Format, batches ...[][]byte) (map[string]join.Request, []join.Request, *Ingest) {
	byID := map[string]join.Request{}
	var alone []join.Request
	j := join.New(join.Config{Window: time.Hour, Hold: time.Second, MaxPending: 100000}, func(r join.Request) {
		if r.Access == nil {
			alone = append(alone, r)
			return
		}
		_, dup := byID[r.Access.RequestID]
		require.False(t, dup, "request %s emitted twice", r.Access.RequestID)
		byID[r.Access.RequestID] = r
	})
	in := New(Config{Wrapper: wrapper, NewParser: parsers(t, nginx.IngressNginx), Watched: NewStatuses([]int{502, 503, 504}), MaxLineSize: 1 << 20}, j)
	src := in.NewSource("pod")
	now := time.Now()
	for _, b := range batches {
		for i := 0; i < len(b); i += 100 {
			in.Lines(src, b[i:min(i+100, len(b))], now)
		}
	}
	j.Flush()
	return byID, alone, in
}

func watched(n int) bool { return n == 502 || n == 503 || n == 504 }

// expectedKinds maps each scenario to the error kinds of its joined lines.
var expectedKinds = map[string]string{
	"S1-connect-refused":                "connect_refused",
	"S2a-premature-close-before-header": "premature_close",
	"S2b-connection-reset":              "connection_reset",
	"S2c-premature-close-mid-body":      "premature_close",
	"S3a-no-valid-http-header":          "invalid_header",
	"S3b-invalid-header":                "invalid_header",
	"S3c-too-big-header":                "too_big_header",
	"S3d-bad-status-line":               "invalid_header",
	"S3e-invalid-chunked":               "invalid_chunked",
	"S4a-read-timeout-header":           "read_timeout",
	"S4b-read-timeout-body":             "read_timeout",
	"S5-connect-timeout":                "connect_timeout",
	"S6a-tls-protocol-mismatch":         "tls_handshake",
	"S6b-tls-cert-expired":              "tls_certificate",
	"S6c-tls-self-signed":               "tls_certificate",
	"S6d-tls-name-mismatch":             "tls_certificate",
	"S6e-tls-to-plain-http":             "tls_handshake",
	"S7a-retry-one-dead-endpoint":       "connect_refused",
	"S7b-retry-two-dead-endpoints":      "connect_refused,connect_refused",
	"S7c-retry-three-dead-endpoints":    "connect_refused,connect_refused,connect_refused",
	"S7d-retry-timeout-then-ok":         "read_timeout",
	"S9c-rate-limit":                    "rate_limited",
	"S12-escaped-characters":            "connect_refused",
	"S13-long-line-cri-split":           "connect_refused",
}

var originOf = map[string]string{
	"nginx-gateway":       schema.OriginGateway,
	"nginx-local":         schema.OriginLocal,
	"upstream":            schema.OriginUpstream,
	"upstream-with-error": schema.OriginUpstream,
	"upstream-http09":     schema.OriginUpstream,
	"client-abort":        schema.OriginClient,
}

// rateLimitMislabel reports the rows whose labels.tsv join is known to be
// wrong. labels.tsv joins error and access lines FIFO on (client, request),
// which hands the first three "limiting requests" errors to the three 201
// responses that passed the limiter. limit_req logs that error only for the
// requests it rejects (the CRI file shows each error right next to a 503),
// so the receiver joins rate-limit errors only to requests that reached no
// upstream: every rejected 503 gets one, the 201s get none.
func rateLimitMislabel(l label) bool {
	return strings.HasPrefix(l.errorMsgs, "limiting requests") || l.scenario == "S9c-rate-limit"
}

func checkScenarios(t *testing.T, labels []label, accessLines [][]byte, got map[string]join.Request, alone []join.Request) {
	f, err := nginx.Compile(nginx.IngressNginxFormat, nginx.EscapeDefault)
	require.NoError(t, err)
	var fl nginx.Fields
	emitted := 0
	for _, l := range labels {
		require.NoError(t, f.Scan(accessLines[l.line-1], &fl, true), "access line %d", l.line)
		id := f.Access(&fl).RequestID
		r, ok := got[id]
		st, _ := fl.Status()
		wantEmit := watched(st) || fl.AnyUpstreamStatus(watched) || len(l.errorLines) > 0
		if rateLimitMislabel(l) {
			wantEmit = l.status == "503"
		}
		if !assert.Equal(t, wantEmit, ok, "line %d %s emitted", l.line, l.scenario) || !ok {
			continue
		}
		emitted++
		a := r.Access
		assert.Equal(t, l.status, statusText(a.Status), "line %d status", l.line)
		assert.Equal(t, originOf[l.origin], record.Origin(a, r.Errors), "line %d %s origin", l.line, l.scenario)
		assert.Equal(t, strings.ReplaceAll(l.upstreamAddr, "-", ""), joinAddrs(a), "line %d addrs", l.line)
		if l.upstreamName != "-" {
			assert.Equal(t, l.upstreamName, a.UpstreamName, "line %d upstream name", l.line)
		}
		var kinds []string
		for _, e := range r.Errors {
			if e.Kind != schema.ErrUpstreamDisabled {
				kinds = append(kinds, e.Kind)
			}
		}
		switch {
		case rateLimitMislabel(l):
			if l.status == "503" {
				assert.Equal(t, []string{schema.ErrRateLimited}, kinds, "line %d", l.line)
			}
		case len(l.errorLines) == 0:
			assert.Empty(t, r.Errors, "line %d %s errors", l.line, l.scenario)
		default:
			assert.Len(t, r.Errors, len(l.errorLines), "line %d %s error count", l.line, l.scenario)
			want := expectedKinds[l.scenario]
			if l.scenario == "S9a-no-live-upstreams" {
				want = "connect_refused,connect_refused"
				if l.upstreamAddr == "upstream_balancer" {
					want = "no_live_upstreams"
				}
			}
			assert.Equal(t, want, strings.Join(kinds, ","), "line %d %s kinds", l.line, l.scenario)
		}
		outcome := record.Outcome(a, r.Errors, watched)
		switch {
		case watched(a.Status):
			assert.Equal(t, schema.OutcomeFailed, outcome)
		case strings.Contains(l.upstreamStat, ","):
			assert.Equal(t, schema.OutcomeRecovered, outcome, "line %d", l.line)
		default:
			assert.Equal(t, schema.OutcomeTruncated, outcome, "line %d", l.line)
		}
	}
	assert.Empty(t, alone, "error lines left without an access line")
	assert.Len(t, got, emitted, "records beyond the labelled ones")
}

func statusText(s int) string {
	t := "00" + itoa(s)
	return t[len(t)-3:]
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func joinAddrs(a *event.Access) string {
	var addrs []string
	for _, at := range a.Attempts {
		addrs = append(addrs, at.Addr)
	}
	return strings.Join(addrs, ", ")
}

func TestScenariosCRI(t *testing.T) {
	dir := filepath.Join(fixtures, "scenarios")
	pods, _ := filepath.Glob(filepath.Join(dir, "var/log/pods/*/controller/0.log"))
	require.Len(t, pods, 1)
	got, alone, in := run(t, container.Auto, readLines(t, pods[0]))
	checkScenarios(t, readLabels(t, filepath.Join(dir, "labels.tsv")), readLines(t, filepath.Join(dir, "access.log")), got, alone)
	checkCounters(t, in)
}

func TestScenariosDocker(t *testing.T) {
	dir := filepath.Join(fixtures, "scenarios")
	files, _ := filepath.Glob(filepath.Join(dir, "var/lib/docker/containers/*/*-json.log"))
	require.Len(t, files, 1)
	got, alone, in := run(t, container.Auto, readLines(t, files[0]))
	checkScenarios(t, readLabels(t, filepath.Join(dir, "labels.tsv")), readLines(t, filepath.Join(dir, "access.log")), got, alone)
	checkCounters(t, in)
}

// checkCounters pins what the scenario stream holds besides requests: the
// controller banner (8 stdout lines that are not access lines), 14 klog
// lines and 37 nginx notices.
func checkCounters(t *testing.T, in *Ingest) {
	c := &in.Counters
	assert.EqualValues(t, 1788, c.LinesRead.Load())
	assert.EqualValues(t, 8, c.AccessFailed.Load(), "banner lines")
	assert.EqualValues(t, 14, c.SkippedKlog.Load())
	assert.EqualValues(t, 37, c.SkippedNotice.Load())
	assert.EqualValues(t, 0, c.SkippedOther.Load())
	assert.EqualValues(t, 0, c.WrapperFailed.Load())
	assert.EqualValues(t, 0, c.ErrorFailed.Load())
	assert.EqualValues(t, 0, c.Truncated.Load())
}

func TestScenariosGlibcPlainFiles(t *testing.T) {
	dir := filepath.Join(fixtures, "scenarios-glibc")
	// Separate plain files: nginx wrote each error line before its access
	// line, so feeding the error log first reproduces that order.
	got, alone, _ := run(t, container.Plain, readLines(t, filepath.Join(dir, "error.log")), readLines(t, filepath.Join(dir, "access.log")))
	checkScenarios(t, readLabels(t, filepath.Join(dir, "labels.tsv")), readLines(t, filepath.Join(dir, "access.log")), got, alone)
}
