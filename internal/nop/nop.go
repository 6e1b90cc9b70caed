// Package nop holds the do-nothing collector parts that production code
// needs outside a running collector: the receiver's Validate builds a
// fileconsumer manager it never starts, and k8s502-doctor starts one
// exporter on its own. componenttest has the same values, but it is a test
// package and pulls test-only dependencies into the binaries.
package nop

import (
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/zap"
)

// Telemetry discards logs, metrics and traces.
func Telemetry() component.TelemetrySettings {
	return component.TelemetrySettings{
		Logger:         zap.NewNop(),
		TracerProvider: tracenoop.NewTracerProvider(),
		MeterProvider:  metricnoop.NewMeterProvider(),
		Resource:       pcommon.NewResource(),
	}
}

// Host is a host without extensions.
type Host struct{}

// GetExtensions reports no extensions.
func (Host) GetExtensions() map[component.ID]component.Component { return nil }
