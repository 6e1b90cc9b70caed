package bench

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"testing"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// BenchmarkExportCompression measures what the exporter's compression costs
// per judged request record, next to marshalling the record at all: a
// storm-shaped export (the processor's judged demo records, 51 real failed
// requests, cycled to 2,048 records as correlate502 releases them) is
// marshalled once, then compressed as otlp_http does for each setting. The
// same records without the judgement are what an agent sends the gateway.
//
// gzip is the exporters' default, at compress/gzip's default level unless
// compression_params.level is set; zstd is klauspost's encoder at the level
// the collector maps level 0 to (fastest); snappy is the block format, here
// S2's Snappy-compatible encoder. The storm replay (make storm) showed gzip's
// default level adding about 40% to the whole collector's CPU per record.
//
//	go test -run '^$' -bench ExportCompression -cpu 1 ./test/bench/
func BenchmarkExportCompression(b *testing.B) {
	judged, err := golden.ReadLogs("../../processor/correlate502processor/testdata/golden/demo.yaml")
	require.NoError(b, err)
	in, err := golden.ReadLogs("../../receiver/k8s502receiver/testdata/golden/scenarios.yaml")
	require.NoError(b, err)
	added := judgedAttributes(judged, in.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0))
	// What an agent sends the gateway: the same records before judgement.
	unjudged := plog.NewLogs()
	judged.CopyTo(unjudged)
	lrs := unjudged.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	for i := range lrs.Len() {
		lrs.At(i).Attributes().RemoveIf(func(k string, _ pcommon.Value) bool {
			_, ok := added.Get(k)
			return ok
		})
	}
	for _, records := range []struct {
		name string
		ld   plog.Logs
	}{{"judged", judged}, {"unjudged", unjudged}} {
		req := plogotlp.NewExportRequestFromLogs(cycled(records.ld, stormBatch))
		body, err := req.MarshalProto()
		require.NoError(b, err)
		b.Run(records.name+"/marshal", func(b *testing.B) {
			for b.Loop() {
				if _, err := req.MarshalProto(); err != nil {
					b.Fatal(err)
				}
			}
			perRecord(b, stormBatch, len(body))
		})
		for _, c := range compressors {
			b.Run(records.name+"/"+c.name, func(b *testing.B) {
				var out bytes.Buffer
				for b.Loop() {
					out.Reset()
					if err := c.compress(&out, body); err != nil {
						b.Fatal(err)
					}
				}
				perRecord(b, stormBatch, out.Len())
			})
		}
	}
}

// stormBatch is how many records correlate502 releases at a time in a storm.
const stormBatch = 2048

var compressors = []struct {
	name     string
	compress func(dst *bytes.Buffer, src []byte) error
}{
	{"gzip/default", gzipLevel(gzip.DefaultCompression)},
	{"gzip/level1", gzipLevel(gzip.BestSpeed)},
	{"zstd/fastest", func(dst *bytes.Buffer, src []byte) error {
		w, err := zstd.NewWriter(dst, zstd.WithEncoderLevel(zstd.SpeedFastest))
		if err != nil {
			return err
		}
		if _, err := w.Write(src); err != nil {
			return err
		}
		return w.Close()
	}},
	{"snappy", func(dst *bytes.Buffer, src []byte) error {
		dst.Write(s2.EncodeSnappy(nil, src))
		return nil
	}},
}

func gzipLevel(level int) func(dst *bytes.Buffer, src []byte) error {
	return func(dst *bytes.Buffer, src []byte) error {
		w, err := gzip.NewWriterLevel(dst, level)
		if err != nil {
			return err
		}
		if _, err := w.Write(src); err != nil {
			return err
		}
		return w.Close()
	}
}

// cycled is one resource's worth of judged's first scope's records, repeated
// in order until there are n, as the storm replay sends them: each copy with
// its own request id, record id and time.
func cycled(judged plog.Logs, n int) plog.Logs {
	src := judged.ResourceLogs().At(0)
	in := src.ScopeLogs().At(0).LogRecords()
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	src.Resource().CopyTo(rl.Resource())
	sl := rl.ScopeLogs().AppendEmpty()
	src.ScopeLogs().At(0).Scope().CopyTo(sl.Scope())
	out := sl.LogRecords()
	out.EnsureCapacity(n)
	for i := range n {
		lr := out.AppendEmpty()
		in.At(i % in.Len()).CopyTo(lr)
		copyNo := i / in.Len()
		if copyNo == 0 {
			continue
		}
		lr.SetTimestamp(lr.Timestamp() + pcommon.Timestamp(copyNo*1000))
		for _, k := range []string{schema.RequestID, schema.RecordID} {
			if v, ok := lr.Attributes().Get(k); ok && len(v.Str()) > 5 {
				v.SetStr(fmt.Sprintf("%05x", copyNo) + v.Str()[5:])
			}
		}
	}
	return ld
}
