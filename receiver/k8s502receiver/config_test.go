package k8s502receiver

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/stanza/fileconsumer/matcher"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/confmap/xconfmap"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	storageID := component.MustNewIDWithName("file_storage", "k8s502")
	tests := []struct {
		id   component.ID
		want *Config
	}{
		{
			id: component.NewID(metadata.Type),
			want: &Config{
				StartAt:            "end",
				PollInterval:       200 * time.Millisecond,
				MaxConcurrentFiles: 1024,
				MaxLogSize:         1 << 20,
				FingerprintSize:    1000,
				Encoding:           "utf-8-raw",
				Wrapper:            "auto",
				Format:             "ingress-nginx",
				ErrorLogTimezone:   "UTC",
				Statuses:           []int{502, 503, 504},
				RedactQuery:        true,
				Join:               JoinConfig{Window: 3 * time.Minute, Hold: 2 * time.Second, MaxPending: 10000},
			},
		},
		{
			id: component.NewIDWithName(metadata.Type, "custom"),
			want: &Config{
				Criteria: matcher.Criteria{
					Include: []string{"/var/log/pods/edge_gateway-*/nginx/*.log"},
					Exclude: []string{"/var/log/pods/edge_gateway-canary-*/nginx/*.log"},
				},
				StartAt:            "beginning",
				PollInterval:       500 * time.Millisecond,
				MaxConcurrentFiles: 1024,
				MaxLogSize:         256 << 10,
				FingerprintSize:    1000,
				Encoding:           "utf-8-raw",
				StorageID:          &storageID,
				Wrapper:            "cri",
				Format:             "ingress-nginx",
				LogFormat: `escape=json {"time":"$time_iso8601","client":"$remote_addr","request":"$request","status":$status,` +
					`"bytes":$body_bytes_sent,"duration":$request_time,"upstream_name":"$proxy_upstream_name",` +
					`"upstream":"$upstream_addr","upstream_status":"$upstream_status","request_id":"$req_id",` +
					`"namespace":"$namespace","ingress":"$ingress_name"}`,
				VariableAttributes: map[string]string{
					"namespace":    "k8s502.ingress.namespace",
					"ingress_name": "k8s502.ingress.name",
				},
				ErrorLogTimezone: "Europe/Berlin",
				Statuses:         []int{502, 504},
				RedactQuery:      false,
				Join:             JoinConfig{Window: 90 * time.Second, Hold: 500 * time.Millisecond, MaxPending: 2000},
			},
		},
		{
			id: component.NewIDWithName(metadata.Type, "haproxy"),
			want: func() *Config {
				c := NewFactory().CreateDefaultConfig().(*Config)
				c.Format = "haproxy"
				c.StorageID = &storageID
				return c
			}(),
		},
	}
	for _, tt := range tests {
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

// TestFormatDefaults: choosing a format alone points the receiver at that
// controller's pods and its default access-log format.
func TestFormatDefaults(t *testing.T) {
	for _, g := range gateways {
		t.Run(g.Name, func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig().(*Config)
			cfg.Format = g.Name
			if len(g.DefaultInclude) == 0 {
				cfg.Include = []string{"/var/log/nginx/*.log"}
			}
			require.NoError(t, xconfmap.Validate(cfg))
			fc := cfg.fileConsumer()
			assert.Equal(t, withRotated(cfg.include(g)), fc.Include)
			for _, p := range cfg.include(g) {
				assert.Contains(t, fc.Include, p+".*", "files kubelet rotated (and gzipped) before they were read")
			}
			assert.Equal(t, "auto", fc.Compression, "gzipped rotations are read")
			np, err := cfg.parsers(g, time.UTC)
			require.NoError(t, err)
			assert.NotNil(t, np())
		})
	}
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.Format = "f5-nginx-ingress"
	assert.Equal(t, []string{"/var/log/pods/nginx-ingress_*/nginx-ingress/*.log", "/var/log/pods/nginx-ingress_*/nginx-ingress/*.log.*"}, cfg.fileConsumer().Include)
	cfg.Include = []string{"/var/log/pods/edge_*/nginx/*.log"}
	assert.Equal(t, []string{"/var/log/pods/edge_*/nginx/*.log", "/var/log/pods/edge_*/nginx/*.log.*"}, cfg.fileConsumer().Include, "an explicit include wins")
}

