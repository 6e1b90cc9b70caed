package diagnose

import (
	"fmt"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
)

// f5NoEndpointsAddr is where F5 NGINX Ingress Controller points the
// upstream of a Service without endpoints (NewUpstreamWithDefaultServer):
// nothing listens there, so the request fails as a refused connection.
const f5NoEndpointsAddr = "127.0.0.1:8181"

// gatewayName is how evidence names the proxy.
func (j *judge) gatewayName() string {
	switch j.f.Gateway {
	case schema.GatewayHAProxy:
		return "HAProxy"
	case schema.GatewayTraefik:
		return "Traefik"
	case schema.GatewayEnvoy:
		return "Envoy"
	case schema.GatewayF5Nginx:
		return "F5 NGINX Ingress Controller"
	case schema.GatewayNginx:
		return "nginx"
	}
	return "ingress-nginx"
}

// ingressNginx: the record came from ingress-nginx (records from before the
// format option carry no gateway or "ingress-nginx").
func (j *judge) ingressNginx() bool {
	return j.f.Gateway == "" || j.f.Gateway == schema.GatewayIngressNginx
}

// nginxBased: nginx names upstream groups, never single servers.
func (j *judge) nginxBased() bool {
	return j.ingressNginx() || j.f.Gateway == schema.GatewayNginx || j.f.Gateway == schema.GatewayF5Nginx
}

// knobs are the settings that remediations name, in each proxy's own
// vocabulary: an ingress-nginx annotation means nothing to a Traefik user.
type knobs struct {
	readTimeout    string // raise the time allowed for the response
	connectTimeout string
	backendTLS     string // where TLS to the backend is switched on or off
	trustCA        string // where the backend's CA goes
	keepalive      string // how to make the proxy's idle upstream connections shorter-lived than the app's
	headerBuffer   string // how to allow bigger response headers
}

func (j *judge) knobs() knobs {
	ing := ingressRef(j)
	switch j.f.Gateway {
	case schema.GatewayF5Nginx:
		return knobs{
			readTimeout:    "nginx.org/proxy-read-timeout on " + ing,
			connectTimeout: "nginx.org/proxy-connect-timeout on " + ing,
			backendTLS:     "nginx.org/ssl-services on " + ing,
			trustCA:        "a VirtualServer with an egress-mTLS Policy (trustedCertSecret) for this upstream",
			keepalive:      "the ConfigMap key keepalive (or nginx.org/keepalive on " + ing + ") together with the app's idle timeout",
			headerBuffer:   "nginx.org/proxy-buffer-size (e.g. 16k) on " + ing,
		}
	case schema.GatewayNginx:
		return knobs{
			readTimeout:    "proxy_read_timeout in the location proxying to this upstream",
			connectTimeout: "proxy_connect_timeout in the location proxying to this upstream",
			backendTLS:     "the scheme of proxy_pass (https:// or http://)",
			trustCA:        "proxy_ssl_trusted_certificate with proxy_ssl_verify on (and proxy_ssl_name for the expected name)",
			keepalive:      "keepalive_timeout in the upstream block, below the app's idle timeout",
			headerBuffer:   "proxy_buffer_size (e.g. 16k) in the location",
		}
	case schema.GatewayHAProxy:
		return knobs{
			readTimeout:    "timeout-server on " + ing + " (haproxy.org/timeout-server on HAProxy Kubernetes Ingress, haproxy-ingress.github.io/timeout-server on HAProxy Ingress)",
			connectTimeout: "timeout-connect on " + ing + " (haproxy.org/timeout-connect, haproxy-ingress.github.io/timeout-connect)",
			backendTLS:     "haproxy.org/server-ssl (HAProxy Kubernetes Ingress) or haproxy-ingress.github.io/backend-protocol (HAProxy Ingress) on " + ing,
			trustCA:        "haproxy.org/server-ca or haproxy-ingress.github.io/backend-ca-secret on " + ing,
			keepalive:      "timeout-http-keep-alive / timeout-server in the controller ConfigMap, below the app's idle timeout",
			headerBuffer:   "tune.bufsize in the controller's global config",
		}
	case schema.GatewayTraefik:
		return knobs{
			readTimeout:    "forwardingTimeouts.responseHeaderTimeout of the ServersTransport used by " + ing,
			connectTimeout: "forwardingTimeouts.dialTimeout of the ServersTransport used by " + ing,
			backendTLS:     "the Service annotation traefik.ingress.kubernetes.io/service.serversscheme (https or http)",
			trustCA:        "rootCAs (and serverName) of the ServersTransport used by " + ing,
			keepalive:      "forwardingTimeouts.idleConnTimeout of the ServersTransport, below the app's idle timeout",
			headerBuffer:   "the app's headers: Traefik accepts large headers; check the message",
		}
	case schema.GatewayEnvoy:
		return knobs{
			readTimeout:    "the route timeout (HTTPRoute spec.rules[].timeouts.request; Istio VirtualService timeout; Contour HTTPProxy timeoutPolicy.response)",
			connectTimeout: "the cluster connect timeout (Envoy Gateway BackendTrafficPolicy timeout.tcp.connectTimeout; Istio DestinationRule connectionPool.tcp.connectTimeout)",
			backendTLS:     "BackendTLSPolicy (Gateway API) or the DestinationRule trafficPolicy.tls mode for this Service",
			trustCA:        "the CA in BackendTLSPolicy validation.caCertificateRefs (or the DestinationRule's caCertificates)",
			keepalive:      "the upstream idle timeout (Istio DestinationRule connectionPool.http.idleTimeout; Envoy Gateway BackendTrafficPolicy), below the app's own",
			headerBuffer:   "the app's headers (max_response_headers_kb on the cluster's protocol options)",
		}
	}
	return knobs{
		readTimeout:    "nginx.ingress.kubernetes.io/proxy-read-timeout on " + ing,
		connectTimeout: "nginx.ingress.kubernetes.io/proxy-connect-timeout on " + ing,
		backendTLS:     "nginx.ingress.kubernetes.io/backend-protocol on " + ing,
		trustCA:        "nginx.ingress.kubernetes.io/proxy-ssl-secret on " + ing + " (a Secret with ca.crt)",
		keepalive:      "",
		headerBuffer:   fmt.Sprintf("kubectl -n %s annotate ingress <ingress for %s> nginx.ingress.kubernetes.io/proxy-buffer-size=16k --overwrite", j.result.Target.Namespace, orDash(j.result.Target.Service)),
	}
}

