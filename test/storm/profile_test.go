//go:build storm

package storm

import (
	"context"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/k8s502/otelcol-k8s502/internal/testing/teststorage"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver"
)

// TestProfileInProcess runs the storm through the receiver and processor in
// this process, marshalling what comes out as the exporter would, under the
// CPU profiler (K8S502_STORM_PROFILE names the output file).
func TestProfileInProcess(t *testing.T) {
	out := os.Getenv("K8S502_STORM_PROFILE")
	if out == "" {
		t.Skip("K8S502_STORM_PROFILE not set")
	}
	logs := writeStorm(t, t.TempDir(), copies())
	var n atomic.Int64
	var bytes atomic.Int64
	sink, err := consumer.NewLogs(func(_ context.Context, ld plog.Logs) error {
		b, err := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
		bytes.Add(int64(len(b)))
		n.Add(int64(ld.LogRecordCount()))
		return err
	})
	require.NoError(t, err)
	pf := correlate502processor.NewFactory()
	pcfg := pf.CreateDefaultConfig().(*correlate502processor.Config)
	pcfg.AuthType = "none"
	pcfg.ClusterSnapshot, _ = filepath.Abs("../../examples/demo/cluster-snapshot.yaml")
	pcfg.DecisionWait = time.Second
	var host component.Host = componenttest.NewNopHost()
	if os.Getenv("K8S502_STORM_PROFILE_STORAGE") != "" { // as shipped: the queue in file_storage
		storageID := component.MustNewID("file_storage")
		h, stop := teststorage.Start(t, storageID, t.TempDir())
		defer stop()
		host, pcfg.StorageID = h, &storageID
	}
	proc, err := pf.CreateLogs(context.Background(), processortest.NewNopSettings(pf.Type()), pcfg, sink)
	require.NoError(t, err)
	require.NoError(t, proc.Start(context.Background(), host))
	rf := k8s502receiver.NewFactory()
	rcfg := rf.CreateDefaultConfig().(*k8s502receiver.Config)
	rcfg.Include = []string{filepath.Join(logs, "*", "controller", "*.log")}
	rcfg.StartAt = "beginning"
	f, err := os.Create(out)
	require.NoError(t, err)
	require.NoError(t, pprof.StartCPUProfile(f))
	start := time.Now()
	rcv, err := rf.CreateLogs(context.Background(), receivertest.NewNopSettings(rf.Type()), rcfg, proc)
	require.NoError(t, err)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	want := int64(copies() * 51)
	require.Eventually(t, func() bool { return n.Load() >= want }, 3*time.Minute, 50*time.Millisecond)
	pprof.StopCPUProfile()
	t.Logf("%d records in %s, %d bytes marshalled (%d per record)", n.Load(), time.Since(start), bytes.Load(), bytes.Load()/n.Load())
	require.NoError(t, rcv.Shutdown(context.Background()))
	require.NoError(t, proc.Shutdown(context.Background()))
}
