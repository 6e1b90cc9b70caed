package traefik

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/container"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/ingest"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/join"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/record"
)

const fixtures = "../../testdata/traefik"

// label is one row of a run's labels.tsv.
type label struct {
	line                       int
	scenario, status, origin   string
	originStatus               string // json: OriginStatus
	router, service, url, addr string
	errorLog                   string // json: the proxy error text, "-" when none
	errorLine                  int    // json: its stdout line
}

var errorLineRef = regexp.MustCompile(` \(line (\d+)\)$`)

func readLabels(t testing.TB, path string) []label {
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
		require.Len(t, c, 13, "labels row %d", n)
		l := label{scenario: c[1], status: c[2], originStatus: c[3], origin: c[4], router: c[5], service: c[6], url: c[7], addr: c[8], errorLog: c[12]}
		l.line = mustAtoi(t, c[0])
		if m := errorLineRef.FindStringSubmatch(l.errorLog); m != nil {
			l.errorLine = mustAtoi(t, m[1])
			l.errorLog = strings.TrimSuffix(l.errorLog, m[0])
		}
		out = append(out, l)
	}
	require.NoError(t, sc.Err())
	return out
}

func mustAtoi(t testing.TB, s string) int {
	n, ok := atoi([]byte(s))
	require.True(t, ok, "number %q", s)
	return int(n)
}

// readStdout returns the run's plain stdout.log lines (gunzipped for json).
func readStdout(t testing.TB, run string) [][]byte {
	dir := filepath.Join(fixtures, run)
	var data []byte
	if f, err := os.Open(filepath.Join(dir, "stdout.log.gz")); err == nil {
		defer f.Close()
		zr, err := gzip.NewReader(f)
		require.NoError(t, err)
		data, err = io.ReadAll(zr)
		require.NoError(t, err)
	} else {
		data, err = os.ReadFile(filepath.Join(dir, "stdout.log"))
		require.NoError(t, err)
	}
	return bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
}

func readCRI(t testing.TB, run string) [][]byte {
	files, _ := filepath.Glob(filepath.Join(fixtures, run, "var/log/pods/*/traefik/0.log"))
	require.Len(t, files, 1)
	data, err := os.ReadFile(files[0])
	require.NoError(t, err)
	return bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
}

// emitted is one record the line path produced.
type emitted struct {
	req   join.Request
	attrs map[string]any
}

// runCRI feeds a run's CRI file through the receiver's line path, joiner and
// record builder, as the receiver does.
func runCRI(t *testing.T, run string, statuses []int) ([]emitted, *ingest.Ingest) {
	f, err := Compile("")
	require.NoError(t, err)
	set := ingest.NewStatuses(statuses)
	var out []emitted
	j := join.New(join.Config{Window: 3 * time.Minute, Hold: 2 * time.Second, MaxPending: 10000}, func(r join.Request) {
		lr := plog.NewLogRecord()
		record.Fill(lr, &r, time.Now(), record.Options{Gateway: schema.GatewayTraefik, Statuses: set.Has})
		out = append(out, emitted{req: r, attrs: lr.Attributes().AsRaw()})
	})
	in := ingest.New(ingest.Config{Wrapper: container.Auto, NewParser: f.NewParser, Watched: set, MaxLineSize: 1 << 20}, j)
	src := in.NewSource("traefik/traefik-6d8f7c9b5-kx7p2")
	lines := readCRI(t, run)
	now := time.Now()
	for i := 0; i < len(lines); i += 100 {
		in.Lines(src, lines[i:min(i+100, len(lines))], now)
	}
	j.Flush()
	return out, in
}

// wantKind is the error kind each scenario's failure must be classified as,
// from the README's scenario table (the Go error each one produced).
var wantKind = map[string]string{
	"S1a-refused":                  schema.ErrConnectRefused,
	"S1c-all-endpoints-dead-retry": schema.ErrConnectRefused,
	"S2a-close-before-response":    schema.ErrPrematureClose,
	"S2b-reset-before-response":    schema.ErrConnectionReset,
	"S2c-close-mid-body":           schema.ErrPrematureClose, // "unexpected EOF" during body copy
	"S3a-non-http-response":        schema.ErrProtocol,
	"S3b-invalid-header":           schema.ErrInvalidHeader, // "malformed MIME header line"
	"S3d-bad-status-line":          schema.ErrProtocol,
	"S3e-invalid-chunked":          schema.ErrInvalidChunked,
	"S4a-response-header-timeout":  schema.ErrReadTimeout,
	"S4b-body-stall":               schema.ErrPrematureClose, // the stalled body ended in "unexpected EOF"
	"S5-dial-timeout":              schema.ErrConnectTimeout,
	"S6b-tls-cert-expired":         schema.ErrTLSCertificate,
	"S6c-tls-self-signed":          schema.ErrTLSCertificate,
	"S6d-tls-name-mismatch":        schema.ErrTLSCertificate,
	"S6e-tls-to-plain-http":        schema.ErrTLSHandshake,
	"S7-endpoint-pod-crash":        schema.ErrConnectRefused,
	"S9a-no-endpoints":             schema.ErrNoLiveUpstreams,
	"S9b-all-servers-unhealthy":    schema.ErrNoLiveUpstreams,
	"S12-long-uri-S1a":             schema.ErrConnectRefused,
	"S11-client-abort":             schema.ErrOther, // "context canceled"
}

