package envoy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/gateway"
)

func TestCompileErrors(t *testing.T) {
	tests := []struct{ name, format, want string }{
		{"no_status", `[%START_TIME%] %RESPONSE_FLAGS%`, "%RESPONSE_CODE%"},
		{"adjacent_operators", `%RESPONSE_CODE%%RESPONSE_FLAGS%`, "%RESPONSE_FLAGS% follows %RESPONSE_CODE% with nothing between them"},
		{"unclosed_operator", `%RESPONSE_CODE% %DURATION`, "not closed"},
		{"lone_percent", `%RESPONSE_CODE% 100% done`, `a "%" that does not start`},
		{"unclosed_parenthesis", `%REQ(:METHOD %RESPONSE_CODE%`, "no closing parenthesis"},
		{"bad_length", `%REQ(:PATH):x% %RESPONSE_CODE%`, "must be a number"},
		{"json_not_json", `{"code": %RESPONSE_CODE%}`, "not a JSON object"},
		{"json_without_status", `{"flags":"%RESPONSE_FLAGS%"}`, "%RESPONSE_CODE%"},
		{"json_bad_operator", `{"code":"%RESPONSE_CODE%","x":"%oops"}`, `key "x"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(tc.format)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestCompiledDefaultsMatchAuto: giving Istio's or Envoy's documented format
// string explicitly reads the same as auto-detection.
func TestCompiledDefaultsMatchAuto(t *testing.T) {
	auto := mustCompile(t, "")
	for _, tc := range []struct{ format, line string }{
		{IstioTextFormat + `\n`, istioTLS},
		{IstioTextFormat + "\n", istioUC},
		{EnvoyDefaultFormat, envoyUF},
	} {
		f := mustCompile(t, tc.format)
		k1, p1 := parse(auto, tc.line, watched)
		k2, p2 := parse(f, tc.line, watched)
		require.Equal(t, gateway.Request, k2)
		assert.Equal(t, k1, k2)
		assert.Equal(t, p1.Access, p2.Access)
		assert.Equal(t, p1.Errors, p2.Errors)
	}
	// The explicit Envoy format does not read Istio lines: no guessing.
	k, _ := parse(mustCompile(t, EnvoyDefaultFormat), istioUF, watched)
	assert.Equal(t, gateway.Malformed, k)
}

// TestCustomTextFormat: a user format with a strftime start time, a
// truncation length, long flag names, details without flags, Contour's raw
// cluster name and unknown operators in between.
func TestCustomTextFormat(t *testing.T) {
	f := mustCompile(t, `%START_TIME(%Y/%m/%d %H:%M:%S)% %RESPONSE_CODE% %RESPONSE_FLAGS_LONG% %RESPONSE_CODE_DETAILS% %UPSTREAM_CLUSTER_RAW% %UPSTREAM_HOST% %DYNAMIC_METADATA(envoy.lb:canary)% "%REQ(:PATH):256%" %REQ(X-REQUEST-ID)%`)
	line := `2026/11/25 10:00:01 503 UpstreamRetryLimitExceeded,UpstreamConnectionFailure upstream_reset_before_response_started{connection_failure} shop/cart/8080/da39a3ee5e 10.244.1.17:8080 - "/api/cart?x=1" r-custom`
	kind, p := parse(f, line, watched)
	require.Equal(t, gateway.Request, kind)
	a := p.Access
	assert.True(t, a.Time.IsZero(), "a strftime layout is not guessed: the container time is used")
	assert.Equal(t, "/api/cart", a.Path)
	assert.Equal(t, "x=1", a.Query)
	assert.Equal(t, "r-custom", a.RequestID)
	assert.Equal(t, "shop/cart/8080/da39a3ee5e", a.UpstreamName)
	assert.Equal(t, event.Service{Namespace: "shop", Name: "cart", Port: "8080"}, a.Service)
	assert.Equal(t, schema.OriginGateway, a.Origin)
	require.Len(t, p.Errors, 1)
	assert.Equal(t, schema.ErrConnectRefused, p.Errors[0].Kind)
	assert.Contains(t, p.Errors[0].Message, "(retries exhausted)")

	// Details alone still state the failure, and a 200 with a cut body is kept.
	f = mustCompile(t, `%RESPONSE_CODE% %RESPONSE_CODE_DETAILS% %UPSTREAM_HOST%`)
	kind, p = parse(f, `200 upstream_reset_after_response_started{remote_reset} 10.0.0.1:80`, watched)
	require.Equal(t, gateway.Request, kind)
	assert.Equal(t, schema.OriginUpstream, p.Access.Origin)
	require.Len(t, p.Errors, 1)
	assert.Equal(t, schema.ErrConnectionReset, p.Errors[0].Kind)
	assert.Equal(t, "upstream_reset_after_response_started{remote_reset}", p.Access.FailureSignal)
	kind, _ = parse(f, `200 via_upstream 10.0.0.1:80`, watched)
	assert.Equal(t, gateway.Uninteresting, kind)
	kind, _ = parse(f, `garbage`, watched)
	assert.Equal(t, gateway.Other, kind, "no status: not an access line")
	kind, _ = parse(f, `503 x`, watched)
	assert.Equal(t, gateway.Malformed, kind, "a valid status, then the line breaks: a broken access line")
}

func TestJSONTemplateFormat(t *testing.T) {
	f := mustCompile(t, `{"code":"%RESPONSE_CODE%","flags":"%RESPONSE_FLAGS%","cluster":"%UPSTREAM_CLUSTER%","host":"%UPSTREAM_HOST%","who":"%REQ(:AUTHORITY)%","mixed":"x %PROTOCOL%","n":5}`)
	kind, p := parse(f, `{"code":503,"flags":"UH","cluster":"outbound|80||web.prod.svc.cluster.local","host":null,"who":"web.example.com","mixed":"x HTTP/1.1","n":5}`, watched)
	require.Equal(t, gateway.Request, kind)
	assert.Equal(t, event.Service{Namespace: "prod", Name: "web", Port: "80"}, p.Access.Service)
	assert.Equal(t, "web.example.com", p.Access.Host)
	assert.Empty(t, p.Access.Protocol, "a value mixing text and an operator cannot be mapped back")
	require.Len(t, p.Errors, 1)
	assert.Equal(t, schema.ErrNoLiveUpstreams, p.Errors[0].Kind)
	kind, _ = parse(f, istioUF, watched)
	assert.Equal(t, gateway.Other, kind, "a JSON format reads no text lines")
}

func TestClusterIdentity(t *testing.T) {
	tests := []struct {
		name, cluster string
		svc           event.Service
		route         string
	}{
		{"istio_outbound", "outbound|8080||cart.shop.svc.cluster.local", event.Service{Namespace: "shop", Name: "cart", Port: "8080"}, ""},
		{"istio_outbound_subset", "outbound|9090|canary|cart.shop.svc.cluster.local", event.Service{Namespace: "shop", Name: "cart", Port: "9090"}, ""},
		{"istio_outbound_custom_domain", "outbound|80||web.prod.svc.corp.internal", event.Service{Namespace: "prod", Name: "web", Port: "80"}, ""},
		{"istio_service_entry_host", "outbound|443||api.stripe.com", event.Service{}, ""},
		{"istio_inbound", "inbound|8080||", event.Service{}, ""},
		{"istio_passthrough", "PassthroughCluster", event.Service{}, ""},
		{"contour_cluster", "shop/cart/8080/da39a3ee5e", event.Service{Namespace: "shop", Name: "cart", Port: "8080"}, ""},
		{"contour_cluster_bad_hash", "shop/cart/8080/NOTHEX", event.Service{}, ""},
		{"contour_alt_stat_name", "shop_cart_8080", event.Service{Namespace: "shop", Name: "cart", Port: "8080"}, ""},
		{"contour_alt_stat_name_ambiguous", "my_shop_cart_8080", event.Service{}, ""},
		{"contour_alt_stat_name_not_k8s", "Shop_cart_http", event.Service{}, ""},
		{"envoy_gateway_httproute", "httproute/shop/cart/rule/0", event.Service{}, "httproute/shop/cart"},
		{"envoy_gateway_grpcroute", "grpcroute/shop/rpc/rule/3", event.Service{}, "grpcroute/shop/rpc"},
		{"envoy_gateway_not_a_rule", "httproute/shop/cart/x/0", event.Service{}, ""},
		{"empty", "", event.Service{}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svc, route := clusterIdentity(tc.cluster)
			assert.Equal(t, tc.svc, svc)
			assert.Equal(t, tc.route, route)
		})
	}
}

// TestFlagTable keeps the table's invariants: every upstream failure flag
// has an error kind, and short names are unique.
func TestFlagTable(t *testing.T) {
	seen := map[string]bool{}
	for i, f := range flags {
		assert.False(t, seen[f.short], f.short)
		seen[f.short] = true
		if f.failure {
			assert.NotEmpty(t, f.kind, f.short)
		}
		assert.Equal(t, flagSet(1<<i), parseFlags([]byte(f.short)))
		assert.Equal(t, flagSet(1<<i), parseFlags([]byte(f.long)))
	}
	assert.Less(t, len(flags), 32, "flagSet is a uint32")
	assert.Equal(t, iUF, parseFlags([]byte("URX,UF")).cause())
	assert.Equal(t, iURX, parseFlags([]byte("URX")).cause())
	assert.Equal(t, iDC, parseFlags([]byte("DC")).cause())
	assert.Equal(t, -1, parseFlags([]byte("-")).cause())
	assert.Equal(t, -1, parseFlags([]byte("NEWFLAG")).cause(), "unknown flags are ignored")
}
