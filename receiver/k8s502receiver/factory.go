package k8s502receiver // import "github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver"

import (
	"context"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/stanza/fileconsumer"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/stanza/operator/helper"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/metadata"
)

// NewFactory returns the k8s502 receiver factory.
func NewFactory() receiver.Factory {
	return receiver.NewFactory(
		metadata.Type,
		createDefaultConfig,
		receiver.WithLogs(createLogsReceiver, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	fc := fileconsumer.NewConfig()
	c := &Config{
		StartAt:            "end",
		PollInterval:       fc.PollInterval,
		MaxConcurrentFiles: fc.MaxConcurrentFiles,
		MaxLogSize:         helper.ByteSize(1 << 20),
		FingerprintSize:    fc.FingerprintSize,
		Encoding:           "utf-8-raw",
		Wrapper:            "auto",
		Format:             schema.GatewayIngressNginx,
		ErrorLogTimezone:   "UTC",
		Statuses:           []int{502, 503, 504},
		RedactQuery:        true,
		Join: JoinConfig{
			// ingress-nginx: proxy-next-upstream-tries 3 x proxy-read-timeout 60s.
			Window:     3 * time.Minute,
			Hold:       2 * time.Second,
			MaxPending: 10000,
		},
	}
	return c
}

func createLogsReceiver(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
	return newReceiver(set, cfg.(*Config), next)
}
