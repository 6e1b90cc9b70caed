package envoy

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/gateway"
)

const ciliumFixtures = "../../testdata/cilium"

// Lines in CiliumGatewayClassConfig's default text format, as render.py
// writes them (testdata/cilium/README.md); none was written by an Envoy.
const (
	ciliumUF     = `[2026-11-25T10:00:01.012Z] "GET /api/cart/items/42 HTTP/1.1" 503 UF 0 167 1 - "203.0.113.14" "curl/8.5.0" "ci000003-4f1e-4c8a-9d2b-7e3f1a2b3c4d" "shop.example.com" "10.244.1.17:8080"`
	ciliumURXUF  = `[2026-11-25T10:00:02.027Z] "GET /api/cart/items/43 HTTP/1.1" 503 URX,UF 0 190 27 - "203.0.113.18" "curl/8.5.0" "ci000007-4f1e-4c8a-9d2b-7e3f1a2b3c4d" "shop.example.com" "10.244.1.17:8080"`
	ciliumUT     = `[2026-11-25T10:00:03.070Z] "GET /api/reports/monthly HTTP/1.1" 504 UT 0 24 5001 - "203.0.113.22" "curl/8.5.0" "ci000011-4f1e-4c8a-9d2b-7e3f1a2b3c4d" "shop.example.com" "10.244.2.31:8080"`
	ciliumUH     = `[2026-11-25T10:00:09.089Z] "GET /api/promotions/active HTTP/1.1" 503 UH 0 19 0 - "203.0.113.26" "curl/8.5.0" "ci000015-4f1e-4c8a-9d2b-7e3f1a2b3c4d" "shop.example.com" "-"`
	ciliumUC     = `[2026-11-25T10:00:10.104Z] "GET /api/orders/7 HTTP/1.1" 503 UC 0 95 2 - "203.0.113.30" "curl/8.5.0" "ci000019-4f1e-4c8a-9d2b-7e3f1a2b3c4d" "shop.example.com" "10.244.2.23:8080"`
	ciliumApp502 = `[2026-11-25T10:00:11.118Z] "GET /api/checkout/pay HTTP/1.1" 502 - 0 49 3 2 "203.0.113.34" "curl/8.5.0" "ci000023-4f1e-4c8a-9d2b-7e3f1a2b3c4d" "shop.example.com" "10.244.3.14:8080"`
	cilium200    = `[2026-11-25T10:00:00.250Z] "GET /api/cart/items/100 HTTP/1.1" 200 - 0 1432 3 2 "203.0.113.11" "curl/8.5.0" "ci000000-4f1e-4c8a-9d2b-7e3f1a2b3c4d" "shop.example.com" "10.244.2.23:8080"`
	// Not in the fixture: the upstream closed after its 200 had started.
	ciliumBodyCut = `[2026-11-25T10:00:12.000Z] "GET /api/cart/export.csv HTTP/1.1" 200 UC 0 65536 40 12 "203.0.113.24" "curl/8.5.0" "ci-cut" "shop.example.com" "10.244.2.23:8080"`
	// Cilium's own application log, on the same stdout.
	ciliumOwnLog = `[2026-11-25 09:59:58.101][7][info][main] [source/server/server.cc:978] all clusters initialized. initializing init manager`
)

