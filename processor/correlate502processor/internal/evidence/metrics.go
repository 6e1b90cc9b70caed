package evidence

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
)

// RestartsMetric is k8s_cluster's container restart counter.
const RestartsMetric = "k8s.container.restarts"

// FromMetrics indexes container restart data points as terminations and
// returns how many it read. The store keeps one termination per restart
// count, so the same count reported every scrape is counted once.
func FromMetrics(md pmetric.Metrics, s *cluster.Store) int {
	n := 0
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		rm := md.ResourceMetrics().At(i)
		res := rm.Resource().Attributes()
		for j := 0; j < rm.ScopeMetrics().Len(); j++ {
			ms := rm.ScopeMetrics().At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				if m.Name() != RestartsMetric {
					continue
				}
				var dps pmetric.NumberDataPointSlice
				switch m.Type() {
				case pmetric.MetricTypeGauge:
					dps = m.Gauge().DataPoints()
				case pmetric.MetricTypeSum:
					dps = m.Sum().DataPoints()
				default:
					continue
				}
				for d := 0; d < dps.Len(); d++ {
					if addRestart(res, dps.At(d), s) {
						n++
					}
				}
			}
		}
	}
	return n
}

func addRestart(res pcommon.Map, dp pmetric.NumberDataPoint, s *cluster.Store) bool {
	get := func(k string) string {
		if v, ok := dp.Attributes().Get(k); ok {
			return v.AsString()
		}
		if v, ok := res.Get(k); ok {
			return v.AsString()
		}
		return ""
	}
	count := dp.IntValue()
	if dp.ValueType() == pmetric.NumberDataPointValueTypeDouble {
		count = int64(dp.DoubleValue())
	}
	t := cluster.Termination{
		Namespace:    get("k8s.namespace.name"),
		Pod:          get("k8s.pod.name"),
		Container:    get("k8s.container.name"),
		Reason:       get("k8s.container.status.last_terminated_reason"),
		Seen:         dp.Timestamp().AsTime(),
		RestartCount: int32(count),
	}
	if t.Namespace == "" || t.Pod == "" || count == 0 {
		return false
	}
	s.AddTermination(t)
	return true
}
