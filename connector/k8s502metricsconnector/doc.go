//go:generate mdatagen metadata.yaml

// Package k8s502metricsconnector counts k8s502 records into one cumulative
// metric, k8s502.requests.failed, by target namespace and Service, cause,
// gateway and outcome, so that alerting can run on a metrics backend while the
// records themselves explain each request.
package k8s502metricsconnector // import "github.com/k8s502/otelcol-k8s502/connector/k8s502metricsconnector"
