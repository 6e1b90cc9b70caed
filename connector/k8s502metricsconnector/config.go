package k8s502metricsconnector // import "github.com/k8s502/otelcol-k8s502/connector/k8s502metricsconnector"

import (
	"errors"
	"time"

	"go.opentelemetry.io/collector/component"
)

// Config is the k8s502metrics connector's configuration.
type Config struct {
	// Interval is how often the cumulative counts are sent to the metrics
	// pipeline; they are also sent once at shutdown.
	Interval time.Duration `mapstructure:"interval"`
	// MaxSeries bounds the distinct attribute sets kept. Records with a new
	// attribute set beyond it are counted in one overflow series
	// (otel.metric.overflow=true), so memory stays bounded whatever the
	// records carry.
	MaxSeries int `mapstructure:"max_series"`

	// prevent unkeyed literal initialization
	_ struct{}
}

var _ component.Config = (*Config)(nil)

// Validate checks the configuration; every message names the key at fault.
func (c *Config) Validate() error {
	var errs []error
	if c.Interval <= 0 {
		errs = append(errs, errors.New("interval: must be positive"))
	}
	if c.MaxSeries < 1 {
		errs = append(errs, errors.New("max_series: must be at least 1"))
	}
	return errors.Join(errs...)
}
