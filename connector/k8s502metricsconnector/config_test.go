package k8s502metricsconnector

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/confmap/xconfmap"

	"github.com/k8s502/otelcol-k8s502/connector/k8s502metricsconnector/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	for _, tt := range []struct {
		id   component.ID
		want *Config
	}{
		{id: component.NewID(metadata.Type), want: &Config{Interval: 15 * time.Second, MaxSeries: 10000}},
		{id: component.NewIDWithName(metadata.Type, "fast"), want: &Config{Interval: 5 * time.Second, MaxSeries: 10000}},
		{id: component.NewIDWithName(metadata.Type, "small"), want: &Config{Interval: time.Minute, MaxSeries: 50}},
	} {
		t.Run(tt.id.String(), func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig()
			sub, err := cm.Sub(tt.id.String())
			require.NoError(t, err)
			require.NoError(t, sub.Unmarshal(cfg))
			require.NoError(t, xconfmap.Validate(cfg))
			assert.Equal(t, tt.want, cfg)
		})
	}
}

func TestValidateNamesTheKey(t *testing.T) {
	for _, tt := range []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"zero interval", func(c *Config) { c.Interval = 0 }, "interval: must be positive"},
		{"negative interval", func(c *Config) { c.Interval = -time.Second }, "interval: must be positive"},
		{"zero max_series", func(c *Config) { c.MaxSeries = 0 }, "max_series: must be at least 1"},
		{"negative max_series", func(c *Config) { c.MaxSeries = -5 }, "max_series: must be at least 1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			tt.mutate(cfg)
			assert.EqualError(t, cfg.Validate(), tt.want)
		})
	}
	t.Run("both", func(t *testing.T) {
		cfg := &Config{}
		err := xconfmap.Validate(cfg)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "interval: must be positive")
		assert.Contains(t, err.Error(), "max_series: must be at least 1")
	})
	t.Run("defaults are valid", func(t *testing.T) {
		assert.NoError(t, createDefaultConfig().(*Config).Validate())
	})
}

func TestValidateDoesNotMutate(t *testing.T) {
	cfg := &Config{Interval: -1, MaxSeries: 0}
	_ = cfg.Validate()
	assert.Equal(t, &Config{Interval: -1, MaxSeries: 0}, cfg)
}
