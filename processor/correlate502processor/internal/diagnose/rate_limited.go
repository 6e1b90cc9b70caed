package diagnose

import (
	"fmt"
	"strings"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// rateLimited: nginx's limit_req (or limit_conn) rejected the request before
// any upstream was chosen (ingress-nginx answers 503 by default,
// limit-req-status-code / limit-conn-status-code).
func rateLimited(j *judge) bool {
	target := ingressRef(j)
	module, knob := "limit_req", "nginx.ingress.kubernetes.io/limit-rps (and limit-burst-multiplier)"
	if strings.Contains(j.f.ErrorMessage, "limiting connections") {
		// limit_conn: too many concurrent connections from one client.
		module, knob = "limit_conn", "nginx.ingress.kubernetes.io/limit-connections"
	}
	return j.claim(schema.CauseRateLimited, schema.ConfidenceHigh,
		fmt.Sprintf("raise %s on %s, or slow the client down; nginx rejected it: %s", knob, target, j.f.ErrorMessage),
		fmt.Sprintf("nginx %s rejected the request at %s before contacting any upstream: %s", module, j.ts(j.f.Time), j.f.ErrorMessage))
}
