package correlate502processor // import "github.com/k8s502/otelcol-k8s502/processor/correlate502processor"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/diagnose"
)

// factsOf reads what the receiver wrote on the record.
func factsOf(res pcommon.Map, lr plog.LogRecord) diagnose.Facts {
	a := lr.Attributes()
	f := diagnose.Facts{
		Time:          lr.Timestamp().AsTime(),
		Origin:        str(a, schema.Origin),
		Outcome:       str(a, schema.Outcome),
		ErrorKind:     str(a, schema.ErrorKind),
		ErrorMessage:  str(a, schema.ErrorMessage),
		ErrorUpstream: str(a, schema.ErrorUpstream),
		UpstreamName:  str(a, schema.UpstreamName),
		Service: diagnose.ServiceRef{
			Namespace: str(a, schema.UpstreamServiceNamespace),
			Name:      str(a, schema.UpstreamServiceName),
			Port:      str(a, schema.UpstreamServicePort),
		},
		Gateway:             str(a, schema.Gateway),
		FailureSignal:       str(a, schema.GatewayFailureSignal),
		Host:                str(a, schema.ServerAddress),
		Path:                str(a, schema.URLPath),
		Addresses:           strs(a, schema.UpstreamAddresses),
		Statuses:            strs(a, schema.UpstreamStatuses),
		ControllerNamespace: str(res, schema.K8sNamespaceName),
		ControllerPod:       str(res, schema.K8sPodName),
	}
	if lr.Timestamp() == 0 {
		f.Time = lr.ObservedTimestamp().AsTime()
	}
	if v, ok := a.Get(schema.HTTPResponseStatusCode); ok && v.Type() == pcommon.ValueTypeInt {
		f.Status = int(v.Int())
	}
	if v, ok := a.Get(schema.UpstreamResponseTimes); ok && v.Type() == pcommon.ValueTypeSlice {
		for i := 0; i < v.Slice().Len(); i++ {
			f.ResponseTimes = append(f.ResponseTimes, v.Slice().At(i).Double())
		}
	}
	return f
}

func str(m pcommon.Map, k string) string {
	if v, ok := m.Get(k); ok {
		return v.AsString()
	}
	return ""
}

func strs(m pcommon.Map, k string) []string {
	v, ok := m.Get(k)
	if !ok || v.Type() != pcommon.ValueTypeSlice {
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