// troubledInWindow: the pod restarted a container, was deleted or has a
// deletion timestamp within the lookback, which makes it the likely culprit
// when the proxy did not say which endpoint failed.
func (j *judge) troubledInWindow(p *cluster.PodInfo) bool {
	if len(j.s.Terminations(p.Pod.Namespace, p.Pod.Name, j.from, j.to)) > 0 {
		return true
	}
	if !p.Deleted.IsZero() && !p.Deleted.Before(j.from) && !p.Deleted.After(j.to) {
		return true
	}
	if d := p.Pod.DeletionTimestamp; d != nil && !d.Time.After(j.to) {
		return true
	}
	return false
}

// tlsRemediation says how to fix p in the gateway's own settings;
// ingress-nginx's annotations are precise enough to name the value.
func (j *judge) tlsRemediation(p tlsProblem) string {
	ing, k, nginx := ingressRef(j), j.knobs(), j.ingressNginx()
	switch p {
	case tlsPlainHTTP:
		if nginx {
			return "the upstream speaks plain HTTP: remove nginx.ingress.kubernetes.io/backend-protocol: HTTPS from " + ing + " (or serve TLS on the pod)"
		}
		return "the upstream speaks plain HTTP but the gateway talks TLS to it: turn backend TLS off with " + k.backendTLS + " (or serve TLS on the pod)"
	case tlsVersion:
		if nginx {
			return `set nginx.ingress.kubernetes.io/proxy-ssl-protocols: "TLSv1.2 TLSv1.3" on ` + ing + ` so nginx offers what the upstream accepts`
		}
		return "the gateway and the upstream share no TLS version: align the backend TLS versions (" + k.backendTLS + ") with what the pod accepts"
	case tlsName:
		if nginx {
			return "set nginx.ingress.kubernetes.io/proxy-ssl-name to a name in the upstream certificate (and proxy-ssl-server-name: \"on\") on " + ing + ", or reissue the certificate for the name nginx checks"
		}
		return "the upstream certificate does not carry the name the gateway checks: set the expected server name (" + k.trustCA + "), or reissue the certificate for that name"
	case tlsExpired:
		return "the upstream's certificate has expired: renew it (kubectl get certificate -A if cert-manager issues it)"
	case tlsUntrusted:
		if nginx {
			return "nginx does not trust the upstream certificate: point nginx.ingress.kubernetes.io/proxy-ssl-secret on " + ing + " at a Secret holding the CA (ca.crt), or turn proxy-ssl-verify off deliberately"
		}
		return "the gateway does not trust the upstream certificate: give it the CA through " + k.trustCA + ", or turn verification off deliberately"
	}
	if nginx {
		return "compare the backend-protocol / proxy-ssl-* annotations on " + ing + " with what the pod serves: openssl s_client -connect " + j.result.Target.Address
	}
	return "compare the backend TLS settings (" + k.backendTLS + ") with what the pod serves: openssl s_client -connect " + j.result.Target.Address
}
