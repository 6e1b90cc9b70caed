package correlate502processor // import "github.com/k8s502/otelcol-k8s502/processor/correlate502processor"

import "github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/kube"

// APIAccess is one kind of request the processor's informers make to the
// API server: verb (list or watch), group, resource, and namespace ("" for
// all namespaces or a cluster-scoped resource).
type APIAccess = kube.Access

// RequiredAPIAccess lists every list and watch the processor makes with
// this configuration (its namespaces), for a pre-flight RBAC check
// (cmd/k8s502-doctor): informers sync even when one of the two verbs is
// denied, so asking the API server is the only way to see it before
// diagnoses go wrong. It is empty for auth_type none.
func (c *Config) RequiredAPIAccess() []APIAccess {
	if c.AuthType == AuthTypeNone {
		return nil
	}
	return kube.Required(c.Namespaces)
}
