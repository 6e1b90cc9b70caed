package testotlp

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"testing"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

func export(t *testing.T, b *Backend, path string, ids ...string) int {
	t.Helper()
	return exportEncoded(t, b, "gzip", path, ids...)
}

// encode compresses body as the collector's exporters do for enc.
func encode(t *testing.T, enc string, body []byte) []byte {
	t.Helper()
	var zb bytes.Buffer
	switch enc {
	case "gzip":
		zw := gzip.NewWriter(&zb)
		_, _ = zw.Write(body)
		require.NoError(t, zw.Close())
	case "zstd":
		zw, err := zstd.NewWriter(&zb)
		require.NoError(t, err)
		_, _ = zw.Write(body)
		require.NoError(t, zw.Close())
	case "snappy":
		return s2.EncodeSnappy(nil, body)
	default:
		return body
	}
	return zb.Bytes()
}

func exportEncoded(t *testing.T, b *Backend, enc, path string, ids ...string) int {
	t.Helper()
	ld := plog.NewLogs()
	recs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for _, id := range ids {
		r := recs.AppendEmpty()
		r.Attributes().PutStr(schema.Outcome, "failed")
		if id != "" {
			r.Attributes().PutStr(schema.RequestID, id)
		}
	}
	recs.AppendEmpty().Attributes().PutStr("k8s.event.reason", "BackOff") // not counted
	body, err := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, b.URL()+path, bytes.NewReader(encode(t, enc, body)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-protobuf")
	if enc != "" {
		req.Header.Set("Content-Encoding", enc)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	return resp.StatusCode
}

func TestBackendCountsAndRefuses(t *testing.T) {
	b := Start(t)
	assert.Equal(t, 200, export(t, b, "/v1/logs", "a", "b", ""))
	assert.Equal(t, 200, export(t, b, "/api/logs/insert/opentelemetry/v1/logs", "a"))
	b.Refuse(true)
	assert.Equal(t, 503, export(t, b, "/v1/logs", "c"))
	b.Refuse(false)

	got := b.Tally()
	assert.Equal(t, map[string]int{"a": 2, "b": 1}, got.Counts)
	assert.Equal(t, 1, got.NoID)
	assert.Equal(t, int64(2), got.Accepted)
	assert.Equal(t, int64(1), got.Refused)
	assert.Equal(t, 2, b.Has([]string{"a", "b", "c"}))
}

// The exporters' compression options a test may configure all arrive intact;
// an unknown one is answered 400, not counted.
func TestBackendReadsEachCompression(t *testing.T) {
	b := Start(t)
	for _, enc := range []string{"", "gzip", "zstd", "snappy"} {
		assert.Equal(t, 200, exportEncoded(t, b, enc, "/v1/logs", "id-"+enc), enc)
	}
	assert.Equal(t, 400, exportEncoded(t, b, "br", "/v1/logs", "id-br"))
	assert.Equal(t, map[string]int{"id-": 1, "id-gzip": 1, "id-zstd": 1, "id-snappy": 1}, b.Tally().Counts)
}

// Bytes counts bodies as decoded, Wire as they arrived: the same for an
// uncompressed body, less on the wire for a compressed one.
func TestBackendCountsBytesOnTheWire(t *testing.T) {
	b := Start(t)
	ids := make([]string, 200)
	for i := range ids {
		ids[i] = fmt.Sprintf("request-%04d", i)
	}
	require.Equal(t, 200, exportEncoded(t, b, "", "/v1/logs", ids...))
	plain := b.Tally()
	require.Positive(t, plain.Bytes)
	assert.Equal(t, plain.Bytes, plain.Wire)
	require.Equal(t, 200, exportEncoded(t, b, "gzip", "/v1/logs", ids...))
	got := b.Tally()
	assert.Equal(t, 2*plain.Bytes, got.Bytes)
	assert.Less(t, got.Wire-plain.Wire, plain.Bytes/2)
	assert.Positive(t, got.Wire-plain.Wire)
}
