package correlate502processor // import "github.com/k8s502/otelcol-k8s502/processor/correlate502processor"

import (
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatautil"
	"go.opentelemetry.io/collector/pdata/plog"
)

// merger moves batches into one Logs, grouped by resource and scope: the
// batches of one controller pod held over a second leave as one resource
// with one scope, not one per batch.
type merger struct {
	out    plog.Logs
	scopes map[[16]byte]plog.ScopeLogs
}

func newMerger() *merger {
	return &merger{out: plog.NewLogs(), scopes: map[[16]byte]plog.ScopeLogs{}}
}

// add moves every record of ld into the merged Logs.
func (m *merger) add(ld plog.Logs) {
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			sl := sls.At(j)
			key := pdatautil.Hash(
				pdatautil.WithMap(rl.Resource().Attributes()),
				pdatautil.WithString(rl.SchemaUrl()),
				pdatautil.WithString(sl.Scope().Name()),
				pdatautil.WithString(sl.Scope().Version()),
				pdatautil.WithMap(sl.Scope().Attributes()),
				pdatautil.WithString(sl.SchemaUrl()),
			)
			dst, ok := m.scopes[key]
			if !ok {
				nrl := m.out.ResourceLogs().AppendEmpty()
				rl.Resource().CopyTo(nrl.Resource())
				nrl.SetSchemaUrl(rl.SchemaUrl())
				dst = nrl.ScopeLogs().AppendEmpty()
				sl.Scope().CopyTo(dst.Scope())
				dst.SetSchemaUrl(sl.SchemaUrl())
				m.scopes[key] = dst
			}
			sl.LogRecords().MoveAndAppendTo(dst.LogRecords())
		}
	}
}