// TestParseCiliumDefaultFormat: without details, transport failure reason or
// cluster, the flags alone still give each failure its kind, and no line
// invents an upstream name or a Service: only the address is known.
func TestParseCiliumDefaultFormat(t *testing.T) {
	f := mustCompile(t, CiliumProfile.DefaultFormat)
	host := func(addr, status string, rt float64) []event.Attempt {
		return []event.Attempt{{Addr: addr, Status: status, ResponseTime: rt, ResponseLength: -1}}
	}
	tests := []struct {
		name     string
		line     string
		kind     gateway.Kind
		status   int
		origin   string
		errKind  string
		attempts []event.Attempt
		signal   string
		msg      string
	}{
		{name: "UF_is_connect_refused_from_the_flag_alone", line: ciliumUF, kind: gateway.Request, status: 503, origin: schema.OriginGateway,
			errKind: schema.ErrConnectRefused, attempts: host("10.244.1.17:8080", "-", -1), signal: "UF", msg: `Envoy response flags "UF": upstream connection failure`},
		{name: "URX,UF_is_the_UF_of_the_last_try", line: ciliumURXUF, kind: gateway.Request, status: 503, origin: schema.OriginGateway,
			errKind: schema.ErrConnectRefused, attempts: host("10.244.1.17:8080", "-", -1), signal: "URX,UF", msg: "(retries exhausted)"},
		{name: "UT_is_read_timeout", line: ciliumUT, kind: gateway.Request, status: 504, origin: schema.OriginGateway,
			errKind: schema.ErrReadTimeout, attempts: host("10.244.2.31:8080", "-", -1), signal: "UT"},
		{name: "UH_has_no_host", line: ciliumUH, kind: gateway.Request, status: 503, origin: schema.OriginGateway,
			errKind: schema.ErrNoLiveUpstreams, signal: "UH"},
		{name: "UC_is_premature_close", line: ciliumUC, kind: gateway.Request, status: 503, origin: schema.OriginGateway,
			errKind: schema.ErrPrematureClose, attempts: host("10.244.2.23:8080", "-", -1), signal: "UC"},
		{name: "app_502_without_flags_is_the_upstreams", line: ciliumApp502, kind: gateway.Request, status: 502, origin: schema.OriginUpstream,
			attempts: host("10.244.3.14:8080", "502", 0.002)},
		{name: "UC_on_a_200_is_a_cut_body_not_envoys_status", line: ciliumBodyCut, kind: gateway.Request, status: 200, origin: schema.OriginUpstream,
			errKind: schema.ErrPrematureClose, attempts: host("10.244.2.23:8080", "200", 0.012), signal: "UC", msg: "after the upstream's status had been sent"},
		{name: "200_is_dropped", line: cilium200, kind: gateway.Uninteresting},
		{name: "envoys_own_log_is_other", line: ciliumOwnLog, kind: gateway.Other},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kind, p := parse(f, tc.line, watched)
			require.Equal(t, tc.kind, kind)
			if kind != gateway.Request {
				return
			}
			a := p.Access
			assert.Equal(t, tc.status, a.Status)
			assert.Equal(t, tc.origin, a.Origin)
			assert.Empty(t, a.UpstreamName, "Cilium's format logs no cluster")
			assert.Equal(t, event.Service{}, a.Service, "no Service may be invented without a cluster name")
			assert.Empty(t, a.Extra)
			assert.Equal(t, tc.attempts, a.Attempts)
			assert.Equal(t, tc.signal, a.FailureSignal)
			assert.Equal(t, "shop.example.com", a.Host)
			if tc.errKind == "" {
				assert.Empty(t, p.Errors)
				return
			}
			require.Len(t, p.Errors, 1)
			assert.Equal(t, tc.errKind, p.Errors[0].Kind)
			assert.Contains(t, p.Errors[0].Message, tc.msg)
			assert.NotContains(t, p.Errors[0].Message, "transport failure", "the format has no transport failure reason")
		})
	}
}

// TestCiliumFormatIsEnvoysDefault: REQUEST_HEADER and RESPONSE_HEADER are
// aliases of REQ and RESP, so Cilium's default reads a line exactly as
// Envoy's default does, and the profile's format is used when log_format
// is empty.
func TestCiliumFormatIsEnvoysDefault(t *testing.T) {
	cilium, envoyDefault := mustCompile(t, CiliumTextFormat), mustCompile(t, EnvoyDefaultFormat)
	for _, line := range []string{ciliumUF, ciliumUH, ciliumApp502, ciliumBodyCut, envoyUF, envoyDocsExample} {
		k1, p1 := parse(cilium, line, watched)
		k2, p2 := parse(envoyDefault, line, watched)
		assert.Equal(t, k2, k1, line)
		assert.Equal(t, p2.Access, p1.Access, line)
		assert.Equal(t, p2.Errors, p1.Errors, line)
	}
	newParser, err := CiliumProfile.Parsers(gateway.Options{})
	require.NoError(t, err)
	var p gateway.Parsed
	require.Equal(t, gateway.Request, newParser().Parse([]byte(ciliumUT), false, watched, &p))
	assert.Equal(t, schema.ErrReadTimeout, p.Errors[0].Kind)
	// Istio's lines are not Cilium's: the profile does not guess.
	p.Reset()
	assert.Equal(t, gateway.Malformed, newParser().Parse([]byte(istioUF), false, watched, &p))
}

