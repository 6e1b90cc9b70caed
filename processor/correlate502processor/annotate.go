package correlate502processor // import "github.com/k8s502/otelcol-k8s502/processor/correlate502processor"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/diagnose"
)

// factsOf reads what the receiver wrote on the record, in one pass over its
// attributes: a Get per fact scans the ~30 attributes each time, which was
// most of what a judgement reused from its incident cost.
func factsOf(res pcommon.Map, lr plog.LogRecord) diagnose.Facts {
	f := diagnose.Facts{
		Time:                lr.Timestamp().AsTime(),
		ControllerNamespace: str(res, schema.K8sNamespaceName),
		ControllerPod:       str(res, schema.K8sPodName),
	}
	if lr.Timestamp() == 0 {
		f.Time = lr.ObservedTimestamp().AsTime()
	}
	lr.Attributes().Range(func(k string, v pcommon.Value) bool {
		switch k {
		case schema.Origin:
			f.Origin = v.AsString()
		case schema.Outcome:
			f.Outcome = v.AsString()
		case schema.ErrorKind:
			f.ErrorKind = v.AsString()
		case schema.ErrorMessage:
			f.ErrorMessage = v.AsString()
		case schema.ErrorUpstream:
			f.ErrorUpstream = v.AsString()
		case schema.UpstreamName:
			f.UpstreamName = v.AsString()
		case schema.UpstreamServiceNamespace:
			f.Service.Namespace = v.AsString()
		case schema.UpstreamServiceName:
			f.Service.Name = v.AsString()
		case schema.UpstreamServicePort:
			f.Service.Port = v.AsString()
		case schema.Gateway:
			f.Gateway = v.AsString()
		case schema.GatewayFailureSignal:
			f.FailureSignal = v.AsString()
		case schema.ServerAddress:
			f.Host = v.AsString()
		case schema.URLPath:
			f.Path = v.AsString()
		case schema.UpstreamAddresses:
			f.Addresses = strsOf(v)
		case schema.UpstreamStatuses:
			f.Statuses = strsOf(v)
		case schema.HTTPResponseStatusCode:
			if v.Type() == pcommon.ValueTypeInt {
				f.Status = int(v.Int())
			}
		case schema.UpstreamResponseLengths:
			if v.Type() == pcommon.ValueTypeSlice {
				f.ResponseLengths = make([]int64, v.Slice().Len())
				for i := range f.ResponseLengths {
					f.ResponseLengths[i] = v.Slice().At(i).Int()
				}
			}
		case schema.UpstreamResponseTimes:
			if v.Type() == pcommon.ValueTypeSlice {
				f.ResponseTimes = make([]float64, v.Slice().Len())
				for i := range f.ResponseTimes {
					f.ResponseTimes[i] = v.Slice().At(i).Double()
				}
			}
		}
		return true
	})
	return f
}

func str(m pcommon.Map, k string) string {
	if v, ok := m.Get(k); ok {
		return v.AsString()
	}
	return ""
}

func strsOf(v pcommon.Value) []string {
	if v.Type() != pcommon.ValueTypeSlice {
		return nil
	}
	out := make([]string, v.Slice().Len())
	for i := range out {
		out[i] = v.Slice().At(i).AsString()
	}
	return out
}

// annotate writes the diagnosis onto the record; it only adds attributes.
// Without full, the long texts (evidence, ruled out, remediation) are left to
// the record's incident.
func annotate(lr plog.LogRecord, r diagnose.Result, full bool) {
	a := lr.Attributes()
	a.EnsureCapacity(a.Len() + 13) // 9 below, the lists and the incident id
	t := r.Target
	put := func(k, v string) {
		if v != "" {
			a.PutStr(k, v)
		}
	}
	put(schema.TargetNamespace, t.Namespace)
	put(schema.TargetService, t.Service)
	put(schema.TargetPort, t.Port)
	put(schema.TargetPod, t.Pod)
	put(schema.TargetNode, t.Node)
	put(schema.TargetWorkload, t.Workload)
	put(schema.TargetAddress, t.Address)
	a.PutStr(schema.Cause, r.Cause)
	a.PutStr(schema.CauseConfidence, r.Confidence)
	if len(r.Attempts) > 0 {
		pods, causes := a.PutEmptySlice(schema.AttemptPods), a.PutEmptySlice(schema.AttemptCauses)
		for _, at := range r.Attempts {
			pods.AppendEmpty().SetStr(at.Pod)
			causes.AppendEmpty().SetStr(at.Cause)
		}
	}
	if !full {
		return
	}
	putList(a, schema.Evidence, r.Evidence)
	putList(a, schema.RuledOut, r.RuledOut)
	put(schema.Remediation, r.Remediation)
}

func putList(a pcommon.Map, k string, vs []string) {
	s := a.PutEmptySlice(k)
	s.EnsureCapacity(len(vs))
	for _, v := range vs {
		s.AppendEmpty().SetStr(v)
	}
}
