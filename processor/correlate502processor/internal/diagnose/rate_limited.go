package diagnose

import (
	"fmt"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// rateLimited: nginx's limit_req rejected the request before any upstream
// was chosen (ingress-nginx answers 503 by default, limit-req-status-code).
func rateLimited(j *judge) bool {
	t := j.result.Target
	target := "the Ingress"
	if t.Service != "" {
		target = fmt.Sprintf("the Ingress routing to service %s/%s", t.Namespace, t.Service)
	}
	return j.claim(schema.CauseRateLimited, schema.ConfidenceHigh,
		fmt.Sprintf("raise nginx.ingress.kubernetes.io/limit-rps (and limit-burst-multiplier) on %s, or slow the client down; nginx rejected it: %s", target, j.f.ErrorMessage),
		fmt.Sprintf("nginx limit_req rejected the request at %s before contacting any upstream: %s", ts(j.f.Time), j.f.ErrorMessage))
}
