package correlate502processor // import "github.com/k8s502/otelcol-k8s502/processor/correlate502processor"

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"

	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/metadata"
)

// NewFactory returns the correlate502 processor factory. One processor ID
// used in a logs and a metrics pipeline is one instance: restart metrics
// seen in one pipeline are evidence for records in the other.
func NewFactory() processor.Factory {
	reg := &registry{instances: map[component.ID]*correlator{}, logs: map[component.ID]int{}}
	return processor.NewFactory(
		metadata.Type,
		createDefaultConfig,
		processor.WithLogs(reg.createLogs, metadata.LogsStability),
		processor.WithMetrics(reg.createMetrics, metadata.MetricsStability),
	)
}

func createDefaultConfig() component.Config {
	return &Config{
		AuthType:      AuthTypeServiceAccount,
		KubeAPIQPS:    5,
		KubeAPIBurst:  10,
		Lookback:      10 * time.Minute,
		DecisionWait:  5 * time.Second,
		MaxPending:    200000,
		DedupeIDs:     200000,
		Incidents:     IncidentsConfig{Idle: time.Minute, MaxOpen: 10000},
		RequestDetail: RequestDetailFull,
	}
}

// registry shares one correlator per component ID across pipelines.
type registry struct {
	mu        sync.Mutex
	instances map[component.ID]*correlator
	// logs counts the logs pipelines created per ID: the storage client of
	// each is named by its place, so pipelines never share held batches.
	logs map[component.ID]int
}

func (r *registry) get(set processor.Settings, cfg *Config) (*correlator, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.instances[set.ID]; ok {
		return c, nil
	}
	c, err := newCorrelator(set, cfg, func() {
		r.mu.Lock()
		delete(r.instances, set.ID)
		r.mu.Unlock()
	})
	if err != nil {
		return nil, err
	}
	r.instances[set.ID] = c
	return c, nil
}

func (r *registry) createLogs(_ context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
	c, err := r.get(set, cfg.(*Config))
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	index := r.logs[set.ID]
	r.logs[set.ID]++
	r.mu.Unlock()
	return &logsProcessor{c: c, next: next, index: index}, nil
}

func (r *registry) createMetrics(_ context.Context, set processor.Settings, cfg component.Config, next consumer.Metrics) (processor.Metrics, error) {
	c, err := r.get(set, cfg.(*Config))
	if err != nil {
		return nil, err
	}
	return &metricsProcessor{c: c, next: next}, nil
}
