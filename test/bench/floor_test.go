package bench

import (
	"runtime"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// BenchmarkPdataFloor measures what pdata alone costs per failed request for
// the records k8s502 ships, with none of our code in the loop: a real
// receiver record (the first of the receiver's golden scenarios) copied into
// a batch of 1,000, marshalled for the hold in storage, read back, given the
// processor's judgement (the attributes a judged demo record adds), and
// marshalled again for the exporter. "nohold" skips the storage round trip;
// "brief" leaves out the long texts, as request_detail: brief does.
//
// It is the floor under issue 10's "CPU per 1,000 records" goal: copying a
// template is cheaper than building a record from a log line, and no line is
// read, no rule runs, nothing is written to disk. Report it next to the
// storm numbers (README, "Storms").
func BenchmarkPdataFloor(b *testing.B) {
	res, template, verdict, brief := floorInputs(b)
	const batch = 1000
	for _, c := range []struct {
		name    string
		hold    bool
		verdict pcommon.Map
	}{
		{"full/hold", true, verdict}, {"full/nohold", false, verdict},
		{"brief/hold", true, brief}, {"brief/nohold", false, brief},
	} {
		hold, verdict := c.hold, c.verdict
		b.Run(c.name, func(b *testing.B) {
			var m plog.ProtoMarshaler
			var u plog.ProtoUnmarshaler
			b.ReportAllocs()
			var size int // the last export's bytes
			for b.Loop() {
				ld := plog.NewLogs()
				rl := ld.ResourceLogs().AppendEmpty()
				res.CopyTo(rl.Resource())
				lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
				lrs.EnsureCapacity(batch)
				for range batch {
					template.CopyTo(lrs.AppendEmpty())
				}
				if hold {
					body, err := m.MarshalLogs(ld)
					require.NoError(b, err)
					if ld, err = u.UnmarshalLogs(body); err != nil {
						b.Fatal(err)
					}
					lrs = ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
				}
				for i := range lrs.Len() {
					attrs := lrs.At(i).Attributes()
					verdict.Range(func(k string, v pcommon.Value) bool {
						v.CopyTo(attrs.PutEmpty(k))
						return true
					})
				}
				out, err := m.MarshalLogs(ld)
				require.NoError(b, err)
				size = len(out)
			}
			perRecord(b, batch, size)
		})
	}
}

// BenchmarkVerdictFloor measures the one thing correlate502 must do to every
// record of a storm even when the judgement is shared: write the judgement's
// attributes (those a judged demo record adds) onto a receiver record. The
// records are built with the timer stopped; nothing is marshalled. It is the
// floor under issue 10's "BenchmarkStorm >= 1M records/s" goal, which allows
// 1 µs per record for everything.
func BenchmarkVerdictFloor(b *testing.B) {
	_, template, verdict, brief := floorInputs(b)
	const batch = 1000
	for _, c := range []struct {
		name    string
		verdict pcommon.Map
	}{{"full", verdict}, {"brief", brief}} {
		verdict := c.verdict
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			lrs := plog.NewLogRecordSlice()
			for b.Loop() {
				b.StopTimer()
				lrs = plog.NewLogRecordSlice()
				lrs.EnsureCapacity(batch)
				for range batch {
					template.CopyTo(lrs.AppendEmpty())
				}
				runtime.GC() // the last iteration's records, not this one's writes
				b.StartTimer()
				for i := range lrs.Len() {
					attrs := lrs.At(i).Attributes()
					attrs.EnsureCapacity(attrs.Len() + verdict.Len())
					verdict.Range(func(k string, v pcommon.Value) bool {
						v.CopyTo(attrs.PutEmpty(k))
						return true
					})
				}
			}
			b.ReportMetric(float64(verdict.Len()), "attributes")
			perRecord(b, batch, 0)
		})
	}
}

// floorInputs returns the floors' real records: the first receiver record of
// its golden scenarios with its resource, and the attributes the processor
// adds to a judged demo record, all of them (full) and without the long
// texts, as request_detail: brief leaves them out.
func floorInputs(b *testing.B) (res pcommon.Resource, template plog.LogRecord, full, brief pcommon.Map) {
	in, err := golden.ReadLogs("../../receiver/k8s502receiver/testdata/golden/scenarios.yaml")
	require.NoError(b, err)
	judged, err := golden.ReadLogs("../../processor/correlate502processor/testdata/golden/demo.yaml")
	require.NoError(b, err)
	template = in.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	full = judgedAttributes(judged, template)
	require.Positive(b, full.Len(), "no attribute added by the processor found in its golden output")
	brief = pcommon.NewMap()
	full.CopyTo(brief)
	brief.RemoveIf(func(k string, _ pcommon.Value) bool {
		return k == schema.Evidence || k == schema.RuledOut || k == schema.Remediation
	})
	return in.ResourceLogs().At(0).Resource(), template, full, brief
}

// judgedAttributes returns the attributes the processor added to the first
// judged request record of its golden output: the keys it carries that the
// receiver's record does not.
func judgedAttributes(judged plog.Logs, receiver plog.LogRecord) pcommon.Map {
	out := pcommon.NewMap()
	lr := judged.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	lr.Attributes().Range(func(k string, v pcommon.Value) bool {
		if _, ok := receiver.Attributes().Get(k); !ok {
			v.CopyTo(out.PutEmpty(k))
		}
		return true
	})
	return out
}
