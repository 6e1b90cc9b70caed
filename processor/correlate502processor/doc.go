//go:generate mdatagen metadata.yaml

// Package correlate502processor annotates each k8s502 record with the
// Kubernetes object behind the failed upstream, the probable cause, the
// evidence, what was ruled out, and a remediation — judged against the
// cluster's state and history at the request's own time.
package correlate502processor // import "github.com/k8s502/otelcol-k8s502/processor/correlate502processor"
