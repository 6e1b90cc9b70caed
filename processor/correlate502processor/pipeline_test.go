package correlate502processor

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver"
)

// runDemo replays the demo's real ingress-nginx log through the real
// receiver into the processor loaded with the demo's cluster snapshot, the
// same wiring as `make demo`, and returns what reached the exporter.
func runDemo(t *testing.T) plog.Logs {
	t.Helper()
	logs, err := filepath.Glob("../../examples/demo/var/log/pods/*/controller/0.log")
	require.NoError(t, err)
	require.Len(t, logs, 1)
	dir := t.TempDir()
	podDir := filepath.Join(dir, filepath.Base(filepath.Dir(filepath.Dir(logs[0]))), "controller")
	require.NoError(t, os.MkdirAll(podDir, 0o755))
	data, err := os.ReadFile(logs[0])
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(podDir, "0.log"), data, 0o644))

	sink := new(consumertest.LogsSink)
	pf := NewFactory()
	pcfg := pf.CreateDefaultConfig().(*Config)
	pcfg.AuthType = AuthTypeNone
	pcfg.ClusterSnapshot = "../../examples/demo/cluster-snapshot.yaml"
	pcfg.DecisionWait = 0
	require.NoError(t, pcfg.Validate())
	proc, err := pf.CreateLogs(context.Background(), processortest.NewNopSettings(pf.Type()), pcfg, sink)
	require.NoError(t, err)
	require.NoError(t, proc.Start(context.Background(), componenttest.NewNopHost()))

	rf := k8s502receiver.NewFactory()
	rcfg := rf.CreateDefaultConfig().(*k8s502receiver.Config)
	rcfg.Include = []string{filepath.Join(dir, "*", "controller", "*.log")}
	rcfg.StartAt = "beginning"
	rcfg.PollInterval = 10 * time.Millisecond
	rcv, err := rf.CreateLogs(context.Background(), receivertest.NewNopSettings(rf.Type()), rcfg, proc)
	require.NoError(t, err)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	// The demo log's last failure is the rate-limited burst; the receiver
	// holds failed lines join.hold (2s) for late error lines, then flushes
	// the rest at shutdown.
	time.Sleep(500 * time.Millisecond)
	require.NoError(t, rcv.Shutdown(context.Background()))
	require.NoError(t, proc.Shutdown(context.Background()))
	out := plog.NewLogs()
	for _, l := range sink.AllLogs() {
		l.ResourceLogs().MoveAndAppendTo(out.ResourceLogs())
	}
	return out
}

func TestDemoCauses(t *testing.T) {
	out := runDemo(t)
	type row struct{ upstream, cause, conf, pod string }
	var rows []row
	for i := 0; i < out.ResourceLogs().Len(); i++ {
		sls := out.ResourceLogs().At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				a := lrs.At(k).Attributes()
				rows = append(rows, row{str(a, schema.UpstreamName), str(a, schema.Cause), str(a, schema.CauseConfidence), str(a, schema.TargetPod)})
				if os.Getenv("SHOW") != "" {
					ev, _ := a.Get(schema.Evidence)
					ro, _ := a.Get(schema.RuledOut)
					t.Logf("%s %s/%s pod=%s\n  evidence=%v\n  ruled_out=%v\n  remediation=%s", str(a, schema.UpstreamName), str(a, schema.Cause), str(a, schema.CauseConfidence), str(a, schema.TargetPod), ev.AsRaw(), ro.AsRaw(), str(a, schema.Remediation))
				}
			}
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].upstream < rows[j].upstream })
	for _, r := range rows {
		t.Log(r)
	}
}
