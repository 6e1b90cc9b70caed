package correlate502processor // import "github.com/k8s502/otelcol-k8s502/processor/correlate502processor"

import (
	"errors"
	"fmt"
	"os"
	"time"

	"go.opentelemetry.io/collector/component"
)

// Auth types, as in the contrib Kubernetes components.
const (
	AuthTypeNone           = "none"
	AuthTypeServiceAccount = "serviceAccount"
	AuthTypeKubeConfig     = "kubeConfig"
)

// Config is the correlate502 processor's configuration.
type Config struct {
	// AuthType is how to reach the API server: none (no cluster: snapshot
	// and pipeline evidence only), serviceAccount (in-cluster) or kubeConfig.
	AuthType string `mapstructure:"auth_type"`
	// Context selects a kubeconfig context (auth_type kubeConfig).
	Context      string  `mapstructure:"context"`
	KubeAPIQPS   float32 `mapstructure:"kube_api_qps"`
	KubeAPIBurst int     `mapstructure:"kube_api_burst"`
	// Namespaces limits the watch; empty watches all namespaces.
	Namespaces []string `mapstructure:"namespaces"`

	// ClusterSnapshot is a file written by `kubectl get pods,services,
	// endpointslices,events,deployments,replicasets,networkpolicies,
	// namespaces -A -o yaml` (YAML or JSON), loaded at start.
	ClusterSnapshot string `mapstructure:"cluster_snapshot"`

	// Lookback is how long history is kept and how far before a request
	// evidence may lie.
	Lookback time.Duration `mapstructure:"lookback"`
	// DecisionWait holds each record this long before judging it, so
	// evidence recorded just after the failure still counts.
	DecisionWait time.Duration `mapstructure:"decision_wait"`
	// MaxPending bounds the records waiting; beyond it new records are
	// refused with a retryable error (the sender slows down), never released
	// unjudged.
	MaxPending int `mapstructure:"max_pending"`

	// StorageID names a storage extension (file_storage) where waiting
	// records are kept, so a killed collector judges them after restart,
	// and the state store's history, so it judges them as it would have
	// before (history.go). Without it both are only in memory.
	StorageID *component.ID `mapstructure:"storage"`
	// DedupeIDs is how many identities (k8s502.record.id) of released
	// records are remembered to drop a batch sent twice.
	DedupeIDs int `mapstructure:"dedupe_ids"`

	// Incidents groups judged requests into incident records.
	Incidents IncidentsConfig `mapstructure:"incidents"`
	// RequestDetail is "full" (every request record carries the evidence,
	// what was ruled out and the remediation) or "brief" (only cause,
	// confidence and target; the long texts are on the incident record).
	RequestDetail string `mapstructure:"request_detail"`

	// IngressController identifies the controller's pods for NetworkPolicy
	// evaluation when the records' resource attributes do not.
	IngressController IngressControllerConfig `mapstructure:"ingress_controller"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// Request detail levels.
const (
	RequestDetailFull  = "full"
	RequestDetailBrief = "brief"
)

// IncidentsConfig bounds incident tracking.
type IncidentsConfig struct {
	// Idle closes an incident after this long without a failed request.
	Idle time.Duration `mapstructure:"idle"`
	// MaxOpen bounds open incidents; beyond it the one idle the longest is
	// closed early.
	MaxOpen int `mapstructure:"max_open"`
}

// IngressControllerConfig identifies the ingress controller's pods.
type IngressControllerConfig struct {
	Namespace string            `mapstructure:"namespace"`
	PodLabels map[string]string `mapstructure:"pod_labels"`
}

var _ component.Config = (*Config)(nil)

// Validate checks the configuration; every message names the key at fault.
func (c *Config) Validate() error {
	var errs []error
	switch c.AuthType {
	case AuthTypeNone, AuthTypeServiceAccount, AuthTypeKubeConfig:
	default:
		errs = append(errs, fmt.Errorf("auth_type: %q is not one of none, serviceAccount, kubeConfig", c.AuthType))
	}
	if c.Context != "" && c.AuthType != AuthTypeKubeConfig {
		errs = append(errs, errors.New("context: only applies to auth_type kubeConfig"))
	}
	if c.KubeAPIQPS < 0 {
		errs = append(errs, errors.New("kube_api_qps: must not be negative"))
	}
	if c.KubeAPIBurst < 0 {
		errs = append(errs, errors.New("kube_api_burst: must not be negative"))
	}
	if c.ClusterSnapshot != "" {
		if _, err := os.Stat(c.ClusterSnapshot); err != nil {
			errs = append(errs, fmt.Errorf("cluster_snapshot: %w", err))
		}
	}
	if c.Lookback <= 0 {
		errs = append(errs, errors.New("lookback: must be positive"))
	}
	if c.DecisionWait < 0 {
		errs = append(errs, errors.New("decision_wait: must not be negative"))
	}
	if c.DecisionWait > c.Lookback {
		errs = append(errs, errors.New("decision_wait: must not exceed lookback"))
	}
	if c.MaxPending < 1 {
		errs = append(errs, errors.New("max_pending: must be at least 1"))
	}
	if c.Incidents.Idle <= 0 {
		errs = append(errs, errors.New("incidents::idle: must be positive"))
	}
	if c.Incidents.MaxOpen < 1 {
		errs = append(errs, errors.New("incidents::max_open: must be at least 1"))
	}
	switch c.RequestDetail {
	case RequestDetailFull, RequestDetailBrief:
	default:
		errs = append(errs, fmt.Errorf("request_detail: %q is not one of full, brief", c.RequestDetail))
	}
	if c.DedupeIDs < 1 {
		errs = append(errs, errors.New("dedupe_ids: must be at least 1"))
	}
	return errors.Join(errs...)
}