var originOf = map[string]string{
	"upstream":            schema.OriginUpstream,
	"upstream-with-error": schema.OriginUpstream,
	"traefik-gateway":     schema.OriginGateway,
	"traefik-no-server":   schema.OriginGateway,
	"traefik-local":       schema.OriginLocal,
	"client-abort":        schema.OriginClient,
}

// expectsError says whether the record of l must carry an error kind.
func expectsError(run string, l label) bool {
	switch {
	case l.origin == "traefik-no-server":
		return true // stated by the access line itself
	case run == "json":
		// DEBUG: every proxy error line is there (labelled), and the
		// body-copy error of every aborted response.
		return l.errorLog != "-" || l.origin == "upstream-with-error"
	default:
		// INFO: Traefik logs only TLS verification errors (at ERROR).
		return strings.HasPrefix(l.scenario, "S6")
	}
}

// statusesWith500 is what Traefik users should watch: Traefik answers TLS
// and malformed-response failures with 500.
var statusesWith500 = []int{500, 502, 503, 504}

func TestFixtures(t *testing.T) {
	for _, run := range []string{"text", "json"} {
		for _, statuses := range [][]int{{502, 503, 504}, statusesWith500} {
			t.Run(run+"/"+fmtInts(statuses), func(t *testing.T) {
				checkRun(t, run, statuses)
			})
		}
	}
}

func fmtInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = itoa(n)
	}
	return strings.Join(s, ",")
}

func itoa(n int) string { return string(appendJoinKey(nil, n)) }

