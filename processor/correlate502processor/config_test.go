package correlate502processor

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/confmap/xconfmap"

	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	storageID := component.MustNewID("file_storage")
	for _, tt := range []struct {
		id   component.ID
		want *Config
	}{
		{id: component.NewID(metadata.Type), want: createDefaultConfig().(*Config)},
		{
			id: component.NewIDWithName(metadata.Type, "replay"),
			want: &Config{
				AuthType: AuthTypeNone, KubeAPIQPS: 5, KubeAPIBurst: 10,
				ClusterSnapshot: "testdata/snapshot.yaml",
				Lookback:        15 * time.Minute, DecisionWait: 2 * time.Second, MaxPending: 500, DedupeIDs: 200000,
				Incidents: IncidentsConfig{Idle: time.Minute, MaxOpen: 10000}, RequestDetail: RequestDetailFull,
				IngressController: IngressControllerConfig{Namespace: "ingress-nginx", PodLabels: map[string]string{"app.kubernetes.io/name": "ingress-nginx"}},
			},
		},
		{
			id: component.NewIDWithName(metadata.Type, "kubeconfig"),
			want: &Config{
				AuthType: AuthTypeKubeConfig, Context: "prod", KubeAPIQPS: 20, KubeAPIBurst: 40,
				Namespaces: []string{"shop", "payments"},
				Lookback:   10 * time.Minute, DecisionWait: 5 * time.Second, MaxPending: 200000, DedupeIDs: 1000,
				Incidents: IncidentsConfig{Idle: 30 * time.Second, MaxOpen: 500}, RequestDetail: RequestDetailBrief,
				StorageID: &storageID,
			},
		},
	} {
		t.Run(tt.id.String(), func(t *testing.T) {
			cfg := createDefaultConfig()
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
		key    string
	}{
		{"bad auth type", func(c *Config) { c.AuthType = "token" }, "auth_type"},
		{"context without kubeconfig", func(c *Config) { c.Context = "x" }, "context"},
		{"negative qps", func(c *Config) { c.KubeAPIQPS = -1 }, "kube_api_qps"},
		{"negative burst", func(c *Config) { c.KubeAPIBurst = -1 }, "kube_api_burst"},
		{"missing snapshot", func(c *Config) { c.ClusterSnapshot = "testdata/nope.yaml" }, "cluster_snapshot"},
		{"zero lookback", func(c *Config) { c.Lookback = 0 }, "lookback"},
		{"negative wait", func(c *Config) { c.DecisionWait = -time.Second }, "decision_wait"},
		{"wait beyond lookback", func(c *Config) { c.DecisionWait = time.Hour }, "decision_wait"},
		{"zero max pending", func(c *Config) { c.MaxPending = 0 }, "max_pending"},
		{"zero dedupe ids", func(c *Config) { c.DedupeIDs = 0 }, "dedupe_ids"},
		{"zero incident idle", func(c *Config) { c.Incidents.Idle = 0 }, "incidents::idle"},
		{"zero open incidents", func(c *Config) { c.Incidents.MaxOpen = 0 }, "incidents::max_open"},
		{"request detail", func(c *Config) { c.RequestDetail = "some" }, "request_detail"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			tt.mutate(cfg)
			err := cfg.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.key)
		})
	}
}
