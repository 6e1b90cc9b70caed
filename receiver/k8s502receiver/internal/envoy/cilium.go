package envoy

import (
	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/gateway"
)

// CiliumTextFormat is the default text of a CiliumGatewayClassConfig's
// spec.telemetry.accessLogs entry (format: Text): Envoy's own default format
// with REQ and RESP spelled REQUEST_HEADER and RESPONSE_HEADER, so its lines
// look exactly like Contour's. It has %RESPONSE_FLAGS% and %UPSTREAM_HOST%
// but no %RESPONSE_CODE_DETAILS%, no transport failure reason and no
// cluster: a UF cannot be told apart (refused, connect timeout, TLS) and no
// line names the Service, only the pod address (testdata/cilium/README.md).
const CiliumTextFormat = `[%START_TIME%] "%REQUEST_HEADER(:METHOD)% %REQUEST_HEADER(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESPONSE_HEADER(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQUEST_HEADER(X-FORWARDED-FOR)%" "%REQUEST_HEADER(USER-AGENT)%" "%REQUEST_HEADER(X-REQUEST-ID)%" "%REQUEST_HEADER(:AUTHORITY)%" "%UPSTREAM_HOST%"`

// CiliumProfile is Cilium Gateway API as the receiver's format option
// selects it. Cilium runs one Envoy per node, the cilium-envoy DaemonSet in
// the release namespace (kube-system in Cilium's docs), container
// cilium-envoy: a Gateway's requests are spread over every node's Envoy, so
// every node's agent reads its own. Access logs exist only when the
// GatewayClass's CiliumGatewayClassConfig sets spec.telemetry.accessLogs;
// Envoy writes them to stdout, between its own log lines. With format: JSON
// (or a custom text) set log_format to the same string.
var CiliumProfile = gateway.Profile{
	Name:           schema.GatewayCilium,
	DefaultInclude: []string{"/var/log/pods/kube-system_cilium-envoy-*_*/cilium-envoy/*.log"},
	DefaultFormat:  CiliumTextFormat,
	Compile:        gateway.Compiler(Compile),
}
