//go:generate mdatagen metadata.yaml

// Package k8s502receiver tails ingress controller logs and emits one OTLP
// log record per request that failed (502/503/504 by default), was rescued
// by a retry, or was cut short by its upstream.
package k8s502receiver // import "github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver"
