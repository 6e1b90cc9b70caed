package k8s502metricsconnector // import "github.com/k8s502/otelcol-k8s502/connector/k8s502metricsconnector"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/consumer"

	"github.com/k8s502/otelcol-k8s502/connector/k8s502metricsconnector/internal/metadata"
)

// NewFactory returns the k8s502metrics connector factory: logs in, metrics out.
func NewFactory() connector.Factory {
	return connector.NewFactory(
		metadata.Type,
		createDefaultConfig,
		connector.WithLogsToMetrics(createLogsToMetrics, metadata.LogsToMetricsStability),
	)
}

func createDefaultConfig() component.Config {
	return &Config{
		Interval:  15 * time.Second,
		MaxSeries: 10000,
	}
}

func createLogsToMetrics(_ context.Context, set connector.Settings, cfg component.Config, next consumer.Metrics) (connector.Logs, error) {
	return newConnector(set, cfg.(*Config), next, time.Now), nil
}
