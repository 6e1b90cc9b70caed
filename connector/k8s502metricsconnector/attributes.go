package k8s502metricsconnector // import "github.com/k8s502/otelcol-k8s502/connector/k8s502metricsconnector"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/k8s502/otelcol-k8s502/connector/k8s502metricsconnector/internal/series"
	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// The metric this connector emits; README.md § Output describes it.
const (
	metricName        = "k8s502.requests.failed"
	metricUnit        = "{request}"
	metricDescription = "k8s502 records (requests that failed, and those a retry rescued, by k8s502.outcome) since the connector started."

	// attrService is the semantic-convention name of a Kubernetes Service
	// (development status). It is not in internal/schema because no record
	// carries it: the records say k8s502.target.service.
	attrService = "k8s.service.name"
	// incidentEvent is the event name of the processor's incident records:
	// one per cause and target over many requests, so never a request to
	// count, whatever attributes it shares with the request records.
	incidentEvent = schema.EventNameIncident
	// attrOverflow marks the series that counts records whose attribute set
	// did not fit in max_series, named as the OpenTelemetry SDKs name it.
	attrOverflow = "otel.metric.overflow"
)

// keyOf reads the metric attributes off a record; ok is false for a record
// that is not a k8s502 record (no k8s502.outcome). Namespace and Service come
// as a pair from one source: the processor's target when it named one, else
// the Service the gateway named itself. A missing value is the empty string.
func keyOf(a pcommon.Map) (k series.Key, ok bool) {
	outcome, ok := a.Get(schema.Outcome)
	if !ok {
		return series.Key{}, false
	}
	k = series.Key{
		Outcome: outcome.AsString(),
		Cause:   str(a, schema.Cause),
		Gateway: str(a, schema.Gateway),
	}
	if ns := str(a, schema.TargetNamespace); ns != "" {
		k.Namespace, k.Service = ns, str(a, schema.TargetService)
	} else {
		k.Namespace, k.Service = str(a, schema.UpstreamServiceNamespace), str(a, schema.UpstreamServiceName)
	}
	return k, true
}

// str does not allocate for string values, which is all the receiver and
// processor write.
func str(a pcommon.Map, key string) string {
	if v, ok := a.Get(key); ok {
		return v.AsString()
	}
	return ""
}

// point describes where the data points of one emission come from.
type point struct {
	resource pcommon.Resource
	scope    string
	version  string
	start    pcommon.Timestamp
	now      pcommon.Timestamp
}

// buildMetrics turns a snapshot into one cumulative monotonic Sum.
func buildMetrics(s series.Snapshot, p point) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	p.resource.CopyTo(rm.Resource())
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName(p.scope)
	sm.Scope().SetVersion(p.version)
	m := sm.Metrics().AppendEmpty()
	m.SetName(metricName)
	m.SetUnit(metricUnit)
	m.SetDescription(metricDescription)
	sum := m.SetEmptySum()
	sum.SetIsMonotonic(true)
	sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	dps := sum.DataPoints()
	dps.EnsureCapacity(len(s.Keys) + 1)
	for i, k := range s.Keys {
		dp := dps.AppendEmpty()
		dp.SetStartTimestamp(p.start)
		dp.SetTimestamp(p.now)
		dp.SetIntValue(s.Counts[i])
		a := dp.Attributes()
		a.EnsureCapacity(5)
		a.PutStr(schema.K8sNamespaceName, k.Namespace)
		a.PutStr(attrService, k.Service)
		a.PutStr(schema.Cause, k.Cause)
		a.PutStr(schema.Gateway, k.Gateway)
		a.PutStr(schema.Outcome, k.Outcome)
	}
	if s.Overflow > 0 {
		dp := dps.AppendEmpty()
		dp.SetStartTimestamp(p.start)
		dp.SetTimestamp(p.now)
		dp.SetIntValue(s.Overflow)
		dp.Attributes().PutBool(attrOverflow, true)
	}
	return md
}
