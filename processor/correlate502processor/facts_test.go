package correlate502processor

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/diagnose"
)

// factsOf is a record's facts read into a Facts of their own, as the tests
// and benchmarks judge single records.
func factsOf(res pcommon.Map, lr plog.LogRecord) diagnose.Facts {
	var f diagnose.Facts
	readFacts(&f, res, lr)
	return f
}

// factsRecord is a record with the given upstream addresses and statuses
// (none when nil) and, when kind is set, an error kind and response times.
func factsRecord(at time.Time, addrs []string, kind string) plog.LogRecord {
	lr := plog.NewLogRecord()
	lr.SetTimestamp(pcommon.NewTimestampFromTime(at))
	a := lr.Attributes()
	a.PutStr(schema.Outcome, schema.OutcomeFailed)
	a.PutInt(schema.HTTPResponseStatusCode, 502)
	if addrs != nil {
		as, ss := a.PutEmptySlice(schema.UpstreamAddresses), a.PutEmptySlice(schema.UpstreamStatuses)
		ls := a.PutEmptySlice(schema.UpstreamResponseLengths)
		for _, addr := range addrs {
			as.AppendEmpty().SetStr(addr)
			ss.AppendEmpty().SetStr("502")
			ls.AppendEmpty().SetInt(0)
		}
	}
	if kind != "" {
		a.PutStr(schema.ErrorKind, kind)
		a.PutEmptySlice(schema.UpstreamResponseTimes).AppendEmpty().SetDouble(0.5)
	}
	return lr
}

// readFacts reuses the slices of the Facts it reads into: every record must
// read exactly as factsOf reads it (nothing left of the record before, an
// absent list nil, an empty one empty), and ownFacts must keep a record's
// facts intact while the next record is read, as a kept judgement needs.
func TestReadFactsReuse(t *testing.T) {
	res := pcommon.NewMap()
	res.PutStr(schema.K8sPodName, "gw-1")
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	first := factsRecord(t0, []string{"10.0.0.1:80", "10.0.0.2:80"}, "connect_refused")
	records := []plog.LogRecord{
		factsRecord(t0.Add(time.Second), []string{"10.0.0.3:80", "10.0.0.4:80"}, ""),
		factsRecord(t0.Add(2*time.Second), nil, "timeout"),
		factsRecord(t0.Add(3*time.Second), []string{}, ""),
	}

	f, kept := factsOf(res, first), factsOf(res, first)
	readFacts(&f, res, first)
	assert.Equal(t, kept, f)
	own := ownFacts(f)
	for _, lr := range records {
		readFacts(&f, res, lr)
		assert.Equal(t, factsOf(res, lr), f)
		assert.Equal(t, kept, own, "the owned facts changed when the next record was read")
	}
	// The last record's lists are there but empty: empty, not absent.
	assert.NotNil(t, f.Addresses)
	assert.NotNil(t, f.Statuses)
	assert.NotNil(t, f.ResponseLengths)
	assert.Empty(t, f.Addresses)
}
