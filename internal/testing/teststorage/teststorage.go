// Package teststorage runs the real file_storage extension for tests that
// must survive a restart, and copies its directory the way a killed
// collector leaves it.
package teststorage

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// Host offers extensions to a component, as the collector does.
type Host map[component.ID]component.Component

// GetExtensions implements component.Host.
func (h Host) GetExtensions() map[component.ID]component.Component { return h }

// Start runs file_storage with id on dir and returns a host offering it
// and the function that stops it.
func Start(t testing.TB, id component.ID, dir string) (Host, func()) {
	t.Helper()
	f := filestorage.NewFactory()
	cfg := f.CreateDefaultConfig().(*filestorage.Config)
	cfg.Directory = dir
	set := extension.Settings{ID: id, TelemetrySettings: componenttest.NewNopTelemetrySettings(), BuildInfo: component.NewDefaultBuildInfo()}
	ext, err := f.Create(context.Background(), set, cfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	return Host{id: ext}, func() { require.NoError(t, ext.Shutdown(context.Background())) }
}

// Client runs file_storage on dir and returns the client a component of
// kind and owner (with name) would get, and the function that closes both.
func Client(t testing.TB, dir string, kind component.Kind, owner component.ID, name string) (storage.Client, func()) {
	t.Helper()
	id := component.MustNewID("file_storage")
	host, stop := Start(t, id, dir)
	client, err := host[id].(storage.Extension).GetClient(context.Background(), kind, owner, name)
	require.NoError(t, err)
	return client, func() {
		require.NoError(t, client.Close(context.Background()))
		stop()
	}
}

// KilledCopy copies a storage directory as a killed collector leaves it:
// file_storage writes through the page cache, so what was committed is in
// the file and nothing else is. Tests take the copy while the component
// runs and restart from it, never from a graceful Shutdown.
func KilledCopy(t testing.TB, from string) string {
	t.Helper()
	to := t.TempDir()
	entries, err := os.ReadDir(from)
	require.NoError(t, err)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(to, e.Name()), b, 0o600))
	}
	return to
}
