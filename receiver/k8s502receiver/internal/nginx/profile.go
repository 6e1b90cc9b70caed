package nginx

import (
	"fmt"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/gateway"
)

// The nginx-based gateways: one parser, each with its own name, pods and
// default log_format. Another nginx-based controller is one more value.
var (
	// IngressNginx is kubernetes/ingress-nginx: the chart's controller pods
	// and its default log-format-upstream.
	IngressNginx = gateway.Profile{
		Name:           schema.GatewayIngressNginx,
		DefaultInclude: []string{"/var/log/pods/ingress-nginx_*/controller/*.log"},
		DefaultFormat:  IngressNginxFormat,
		Compile:        compile,
	}
	// F5NginxIngress is F5 NGINX Ingress Controller (nginx/kubernetes-ingress),
	// whose default format logs no upstream: the error log names it.
	F5NginxIngress = gateway.Profile{
		Name:           schema.GatewayF5Nginx,
		DefaultInclude: []string{"/var/log/pods/nginx-ingress_*/nginx-ingress/*.log"},
		DefaultFormat:  F5NginxIngressFormat,
		Compile:        compile,
	}
	// NGF is NGINX Gateway Fabric (nginx/nginx-gateway-fabric) 2.x: one
	// data-plane Deployment per Gateway, in the Gateway's namespace, named
	// <gateway>-<gatewayclass> (the chart's class is "nginx"), container
	// nginx. Its nginx.conf sets no log_format unless NginxProxy
	// spec.logging.accessLog.format does, so nginx logs combined: no
	// upstream, the error log names it.
	NGF = gateway.Profile{
		Name:           schema.GatewayNGF,
		DefaultInclude: []string{"/var/log/pods/*_*-nginx-*_*/nginx/*.log"},
		DefaultFormat:  CombinedFormat,
		Compile:        compile,
	}
	// Kong is Kong Gateway 3.x as its Helm charts run it: container proxy of
	// kong-gateway-… (the kong/ingress chart) or <release>-kong-… (the
	// kong/kong chart), in any namespace, logging kong_log_format on stdout
	// and nginx's error log on stderr.
	Kong = gateway.Profile{
		Name:           schema.GatewayKong,
		DefaultInclude: []string{"/var/log/pods/*_*-gateway-*_*/proxy/*.log", "/var/log/pods/*_*-kong-*_*/proxy/*.log"},
		DefaultFormat:  KongFormat,
		Compile:        compile,
	}
	// Plain is any nginx. It can run anywhere, so include must be given.
	Plain = gateway.Profile{
		Name:          schema.GatewayNginx,
		DefaultFormat: CombinedFormat,
		Compile:       compile,
	}
)

// compile reads log_format with its escaping and the variables to copy.
func compile(o gateway.Options) (func() gateway.Parser, error) {
	esc, err := ParseEscape(o.Escape, o.LogFormat)
	if err != nil {
		return nil, fmt.Errorf("log_format_escape: %w", err)
	}
	f, err := Compile(o.LogFormat, esc)
	if err != nil {
		return nil, fmt.Errorf("log_format: %w", err)
	}
	if err := f.MapVariables(o.Variables); err != nil {
		return nil, fmt.Errorf("variable_attributes: %w", err)
	}
	zone := o.ErrorZone
	return func() gateway.Parser { return &parser{f: f, zone: zone} }, nil
}
