package haproxy

import (
	"strings"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"
)

// service reads the Kubernetes Service out of a controller's backend name.
// haproxytech names backends "<ns>_svc_<svc>_<port>", haproxy-ingress
// "<ns>_<svc>_<port>"; Kubernetes names cannot hold '_', so the split is
// unambiguous. The controllers' own default backends name no Service the
// user routed to and yield none.
func service(backend string) (event.Service, bool) {
	var parts [4]string
	n := 0
	for rest := backend; ; n++ {
		if n == len(parts) {
			return event.Service{}, false
		}
		part, after, more := strings.Cut(rest, "_")
		parts[n] = part
		if !more {
			n++
			break
		}
		rest = after
	}
	var s event.Service
	switch {
	case n == 4 && parts[1] == "svc":
		s = event.Service{Namespace: parts[0], Name: parts[2], Port: parts[3]}
	case n == 3:
		s = event.Service{Namespace: parts[0], Name: parts[1], Port: parts[2]}
	default:
		return event.Service{}, false
	}
	if !event.IsDNSLabel(s.Namespace) || !event.IsDNSLabel(s.Name) || !event.IsDNSLabel(s.Port) || s.Name == "default-local-service" {
		return event.Service{}, false
	}
	return s, true
}
