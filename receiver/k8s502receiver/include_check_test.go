package k8s502receiver

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// A pattern for the wrong namespace is a warning at start naming the
// pattern and the pods the node has; a matching one is not.
func TestStartWarnsOnIncludeMatchingNothing(t *testing.T) {
	root := t.TempDir()
	ctrl := filepath.Join(root, "var", "log", "pods", "nginx-ingress_nginx-ingress-6d9f_1234", "nginx-ingress")
	require.NoError(t, os.MkdirAll(ctrl, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(ctrl, "0.log"), nil, 0o644))
	wrong := filepath.Join(root, "var", "log", "pods", "ingress-nginx_*", "controller", "*.log")
	right := filepath.Join(root, "var", "log", "pods", "nginx-ingress_*", "nginx-ingress", "*.log")

	core, logs := observer.New(zap.WarnLevel)
	set := nopSettings()
	set.Logger = zap.New(core)
	cfg := testConfig(wrong)
	cfg.Include = append(cfg.Include, right)
	r, err := newReceiver(set, cfg, new(consumertest.LogsSink))
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, r.Shutdown(context.Background())) }()

	warned := logs.FilterMessageSnippet("include pattern matches no file").All()
	require.Len(t, warned, 1)
	f := warned[0].ContextMap()
	assert.Equal(t, wrong, f["pattern"])
	assert.Contains(t, f["found"], "nginx-ingress_nginx-ingress-6d9f_1234/nginx-ingress/", "what the node has instead")
}