func checkRun(t *testing.T, run string, statuses []int) {
	watched := ingest.NewStatuses(statuses).Has
	labels := readLabels(t, filepath.Join(fixtures, run, "labels.tsv"))
	stdout := readStdout(t, run)
	records, in := runCRI(t, run, statuses)

	byLine := map[string]int{} // access line text -> stdout line number
	for _, l := range labels {
		byLine[string(stdout[l.line-1])] = l.line
	}
	got := map[int]emitted{}
	var alone []emitted
	for _, r := range records {
		if r.req.Access == nil {
			alone = append(alone, r)
			continue
		}
		n, ok := byLine[r.req.AccessRaw]
		if !assert.True(t, ok, "record for an unlabelled line %q", r.req.AccessRaw) {
			continue
		}
		_, dup := got[n]
		assert.False(t, dup, "line %d emitted twice", n)
		got[n] = r
	}

	for _, l := range labels {
		status := mustAtoi(t, l.status)
		// The common format cannot see a response cut mid-body: its line
		// is a plain 200 (OriginStatus is not logged). The label is right
		// about the truth; the text parser cannot know it.
		textBlind := run == "text" && l.origin == "upstream-with-error"
		cut := l.origin == "upstream-with-error" && !textBlind
		want := watched(status) || cut
		r, ok := got[l.line]
		if !assert.Equal(t, want, ok, "line %d %s %s emitted", l.line, l.scenario, l.status) || !ok {
			continue
		}
		a := r.req.Access
		attrs := r.attrs
		assert.Equal(t, status, a.Status, "line %d status", l.line)
		assert.Equal(t, int64(status), attrs[schema.HTTPResponseStatusCode], "line %d status attr", l.line)
		assert.Equal(t, originOf[l.origin], attrs[schema.Origin], "line %d %s origin", l.line, l.scenario)
		if watched(status) {
			assert.Equal(t, schema.OutcomeFailed, attrs[schema.Outcome], "line %d", l.line)
		} else {
			assert.Equal(t, schema.OutcomeTruncated, attrs[schema.Outcome], "line %d", l.line)
		}
		// Upstream identity: the service name without "@file" (json
		// only; the common format does not log it), never a Service.
		if l.service != "-" {
			assert.Equal(t, strings.TrimSuffix(l.service, "@file"), attrs[schema.UpstreamName], "line %d upstream name", l.line)
			assert.Equal(t, "file", attrs[attrProvider], "line %d provider", l.line)
		} else {
			assert.Nil(t, attrs[schema.UpstreamName], "line %d upstream name", l.line)
		}
		assert.Nil(t, attrs[schema.UpstreamServiceName], "line %d: Traefik's names are ambiguous", l.line)
		if l.router != "-" {
			assert.Equal(t, l.router, attrs[attrRouter], "line %d router", l.line)
		}
		wantAddr := l.addr
		if run == "text" && l.url != "-" {
			wantAddr = hostPort(l.url)
		}
		if wantAddr == "-" {
			assert.Empty(t, a.Attempts, "line %d attempts", l.line)
		} else if assert.Len(t, a.Attempts, 1, "line %d attempts", l.line) {
			assert.Equal(t, wantAddr, a.Attempts[0].Addr, "line %d addr", l.line)
			wantStatus := l.status
			if run == "text" || cut {
				wantStatus = "-"
			}
			assert.Equal(t, wantStatus, a.Attempts[0].Status, "line %d attempt status", l.line)
		}
		if run == "json" {
			assert.Equal(t, "OriginStatus="+l.originStatus, attrs[schema.GatewayFailureSignal], "line %d", l.line)
		}

		if !expectsError(run, l) {
			assert.Empty(t, r.req.Errors, "line %d %s errors", l.line, l.scenario)
			assert.Nil(t, attrs[schema.ErrorKind], "line %d %s", l.line, l.scenario)
			continue
		}
		if !assert.Len(t, r.req.Errors, 1, "line %d %s errors", l.line, l.scenario) {
			continue
		}
		wantK, known := wantKind[l.scenario]
		require.True(t, known, "no kind for scenario %s", l.scenario)
		assert.Equal(t, wantK, attrs[schema.ErrorKind], "line %d %s kind", l.line, l.scenario)
		msg, _ := attrs[schema.ErrorMessage].(string)
		if run == "json" && l.errorLog != "-" {
			assert.Contains(t, msg, l.errorLog, "line %d message", l.line)
			assert.Equal(t, string(stdout[l.errorLine-1]), r.req.Errors[0].Raw, "line %d joined error line", l.line)
		}
		if p := r.req.Errors[0].Peer(); p != "" && wantAddr != "-" {
			assert.Equal(t, wantAddr, p, "line %d error peer", l.line)
		}
	}

	// What the joiner emits alone: proxy error lines of attempts that the
	// retry middleware retried (README: "Retried attempts leave extra 502
	// debug lines that belong to 200 access lines"). In the json run they
	// are the error lines of a watched status that no label claims; the
	// text run labels no error lines, so there the count must add up.
	claimed := map[int]bool{}
	joinedRows := 0
	for _, l := range labels {
		if l.errorLine > 0 {
			claimed[l.errorLine] = true
		}
		if st := mustAtoi(t, l.status); watched(st) && expectsError(run, l) && l.origin != "traefik-no-server" && l.origin != "upstream-with-error" {
			joinedRows++
		}
	}
	var leftover []string
	errorLines := 0
	for i, line := range stdout {
		if code, ok := errorLineStatus(line); ok && watched(code) {
			errorLines++
			if run == "json" && !claimed[i+1] {
				leftover = append(leftover, string(line))
			}
		}
	}
	var aloneRaw []string
	for _, r := range alone {
		require.Len(t, r.req.Errors, 1)
		aloneRaw = append(aloneRaw, r.req.Errors[0].Raw)
		assert.Equal(t, schema.OutcomeUnmatched, r.attrs[schema.Outcome])
		assert.Equal(t, schema.ErrConnectRefused, r.attrs[schema.ErrorKind], "only dial errors are retried")
	}
	assert.Len(t, aloneRaw, errorLines-joinedRows, "unmatched error lines")
	if run == "json" {
		assert.ElementsMatch(t, leftover, aloneRaw, "unmatched error lines")
		assert.Len(t, aloneRaw, 18, "12 retried S1b attempts (9001) and 6 retried S1c attempts (9004/9005)")
	} else {
		assert.Empty(t, aloneRaw, "the text run logs at INFO: no retried-attempt lines")
	}

	c := &in.Counters
	lines := len(readCRI(t, run))
	assert.EqualValues(t, lines, c.LinesRead.Load())
	assert.Zero(t, c.AccessFailed.Load(), "no fixture line is malformed")
	assert.Zero(t, c.WrapperFailed.Load())
	assert.Zero(t, c.Truncated.Load())
}

// errorLineStatus recognises a proxy error line in stdout, independently of
// the parser: JSON `"message":"502 Bad Gateway"` with an "error" member, or
// the console's "ERR 500 Internal Server Error error=".
var (
	jsonErrorLine    = regexp.MustCompile(`^\{.*"error":".*"message":"(\d{3}) [A-Za-z ]+"\}$`)
	consoleErrorLine = regexp.MustCompile(`^(?:\x1b\[\d+m)?\S+(?:\x1b\[0m)? (?:\x1b\[\d+m)?[A-Z]{3}(?:\x1b\[0m)? (?:\x1b\[1m)?(\d{3}) [A-Za-z ]+(?:\x1b\[0m)? (?:\x1b\[36m)?error=`)
)

func errorLineStatus(line []byte) (int, bool) {
	for _, re := range []*regexp.Regexp{jsonErrorLine, consoleErrorLine} {
		if m := re.FindSubmatch(line); m != nil {
			return status3(m[1])
		}
	}
	return 0, false
}