func TestValidateRejects(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
		key    string // the message must name it
	}{
		{"no include for plain nginx", func(c *Config) { c.Format = "nginx" }, "include"},
		{"unknown format", func(c *Config) { c.Format = "apache" }, "format"},
		{"haproxy format with an unknown variable", func(c *Config) { c.Format, c.LogFormat = "haproxy", "%ci %ST %zz" }, "log_format"},
		{"traefik has no format string", func(c *Config) { c.Format, c.LogFormat = "traefik", "%ST" }, "log_format"},
		{"envoy format without a response code", func(c *Config) { c.Format, c.LogFormat = "envoy", "[%START_TIME%] %UPSTREAM_HOST%" }, "log_format"},
		{"nginx escaping on haproxy", func(c *Config) { c.Format, c.LogFormatEscape = "haproxy", "json" }, "log_format_escape"},
		{"nginx variables on envoy", func(c *Config) { c.Format, c.VariableAttributes = "envoy", map[string]string{"req_id": "rid"} }, "variable_attributes"},
		{"status above 599", func(c *Config) { c.Statuses = []int{502, 700} }, "statuses"},
		{"status below 100", func(c *Config) { c.Statuses = []int{0} }, "statuses"},
		{"no statuses", func(c *Config) { c.Statuses = nil }, "statuses"},
		{"lone dollar", func(c *Config) { c.LogFormat = `$remote_addr $ $status` }, "log_format"},
		{"unterminated brace", func(c *Config) { c.LogFormat = `$remote_addr ${status` }, "log_format"},
		{"empty brace", func(c *Config) { c.LogFormat = `${} $status` }, "log_format"},
		{"no status variable", func(c *Config) { c.LogFormat = `$remote_addr [$time_local] "$request"` }, "log_format"},
		{"variables touch", func(c *Config) { c.LogFormat = `$remote_addr $status$body_bytes_sent` }, "log_format"},
		{"bad escape prefix", func(c *Config) { c.LogFormat = `escape=yaml $remote_addr $status` }, "log_format"},
		{"bad escape option", func(c *Config) { c.LogFormatEscape = "yaml" }, "log_format_escape"},
		{"unknown wrapper", func(c *Config) { c.Wrapper = "podman" }, "wrapper"},
		{"zero window", func(c *Config) { c.Join.Window = 0 }, "join.window"},
		{"negative hold", func(c *Config) { c.Join.Hold = -time.Second }, "join.hold"},
		{"no pending room", func(c *Config) { c.Join.MaxPending = 0 }, "join.max_pending"},
		{"unknown timezone", func(c *Config) { c.ErrorLogTimezone = "Mars/Olympus_Mons" }, "error_log_timezone"},
		{"variable not in format", func(c *Config) { c.VariableAttributes = map[string]string{"namespace": "k8s502.ingress.namespace"} }, "variable_attributes"},
		{"variable with dollar", func(c *Config) { c.VariableAttributes = map[string]string{"$req_id": "rid"} }, "variable_attributes"},
		{"empty attribute name", func(c *Config) { c.VariableAttributes = map[string]string{"req_id": ""} }, "variable_attributes"},
		{"start_at", func(c *Config) { c.StartAt = "middle" }, "start_at"},
		{"poll_interval", func(c *Config) { c.PollInterval = 0 }, "poll_interval"},
		{"max_log_size", func(c *Config) { c.MaxLogSize = 0 }, "max_log_size"},
		{"encoding", func(c *Config) { c.Encoding = "klingon" }, "encoding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig().(*Config)
			require.NoError(t, xconfmap.Validate(cfg), "the default config must be valid")
			tt.modify(cfg)
			err := xconfmap.Validate(cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.key)
		})
	}
}

// A config that Validate accepts must also build: Start must not be where a
// bad option is first noticed.
func TestValidConfigBuilds(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, "custom").String())
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	require.NoError(t, xconfmap.Validate(cfg))
	_, err = newReceiver(nopSettings(), cfg, nil)
	require.NoError(t, err)
}
