package diagnose

import (
	"testing"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// HAProxy's default log names the server slot, not its address, and names
// the Service in the backend: the rules must still find the pod.
func TestHAProxyServerSlot(t *testing.T) {
	slot := func(f *Facts) {
		f.Gateway, f.Status = schema.GatewayHAProxy, 503
		f.UpstreamName = "shop_svc_checkout_http"
		f.Service = ServiceRef{Namespace: ns, Name: "checkout", Port: "http"}
		f.ErrorUpstream, f.Addresses, f.Statuses = "", []string{"SRV_1"}, []string{"-"}
		f.FailureSignal = "SC--"
		f.ErrorMessage = `HAProxy termination state "SC--" after 3 retries: the connection to the server failed: refused or reset`
	}
	run(t, schema.ErrConnectRefused, "", []testCase{
		{
			name: "the endpoint whose pod crashed is judged",
			setup: func(w *world) {
				w.pod(mkPod(podA, ipA, lastTerminated("OOMKilled", 137, 2, at(-5))), at(-5))
			},
			facts: slot,
			want: want{
				cause:    schema.CausePodCrash,
				target:   &Target{Namespace: ns, Service: "checkout", Port: "80", Pod: podA, Node: "node-a", Workload: "Deployment/checkout", Address: ipA},
				evidence: []string{`HAProxy logs the server as "SRV_1", not its address`, "recently restarted or deleted endpoint 10.1.2.3", `HAProxy stated the failure itself with its code "SC--"`},
			},
		},
		{
			name: "an unready endpoint comes first",
			setup: func(w *world) {
				w.pod(mkPod(podB, ipB, onNode("node-b"), withReady(false, at(-30))), at(-30))
				w.endpoints("checkout", at(-29), ep(ipA, podA, "node-a", true, false), ep(ipB, podB, "node-b", false, false))
			},
			facts: slot,
			want:  want{evidence: []string{"judging unready endpoint 10.1.2.4 (pod shop/" + podB + ")"}, cause: schema.CauseReadinessProbe},
		},
		{
			name:  "healthy endpoints and two of them: no pod is guessed",
			facts: slot,
			want: want{
				cause:  schema.CauseUnknown,
				target: &Target{Namespace: ns, Service: "checkout", Port: "80", Address: "SRV_1"},
			},
		},
		{
			name: "no server at all (<NOSRV>) and no ready endpoint: no_endpoints",
			setup: func(w *world) {
				w.pod(mkPod(podA, ipA, withReady(false, at(-60))), at(-60))
				w.pod(mkPod(podB, ipB, onNode("node-b"), withReady(false, at(-60))), at(-60))
				w.endpoints("checkout", at(-59), ep(ipA, podA, "node-a", false, false), ep(ipB, podB, "node-b", false, false))
			},
			facts: func(f *Facts) {
				slot(f)
				f.ErrorKind, f.Addresses, f.Statuses, f.FailureSignal = schema.ErrNoLiveUpstreams, nil, nil, "SC--"
			},
			want: want{cause: schema.CauseNoEndpoints, evidence: []string{"service shop/checkout had no ready endpoints", "2 not Ready"}},
		},
	})
}

// F5 NGINX Ingress Controller logs no upstream name and sends requests for
// a Service without endpoints to 127.0.0.1:8181.
func TestF5NoEndpointsSentinel(t *testing.T) {
	const f5NoEndpointsAddr = "127.0.0.1:8181"
	sentinel := func(f *Facts) {
		f.Gateway, f.UpstreamName = schema.GatewayF5Nginx, ""
		f.ErrorUpstream, f.Addresses, f.Statuses, f.ResponseTimes = f5NoEndpointsAddr, []string{f5NoEndpointsAddr}, nil, nil
		f.Host, f.Path = "shop.example.com", "/api/promotions/12"
	}
	run(t, schema.ErrConnectRefused, msgRefused, []testCase{
		{
			name:  "the sentinel alone proves it",
			facts: sentinel,
			want: want{
				cause: schema.CauseNoEndpoints, confidence: schema.ConfidenceHigh,
				evidence:    []string{"127.0.0.1:8181", "Service without endpoints"},
				remediation: []string{"kubectl get ingress -A | grep shop.example.com", "/api/promotions/12"},
			},
		},
		{
			name: "with the group name, the Service and its selector are named",
			setup: func(w *world) {
				w.service(mkService("promotions", map[string]string{"app": "promotions"}))
			},
			facts: func(f *Facts) {
				sentinel(f)
				f.UpstreamName = "shop-shop-ingress-shop.example.com-promotions-80"
			},
			want: want{
				cause: schema.CauseNoEndpoints, confidence: schema.ConfidenceHigh,
				target:   &Target{Namespace: ns, Service: "promotions", Port: "80", Address: f5NoEndpointsAddr},
				evidence: []string{"selector {app=promotions} matches no pod", "where it points the upstream of a Service without endpoints"},
			},
		},
		{
			name:  "elsewhere 127.0.0.1:8181 is just an address",
			facts: func(f *Facts) { sentinel(f); f.Gateway = schema.GatewayIngressNginx },
			want:  want{cause: schema.CauseUnknown},
		},
	})
}

// A pod found by its address names its Service through the endpoints that
// listed it, for proxies that log only the address.
func TestServiceFromEndpoint(t *testing.T) {
	run(t, schema.ErrConnectRefused, msgRefused, []testCase{{
		name: "F5's access log has no upstream name",
		setup: func(w *world) {
			w.pod(mkPod(podA, ipA, lastTerminated("Error", 1, 1, at(-3))), at(-3))
		},
		facts: func(f *Facts) { f.Gateway, f.UpstreamName = schema.GatewayF5Nginx, "" },
		want:  want{cause: schema.CausePodCrash, target: &targetA},
	}})
}

// Saturation: HAProxy's queue timeout and Envoy's circuit breaker.
func TestSaturated(t *testing.T) {
	run(t, schema.ErrQueueTimeout, `HAProxy termination state "sQ--": the request waited for a free server slot (maxconn) longer than timeout queue`, []testCase{
		{
			name: "queue timeout",
			facts: func(f *Facts) {
				f.Gateway, f.Status, f.Addresses, f.ErrorUpstream = schema.GatewayHAProxy, 503, nil, ""
			},
			want: want{
				cause: schema.CauseUpstreamTimeout, confidence: schema.ConfidenceHigh,
				evidence:    []string{"HAProxy waited for a free connection slot"},
				remediation: []string{"add capacity to service shop/checkout", "get hpa"},
			},
		},
		{
			name: "circuit breaker",
			facts: func(f *Facts) {
				f.Gateway, f.Status, f.ErrorKind = schema.GatewayEnvoy, 503, schema.ErrOverflow
				f.Service, f.Addresses, f.ErrorUpstream = ServiceRef{Namespace: ns, Name: "checkout", Port: "80"}, nil, ""
			},
			want: want{cause: schema.CauseUpstreamTimeout, evidence: []string{"circuit breaker"}},
		},
	})
}

// Remediations speak each proxy's own settings.
func TestRemediationPerGateway(t *testing.T) {
	gw := func(g string) func(f *Facts) { return func(f *Facts) { f.Gateway = g } }
	run(t, schema.ErrReadTimeout, msgReadTO, []testCase{
		{name: "ingress-nginx", want: want{cause: schema.CauseUpstreamTimeout, remediation: []string{"nginx.ingress.kubernetes.io/proxy-read-timeout"}}},
		{name: "f5", facts: gw(schema.GatewayF5Nginx), want: want{cause: schema.CauseUpstreamTimeout, remediation: []string{"nginx.org/proxy-read-timeout"}, notRemediation: []string{"nginx.ingress.kubernetes.io"}}},
		{name: "haproxy", facts: gw(schema.GatewayHAProxy), want: want{cause: schema.CauseUpstreamTimeout, remediation: []string{"haproxy.org/timeout-server", "haproxy-ingress.github.io/timeout-server"}, notRemediation: []string{"nginx"}}},
		{name: "traefik", facts: gw(schema.GatewayTraefik), want: want{cause: schema.CauseUpstreamTimeout, remediation: []string{"responseHeaderTimeout"}, notRemediation: []string{"nginx"}}},
		{name: "envoy", facts: gw(schema.GatewayEnvoy), want: want{cause: schema.CauseUpstreamTimeout, remediation: []string{"HTTPRoute spec.rules[].timeouts.request"}, notRemediation: []string{"nginx"}}},
	})
	run(t, schema.ErrTLSHandshake, "TLS_error:|268435703:SSL_routines:OPENSSL_internal:WRONG_VERSION_NUMBER:TLS_error_end", []testCase{
		{name: "envoy TLS to a plain-HTTP pod", facts: gw(schema.GatewayEnvoy), want: want{cause: schema.CauseTLSHandshake, remediation: []string{"plain HTTP", "BackendTLSPolicy"}}},
	})
	run(t, schema.ErrTLSCertificate, "tls: failed to verify certificate: x509: certificate signed by unknown authority", []testCase{
		{name: "traefik untrusted CA", facts: gw(schema.GatewayTraefik), want: want{cause: schema.CauseTLSHandshake, remediation: []string{"rootCAs"}}},
	})
	run(t, schema.ErrProtocol, `HAProxy termination state "PH--": HAProxy rejected the server's response as invalid HTTP`, []testCase{
		{name: "haproxy invalid response", facts: gw(schema.GatewayHAProxy), want: want{cause: schema.CauseProtocolError, remediation: []string{"malformed status line or header"}}},
	})
}

// F5's default access log names no upstream: an app's own 502 comes with
// neither an address nor a pod, and the record must say so plainly.
func TestAppErrorWithoutAddress(t *testing.T) {
	run(t, "", "", []testCase{{
		name: "no address logged",
		facts: func(f *Facts) {
			f.Gateway, f.Origin, f.UpstreamName = schema.GatewayF5Nginx, schema.OriginUpstream, ""
			f.ErrorUpstream, f.Addresses, f.Statuses, f.ResponseTimes = "", nil, nil, nil
			f.Host, f.Path = "shop.example.com", "/api/checkout/pay"
		},
		want: want{
			cause:          schema.CauseUpstreamAppError,
			evidence:       []string{"the upstream (F5 NGINX Ingress Controller logged no address for it) returned 502 itself"},
			notEvidence:    []string{"pod at )", "upstream  ("},
			remediation:    []string{"kubectl get ingress -A | grep shop.example.com", "/api/checkout/pay"},
			notRemediation: []string{"kubectl -n  "},
		},
	}})
}

// Traefik's 503 for a service without servers names neither a service nor
// an address: the remediation starts from the host and path.
func TestNoEndpointsUnnamed(t *testing.T) {
	run(t, schema.ErrNoLiveUpstreams, "", []testCase{{
		name: "traefik no available server",
		facts: func(f *Facts) {
			f.Gateway, f.Status, f.UpstreamName = schema.GatewayTraefik, 503, ""
			f.ErrorUpstream, f.Addresses, f.Statuses, f.ResponseTimes = "", nil, nil, nil
			f.Host, f.Path = "shop.example.com", "/api/promotions/7"
		},
		want: want{
			cause: schema.CauseNoEndpoints, confidence: schema.ConfidenceMedium,
			evidence:       []string{"Traefik answered 503", "named no upstream"},
			remediation:    []string{"kubectl get ingress -A | grep shop.example.com", "/api/promotions/7"},
			notRemediation: []string{"grep -"},
		},
	}})
}

// A plain nginx has directives, not Ingress annotations.
func TestRemediationPlainNginx(t *testing.T) {
	gw := func(f *Facts) { f.Gateway = schema.GatewayNginx }
	run(t, schema.ErrReadTimeout, msgReadTO, []testCase{
		{name: "read timeout", facts: gw, want: want{cause: schema.CauseUpstreamTimeout, remediation: []string{"proxy_read_timeout"}, notRemediation: []string{"nginx.ingress.kubernetes.io"}}},
	})
	run(t, schema.ErrTLSHandshake, "SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking to upstream", []testCase{
		{name: "TLS to plain HTTP", facts: gw, want: want{cause: schema.CauseTLSHandshake, remediation: []string{"proxy_pass"}, notRemediation: []string{"nginx.ingress.kubernetes.io"}}},
	})
}

// A gateway no profile describes is named by its own value, and its
// remediations speak of the gateway's settings, never of another proxy's.
func TestUnknownGateway(t *testing.T) {
	other := func(f *Facts) { f.Gateway = "pomerium" }
	run(t, schema.ErrReadTimeout, msgReadTO, []testCase{{
		name: "read timeout", facts: other,
		want: want{cause: schema.CauseUpstreamTimeout, remediation: []string{"raise the gateway's upstream response timeout for the Ingress routing to service shop/checkout"}, notRemediation: []string{"nginx"}},
	}})
	run(t, schema.ErrPrematureClose, "upstream prematurely closed connection while reading response header from upstream", []testCase{{
		name: "keep-alive race", facts: other,
		want: want{cause: schema.CauseKeepaliveRace, remediation: []string{"the gateway's idle timeout for upstream connections"}, notRemediation: []string{"nginx"}},
	}})
	run(t, schema.ErrConnectRefused, msgRefused, []testCase{{
		name: "its own name in evidence", facts: func(f *Facts) {
			other(f)
			f.FailureSignal = "UF"
		},
		setup: func(w *world) { w.pod(mkPod(podA, ipA, lastTerminated("OOMKilled", 137, 2, at(-5))), at(-5)) },
		want:  want{cause: schema.CausePodCrash, evidence: []string{`pomerium stated the failure itself with its code "UF"`}},
	}})
}
