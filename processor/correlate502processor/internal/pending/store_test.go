package pending

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

// A held batch is stored compressed and read back as it was; a batch
// written by a version before compression (plain protobuf) still reads.
func TestBatchEncoding(t *testing.T) {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for i := 0; i < 500; i++ {
		lrs.AppendEmpty().Body().SetStr(`10.0.0.1 - - [25/Nov/2026:08:46:52 +0000] "GET /api HTTP/1.1" 502 150 "-" "curl/8" 412 0.012 [shop-inventory-80] [] 10.244.1.7:8080 0 0.012 502`)
	}
	body, err := (&plog.ProtoMarshaler{}).MarshalLogs(ld)
	require.NoError(t, err)
	due := time.Unix(1764060412, 123456789)

	raw := encodeBatch(due, body)
	assert.Less(t, len(raw), len(body)/5, "a storm's repeated records compress")
	gotDue, gotBody, err := decodeBatch(raw)
	require.NoError(t, err)
	assert.True(t, due.Equal(gotDue))
	assert.Equal(t, body, gotBody)

	old := binary.BigEndian.AppendUint64(nil, uint64(due.UnixNano()))
	old = append(old, body...)
	gotDue, gotBody, err = decodeBatch(old)
	require.NoError(t, err)
	assert.True(t, due.Equal(gotDue))
	assert.Equal(t, body, gotBody)

	corrupt := append([]byte(nil), raw[:len(raw)/2]...)
	_, _, err = decodeBatch(corrupt)
	assert.ErrorContains(t, err, "corrupt")
	_, _, err = decodeBatch(raw[:5])
	assert.ErrorContains(t, err, "corrupt")
}
