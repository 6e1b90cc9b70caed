package k8s502receiver // import "github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver"

import (
	"fmt"
	"slices"
	"strings"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/envoy"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/gateway"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/haproxy"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/nginx"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/traefik"
)

// gatewaySpec is what the format option selects: where the proxy's logs
// usually are and how its lines are read.
type gatewaySpec struct {
	// include is the default file selection: the controller pods' container
	// logs under the names the projects' Helm charts give them.
	include []string
	// nginxFormat is set for nginx-based proxies: the default log_format.
	// They use the nginx line path (compiled log_format plus error log).
	nginxFormat string
	// compile builds every other proxy's parser from log_format ("" = the
	// proxy's own default).
	compile func(logFormat string) (func() gateway.Parser, error)
}

func (g gatewaySpec) nginxBased() bool { return g.compile == nil }

// gateways maps the format option to its spec. Formats that are nginx
// under the hood share one parser; they differ in defaults only.
var gateways = map[string]gatewaySpec{
	schema.GatewayIngressNginx: {
		include:     []string{"/var/log/pods/ingress-nginx_*/controller/*.log"},
		nginxFormat: nginx.IngressNginxFormat,
	},
	schema.GatewayF5Nginx: {
		include:     []string{"/var/log/pods/nginx-ingress_*/nginx-ingress/*.log"},
		nginxFormat: nginx.F5NginxIngressFormat,
	},
	schema.GatewayNginx: {
		// A plain nginx can run anywhere: include must be given.
		nginxFormat: nginx.CombinedFormat,
	},
	schema.GatewayHAProxy: {
		include: haproxy.DefaultInclude,
		compile: gateway.Compiler(haproxy.Compile),
	},
	schema.GatewayTraefik: {
		include: traefik.DefaultInclude,
		compile: gateway.Compiler(traefik.Compile),
	},
	schema.GatewayEnvoy: {
		include: envoy.DefaultInclude,
		compile: gateway.Compiler(envoy.Compile),
	},
}

func formatNames() string {
	names := make([]string, 0, len(gateways))
	for n := range gateways {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

func lookupGateway(format string) (gatewaySpec, error) {
	g, ok := gateways[format]
	if !ok {
		return gatewaySpec{}, fmt.Errorf("%q is not a supported gateway; use one of %s", format, formatNames())
	}
	return g, nil
}
