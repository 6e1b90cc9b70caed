package k8s502receiver // import "github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver"

import (
	"fmt"
	"slices"
	"strings"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/envoy"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/gateway"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/haproxy"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/nginx"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/traefik"
)

// gateways are the values of the format option. Each profile lives in its
// gateway's package (name, default include and log_format, how its parser
// is compiled); a new gateway is one more entry here.
var gateways = []gateway.Profile{
	nginx.IngressNginx,
	nginx.F5NginxIngress,
	nginx.Plain,
	nginx.NGF,
	nginx.Kong,
	haproxy.Profile,
	traefik.Profile,
	envoy.Profile,
	envoy.CiliumProfile,
}

func formatNames() string {
	names := make([]string, 0, len(gateways))
	for _, g := range gateways {
		names = append(names, g.Name)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

func lookupGateway(format string) (gateway.Profile, error) {
	for _, g := range gateways {
		if g.Name == format {
			return g, nil
		}
	}
	return gateway.Profile{}, fmt.Errorf("%q is not a supported gateway; use one of %s", format, formatNames())
}
