package haproxy

import (
	"os"
	"path/filepath"
	"strconv"
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

const fixtures = "../../testdata/haproxy"

// label is one row of labels.tsv (see the fixture README).
type label struct {
	line                       int
	scenario, status, origin   string
	backend, server, termState string
	retries                    int
	redispatched               bool
	ta, bytes                  int
	request                    string
}

func readLabels(t testing.TB, path string) []label {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	rows := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	require.Equal(t, "access_line\tscenario\tstatus\tstatus_origin\tfrontend\tbackend\tserver\tupstream_addr\ttermination_state\tretries\tredispatched\tTw\tTc\tTr\tTa\tbytes\trequest\ttrue_cause", rows[0])
	var out []label
	for n, row := range rows[1:] {
		c := strings.Split(row, "\t")
		require.Len(t, c, 18, "labels row %d", n+1)
		num := func(s string) int {
			v, err := strconv.Atoi(s)
			require.NoError(t, err, "labels row %d", n+1)
			return v
		}
		out = append(out, label{
			line: num(c[0]), scenario: c[1], status: c[2], origin: c[3], backend: c[5], server: c[6],
			termState: c[8], retries: num(c[9]), redispatched: c[10] == "yes", ta: num(c[14]), bytes: num(c[15]),
			request: c[16],
		})
	}
	return out
}

func readLines(t testing.TB, path string) []string {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

func watched(n int) bool { return n == 502 || n == 503 || n == 504 }

// originOf maps labels.tsv's status_origin to k8s502.origin.
var originOf = map[string]string{
	"upstream":             schema.OriginUpstream,
	"upstream-after-retry": schema.OriginUpstream,
	"upstream-with-error":  schema.OriginUpstream,
	"haproxy-gateway":      schema.OriginGateway,
	"haproxy-no-server":    schema.OriginGateway,
	"haproxy-local":        schema.OriginLocal,
}

// kindOf is the error kind each scenario must get, from the README's
// scenario table: what the upstream did, as far as the line (and the
// health-check lines before it) can tell.
func kindOf(l label) string {
	s := l.scenario
	id, _, _ := strings.Cut(s, "-")
	switch {
	case id == "S1a", id == "S1b", id == "S1c", id == "S7", s == "S12-long-uri-S1a":
		// Refused connects: SC--, <NOSRV> after a Layer4 "Connection
		// refused" DOWN, or ---- after a retry that a refused connect caused.
		return schema.ErrConnectRefused
	case strings.HasPrefix(s, "S2"):
		return schema.ErrPrematureClose
	case strings.HasPrefix(s, "S3"):
		return schema.ErrProtocol
	case strings.HasPrefix(s, "S4c") && l.termState == "sQ--":
		return schema.ErrQueueTimeout
	case strings.HasPrefix(s, "S4"), id == "S11":
		// S11: the client gave up, but HAProxy (no abortonclose) only saw
		// the server time out; the line cannot say more.
		return schema.ErrReadTimeout
	case strings.HasPrefix(s, "S5"):
		return schema.ErrConnectTimeout
	case strings.HasPrefix(s, "S6a"), strings.HasPrefix(s, "S6b"):
		// Health checks logged "Layer6 invalid response ... SSL handshake
		// failure" before each of these lines; without it (S6c-e) a TLS
		// failure is indistinguishable from a refused connect.
		return schema.ErrTLSHandshake
	case strings.HasPrefix(s, "S6"):
		return schema.ErrConnectRefused
	case strings.HasPrefix(s, "S9"):
		return schema.ErrNoLiveUpstreams
	}
	return ""
}

// wantService applies the controller's documented backend naming.
func wantService(flavor, backend string) event.Service {
	p := strings.Split(backend, "_")
	switch {
	case flavor == "haproxytech" && len(p) == 4 && p[1] == "svc" && p[2] != "default-local-service":
		return event.Service{Namespace: p[0], Name: p[2], Port: p[3]}
	case flavor == "haproxy-ingress" && len(p) == 3 && p[0] != "":
		return event.Service{Namespace: p[0], Name: p[1], Port: p[2]}
	}
	return event.Service{}
}

func TestFixtureCRI(t *testing.T) {
	for _, flavor := range []string{"haproxytech", "haproxy-ingress"} {
		t.Run(flavor, func(t *testing.T) {
			dir := filepath.Join(fixtures, flavor)
			pods, _ := filepath.Glob(filepath.Join(dir, "var/log/pods/*/*/0.log"))
			require.Len(t, pods, 1)
			f, err := Compile("")
			require.NoError(t, err)

			var got []join.Request
			j := join.New(join.Config{Window: time.Hour, Hold: time.Second, MaxPending: 100000}, func(r join.Request) { got = append(got, r) })
			in := ingest.New(ingest.Config{Wrapper: container.Auto, NewParser: f.NewParser, Watched: ingest.NewStatuses([]int{502, 503, 504}), MaxLineSize: 1 << 20}, j)
			src := in.NewSource("pod")
			cri := readLines(t, pods[0])
			for i := 0; i < len(cri); i += 100 {
				in.Lines(src, toBytes(cri[i:min(i+100, len(cri))]), time.Now())
			}
			j.Flush()

			stdout := readLines(t, filepath.Join(dir, "stdout.log"))
			stderr := readLines(t, filepath.Join(dir, "stderr.log"))
			labels := readLabels(t, filepath.Join(dir, "labels.tsv"))
			require.Len(t, labels, 588)

			byLine := map[string]join.Request{}
			for _, r := range got {
				require.NotNil(t, r.Access, "a record without its request line")
				_, dup := byLine[r.AccessRaw]
				require.False(t, dup, "line emitted twice: %s", r.AccessRaw)
				byLine[r.AccessRaw] = r
			}
			emitted := 0
			for _, l := range labels {
				raw := stdout[l.line-1]
				r, ok := byLine[raw]
				st, _ := strconv.Atoi(l.status)
				// A 200 whose body was cut (SD/sD) and a 200 that needed a
				// retry (----, %rc > 0) carry a failure of their own.
				wantEmit := watched(st) || l.origin == "upstream-with-error" || l.origin == "upstream-after-retry"
				if !assert.Equal(t, wantEmit, ok, "line %d %s emitted", l.line, l.scenario) || !ok {
					continue
				}
				emitted++
				checkRow(t, flavor, l, r)
			}
			assert.Len(t, got, emitted, "records beyond the labelled rows")

			c := &in.Counters
			assert.EqualValues(t, len(cri), c.LinesRead.Load())
			assert.EqualValues(t, len(stdout)+len(stderr), len(cri))
			// Every line that is not one of the 588 traffic lines is one of
			// HAProxy's own messages; none is malformed.
			assert.EqualValues(t, 0, c.AccessFailed.Load(), "malformed lines")
			assert.EqualValues(t, len(cri)-len(labels), c.SkippedOther.Load())
			assert.EqualValues(t, 0, c.WrapperFailed.Load())
			assert.EqualValues(t, 0, c.Truncated.Load())
		})
	}
}

func checkRow(t *testing.T, flavor string, l label, r join.Request) {
	t.Helper()
	a := r.Access
	where := strconv.Itoa(l.line) + " " + l.scenario
	assert.Equal(t, l.status, strconv.Itoa(a.Status), where)
	assert.Equal(t, originOf[l.origin], record.Origin(a, r.Errors), where)
	assert.Equal(t, l.backend, a.UpstreamName, where)
	assert.Equal(t, wantService(flavor, l.backend), a.Service, where)
	assert.Equal(t, l.termState, a.FailureSignal, where)
	assert.InDelta(t, float64(l.ta)/1000, a.Duration, 1e-9, where)
	assert.EqualValues(t, l.bytes, a.BodyBytes, where)
	if req, cut := strings.CutSuffix(l.request, "…(truncated at log length 1024)"); cut {
		assert.Equal(t, req, a.RequestLine, where)
	} else {
		assert.Equal(t, l.request, a.RequestLine, where)
	}

	// Attempts: %rc retries, then the logged server; without redispatch
	// every try went to that server, with it the earlier ones are unnamed.
	if l.server == "<NOSRV>" {
		assert.Len(t, a.Attempts, l.retries, where)
		for _, at := range a.Attempts {
			assert.Equal(t, "-", at.Addr, where)
		}
	} else if assert.Len(t, a.Attempts, l.retries+1, where) {
		assert.Equal(t, l.server, a.Attempts[l.retries].Addr, where)
		for _, at := range a.Attempts[:l.retries] {
			want := l.server
			if l.redispatched {
				want = "-"
			}
			assert.Equal(t, want, at.Addr, where)
		}
	}

	want := kindOf(l)
	if l.origin == "upstream" {
		want = ""
	}
	if want == "" {
		assert.Empty(t, r.Errors, where)
	} else if assert.Len(t, r.Errors, 1, where) {
		assert.Equal(t, want, r.Errors[0].Kind, where)
		assert.Contains(t, r.Errors[0].Message, `"`+l.termState+`"`, where)
	}

	lr := plog.NewLogRecord()
	outcome := record.Fill(lr, &r, time.Now(), record.Options{Gateway: schema.GatewayHAProxy, Statuses: watched})
	switch {
	case watched(a.Status):
		assert.Equal(t, schema.OutcomeFailed, outcome, where)
	case l.origin == "upstream-after-retry":
		assert.Equal(t, schema.OutcomeRecovered, outcome, where)
	default:
		assert.Equal(t, schema.OutcomeTruncated, outcome, where)
	}
	// The container runtime's clock stamps the record.
	assert.Equal(t, 2026, r.Time.Year(), where)
}

func toBytes(lines []string) [][]byte {
	out := make([][]byte, len(lines))
	for i, l := range lines {
		out[i] = []byte(l)
	}
	return out
}

// The fixtures sit where the controllers' charts put their pods' logs.
func TestDefaultInclude(t *testing.T) {
	for _, flavor := range []string{"haproxytech", "haproxy-ingress"} {
		pods, _ := filepath.Glob(filepath.Join(fixtures, flavor, "var/log/pods/*/*/0.log"))
		require.Len(t, pods, 1)
		_, rel, _ := strings.Cut(filepath.ToSlash(pods[0]), "/"+flavor+"/")
		matched := 0
		for _, g := range Profile.DefaultInclude {
			if ok, err := filepath.Match(g, "/"+rel); assert.NoError(t, err) && ok {
				matched++
			}
		}
		assert.Equal(t, 1, matched, rel)
	}
}
