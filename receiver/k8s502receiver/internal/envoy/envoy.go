// Package envoy reads the access logs of Envoy-based gateways: Envoy Gateway,
// Istio's ingress gateway and sidecars, and Contour (Profile), and Cilium
// Gateway API (CiliumProfile, cilium.go). Envoy states who failed
// and why on the access line itself (response flags, response code details,
// transport failure reason), so unlike nginx there is no error log to join:
// every failure is known the moment its line is read.
//
// The three products ship different defaults (JSON in Envoy Gateway, Istio's
// own text format, Envoy's built-in format in Contour) and users override
// them freely, so the parser is driven by the same %COMMAND% format strings
// Envoy is configured with.
package envoy

import (
	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/gateway"
)

// Profile is Envoy as the receiver's format option selects it. Its pods are
// those whose Envoy container the three products run by default: Envoy
// Gateway's proxy Deployments (envoy-<ns>-<gateway>-<hash> in
// envoy-gateway-system), Istio's ingress gateway and Contour's envoy
// DaemonSet in the quickstart namespace. Without a format string the
// products' documented defaults are detected per line.
var Profile = gateway.Profile{
	Name: schema.GatewayEnvoy,
	DefaultInclude: []string{
		"/var/log/pods/envoy-gateway-system_envoy-*/envoy/*.log",
		"/var/log/pods/istio-system_istio-ingressgateway-*/istio-proxy/*.log",
		"/var/log/pods/projectcontour_envoy-*/envoy/*.log",
	},
	Compile: gateway.Compiler(Compile),
}

// Format is a compiled access log format: a text layout, a JSON key map, or
// (the default) both of the products' defaults, detected per line because a
// cluster's gateways need not agree on one.
type Format struct {
	texts []*textFormat    // tried in order; the parser remembers the last that matched
	keys  map[string]field // JSON keys; nil when only text lines are expected
}

// Compile checks logFormat and compiles it. The empty string selects
// auto-detection of the products' documented defaults. Anything else is an
// Envoy format string: text with %COMMAND% operators, or a JSON object
// template whose values are single operators.
func Compile(logFormat string) (*Format, error) {
	if logFormat == "" {
		return &Format{texts: []*textFormat{istioText, envoyDefaultText}, keys: autoKeys}, nil
	}
	s := trimFormat(logFormat)
	if len(s) > 0 && s[0] == '{' {
		keys, err := compileJSONTemplate(s)
		if err != nil {
			return nil, err
		}
		return &Format{keys: keys}, nil
	}
	t, err := compileText(s)
	if err != nil {
		return nil, err
	}
	return &Format{texts: []*textFormat{t}}, nil
}

// NewParser returns the parser of one log file.
func (f *Format) NewParser() gateway.Parser { return &parser{f: f} }
