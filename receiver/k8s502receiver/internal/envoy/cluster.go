package envoy

import (
	"strings"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"
)

// clusterIdentity reads the Kubernetes Service out of a cluster name when
// the product's naming scheme states it without doubt. Envoy Gateway's
// clusters name a route rule, not a Service (one rule may split traffic
// over several backends), so they yield the route instead.
func clusterIdentity(c string) (svc event.Service, route string) {
	switch {
	case strings.HasPrefix(c, "outbound|"):
		return istioService(c), ""
	case strings.Count(c, "/") == 3:
		return contourService(c), ""
	case strings.Count(c, "_") == 2 && strings.IndexByte(c, '/') < 0:
		return contourAltStat(c), ""
	}
	return event.Service{}, gatewayRoute(c)
}

// istioService reads "outbound|<port>|<subset>|<svc>.<ns>.svc.<domain>".
// Hosts outside the cluster (ServiceEntry names) are not Services.
func istioService(c string) event.Service {
	parts := strings.Split(c, "|")
	if len(parts) != 4 || !isNumber(parts[1]) {
		return event.Service{}
	}
	labels := strings.Split(parts[3], ".")
	if len(labels) < 4 || labels[2] != "svc" || !event.IsDNSLabel(labels[0]) || !event.IsDNSLabel(labels[1]) {
		return event.Service{}
	}
	return event.Service{Namespace: labels[1], Name: labels[0], Port: parts[1]}
}

// contourService reads "<ns>/<svc>/<port>/<hash>" (internal/envoy/cluster.go
// Clustername: the hash is hex).
func contourService(c string) event.Service {
	parts := strings.Split(c, "/")
	if !event.IsDNSLabel(parts[0]) || !event.IsDNSLabel(parts[1]) || !isNumber(parts[2]) || !isHex(parts[3]) {
		return event.Service{}
	}
	return event.Service{Namespace: parts[0], Name: parts[1], Port: parts[2]}
}

// contourAltStat reads Contour's alt_stat_name "<ns>_<svc>_<port>", which
// %UPSTREAM_CLUSTER% prints. Kubernetes names never hold '_', so exactly
// two of them split it without doubt.
func contourAltStat(c string) event.Service {
	parts := strings.Split(c, "_")
	if !event.IsDNSLabel(parts[0]) || !event.IsDNSLabel(parts[1]) || !isNumber(parts[2]) {
		return event.Service{}
	}
	return event.Service{Namespace: parts[0], Name: parts[1], Port: parts[2]}
}

// gatewayRoute reads Envoy Gateway's "<kind>/<ns>/<name>/rule/<i>" and
// returns "<kind>/<ns>/<name>".
func gatewayRoute(c string) string {
	parts := strings.Split(c, "/")
	if len(parts) != 5 || parts[3] != "rule" || !isNumber(parts[4]) || !strings.HasSuffix(parts[0], "route") ||
		!event.IsDNSLabel(parts[1]) || parts[2] == "" {
		return ""
	}
	return strings.Join(parts[:3], "/")
}

func isNumber(s string) bool {
	if s == "" || len(s) > 5 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isHex(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
