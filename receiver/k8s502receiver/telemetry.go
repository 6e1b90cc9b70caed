package k8s502receiver // import "github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver"

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Attribute sets are built once: the values are a closed set, and building
// a set per Add would allocate on every batch.
var (
	outcomeSets = map[string]metric.AddOption{}
	lineKind    = map[string]metric.AddOption{}
	skipReason  = map[string]metric.AddOption{}
)

func init() {
	for _, v := range []string{"failed", "recovered", "truncated", "unmatched"} {
		outcomeSets[v] = metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", v)))
	}
	for _, v := range []string{"access", "error", "wrapper"} {
		lineKind[v] = metric.WithAttributeSet(attribute.NewSet(attribute.String("line_kind", v)))
	}
	for _, v := range []string{"klog", "notice", "unrelated"} {
		skipReason[v] = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", v)))
	}
}