// TestCiliumDocumentedCustomFormats: the two formats Cilium's access-logs
// page shows. %CILIUM_GATEWAY_NAMESPACE%/%CILIUM_GATEWAY_NAME% are replaced
// by the operator before Envoy sees them, so a line holds the names; as
// operators we do not know they are read and dropped.
func TestCiliumDocumentedCustomFormats(t *testing.T) {
	text := mustCompile(t, `[%START_TIME%] %CILIUM_GATEWAY_NAMESPACE%/%CILIUM_GATEWAY_NAME% "%REQUEST_HEADER(:METHOD)% %REQUEST_HEADER(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %DURATION%`)
	kind, p := parse(text, `[2026-11-25T10:00:01.012Z] default/my-gateway "GET /details/1 HTTP/1.1" 503 4`, watched)
	require.Equal(t, gateway.Request, kind)
	assert.Equal(t, "GET /details/1 HTTP/1.1", p.Access.RequestLine)
	assert.Equal(t, 503, p.Access.Status)
	assert.Equal(t, schema.OriginLocal, p.Access.Origin, "no flags and no host: nothing says an upstream answered")

	json := mustCompile(t, `{"gateway":"%CILIUM_GATEWAY_NAMESPACE%/%CILIUM_GATEWAY_NAME%","start_time":"%START_TIME%","method":"%REQUEST_HEADER(:METHOD)%","path":"%REQUEST_HEADER(X-ENVOY-ORIGINAL-PATH?:PATH)%","protocol":"%PROTOCOL%","response_code":"%RESPONSE_CODE%","response_flags":"%RESPONSE_FLAGS%","bytes_received":"%BYTES_RECEIVED%","bytes_sent":"%BYTES_SENT%","duration":"%DURATION%","authority":"%REQUEST_HEADER(:AUTHORITY)%","upstream_host":"%UPSTREAM_HOST%"}`)
	kind, p = parse(json, `{"authority":"172.18.255.193","bytes_received":0,"bytes_sent":91,"duration":1,"gateway":"default/my-gateway","method":"GET","path":"/details/1","protocol":"HTTP/1.1","response_code":503,"response_flags":"UF","start_time":"2026-07-06T10:10:13.622Z","upstream_host":"10.244.0.221:9080"}`, watched)
	require.Equal(t, gateway.Request, kind)
	assert.Equal(t, "GET", p.Access.Method)
	assert.Equal(t, "172.18.255.193", p.Access.Host)
	assert.Equal(t, schema.OriginGateway, p.Access.Origin)
	require.Len(t, p.Errors, 1)
	assert.Equal(t, schema.ErrConnectRefused, p.Errors[0].Kind)
	assert.Equal(t, "10.244.0.221:9080", p.Errors[0].Peer())
}

// TestCiliumFixtureCRI reads testdata/cilium's CRI file through the
// receiver's line path with the profile's default format and checks every
// line against labels.tsv.
func TestCiliumFixtureCRI(t *testing.T) {
	labels := readLabels(t, ciliumFixtures)
	require.NotEmpty(t, labels)
	paths, _ := filepath.Glob(filepath.Join(ciliumFixtures, "var/log/pods/kube-system_cilium-envoy-*/cilium-envoy/0.log"))
	require.Len(t, paths, 1)
	got, in := runFile(t, paths[0], mustCompile(t, CiliumProfile.DefaultFormat))
	emitted, kinds := 0, map[string]int{}
	for _, l := range labels {
		require.Equal(t, "cilium", l.file)
		r, ok := got[l.requestID]
		wantRecord := watched(atoi(l.status)) || l.errorKind != "-"
		if !assert.Equal(t, wantRecord, ok, "%s %s: record", l.requestID, l.scenario) || !ok {
			continue
		}
		emitted++
		kinds[l.errorKind]++
		checkRecord(t, l, r)
	}
	assert.Len(t, got, emitted, "records beyond the labelled ones")
	// Every scenario of the README is there: a fixture that lost one fails.
	assert.Equal(t, map[string]int{schema.ErrConnectRefused: 2, schema.ErrReadTimeout: 1, schema.ErrNoLiveUpstreams: 1, schema.ErrPrematureClose: 1, "-": 1}, kinds)
	c := &in.Counters
	assert.EqualValues(t, 1, c.SkippedOther.Load(), "cilium-envoy's own log line")
	assert.Zero(t, c.AccessFailed.Load())
	assert.Zero(t, c.WrapperFailed.Load())
}
