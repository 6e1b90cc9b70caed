package gateways

import (
	"strings"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// ingress-nginx (kubernetes/ingress-nginx): upstreams named
// <namespace>-<service>-<port>, one nginx upstream block per Service port,
// and annotations precise enough that a remediation can name the value.
func init() {
	register(&Profile{
		Name:        schema.GatewayIngressNginx,
		Words:       "ingress-nginx",
		NamesGroups: true,
		Resolve:     byUpstreamName,
		Knobs:       ingressNginxKnobs,
		TLSFix:      ingressNginxTLSFix,
		HeaderBufferFix: func(r Route) string {
			return "the response headers (often large Set-Cookie) exceed proxy-buffer-size (4k by default): " + ingressNginxKnobs(r).HeaderBuffer
		},
		KeepaliveFix: ingressNginxKeepaliveFix,
	})
}

func ingressNginxKnobs(r Route) Knobs {
	return Knobs{
		ReadTimeout:    "nginx.ingress.kubernetes.io/proxy-read-timeout on " + r.Ingress,
		ConnectTimeout: "nginx.ingress.kubernetes.io/proxy-connect-timeout on " + r.Ingress,
		BackendTLS:     "nginx.ingress.kubernetes.io/backend-protocol on " + r.Ingress,
		TrustCA:        "nginx.ingress.kubernetes.io/proxy-ssl-secret on " + r.Ingress + " (a Secret with ca.crt)",
		// Keepalive: see ingressNginxKeepaliveFix, which names the value.
		// Built on every call, mostly unused: concatenation, not Sprintf,
		// which boxed both arguments.
		HeaderBuffer: "kubectl -n " + r.Namespace + " annotate ingress <ingress for " + orDash(r.Service) + "> nginx.ingress.kubernetes.io/proxy-buffer-size=16k --overwrite",
	}
}

// ingressNginxTLSFix names the annotation and its value; an expired
// certificate is fixed the same way behind every proxy.
func ingressNginxTLSFix(p TLSProblem, r Route) string {
	switch p {
	case TLSPlainHTTP:
		return "the upstream speaks plain HTTP: remove nginx.ingress.kubernetes.io/backend-protocol: HTTPS from " + r.Ingress + " (or serve TLS on the pod)"
	case TLSVersion:
		return `set nginx.ingress.kubernetes.io/proxy-ssl-protocols: "TLSv1.2 TLSv1.3" on ` + r.Ingress + ` so nginx offers what the upstream accepts`
	case TLSName:
		return "set nginx.ingress.kubernetes.io/proxy-ssl-name to a name in the upstream certificate (and proxy-ssl-server-name: \"on\") on " + r.Ingress + ", or reissue the certificate for the name nginx checks"
	case TLSExpired:
		return "" // the same for every proxy
	case TLSUntrusted:
		return "nginx does not trust the upstream certificate: point nginx.ingress.kubernetes.io/proxy-ssl-secret on " + r.Ingress + " at a Secret holding the CA (ca.crt), or turn proxy-ssl-verify off deliberately"
	}
	return "compare the backend-protocol / proxy-ssl-* annotations on " + r.Ingress + " with what the pod serves: openssl s_client -connect " + r.Address
}

// ingressNginxKeepaliveFix names the controller's ConfigMap key and its
// default; the ConfigMap lives in the controller's namespace.
func ingressNginxKeepaliveFix(r Route) string {
	rem := `make the app's HTTP keep-alive idle timeout longer than ingress-nginx's upstream-keepalive-timeout (60s by default), or lower nginx's: kubectl -n ingress-nginx patch configmap ingress-nginx-controller --type merge -p '{"data":{"upstream-keepalive-timeout":"30"}}'`
	if r.ControllerNamespace != "" && r.ControllerNamespace != "ingress-nginx" {
		rem = strings.Replace(rem, "-n ingress-nginx", "-n "+r.ControllerNamespace, 1)
	}
	return rem
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
