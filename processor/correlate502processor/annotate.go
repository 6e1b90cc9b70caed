package correlate502processor // import "github.com/k8s502/otelcol-k8s502/processor/correlate502processor"

import (
	"slices"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/diagnose"
)

// readFacts reads what the receiver wrote on the record into f, in one pass
// over its attributes (a Get per fact scans the ~30 attributes each time,
// which was most of what a judgement reused from its incident cost), reusing
// the arrays of f's slices: judgeAll reads every record into the same Facts,
// and four small slices per record were most of what a record reusing its
// incident's judgement allocated.
// Whatever keeps the facts beyond the record must take ownFacts of them. (A
// record without one of the lists drops its array; the next one allocates
// again, as before.)
func readFacts(f *diagnose.Facts, res pcommon.Map, lr plog.LogRecord) {
	addrs, statuses := f.Addresses[:0], f.Statuses[:0]
	lengths, times := f.ResponseLengths[:0], f.ResponseTimes[:0]
	*f = diagnose.Facts{
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
			f.Addresses = appendValues(addrs, v, pcommon.Value.AsString)
		case schema.UpstreamStatuses:
			f.Statuses = appendValues(statuses, v, pcommon.Value.AsString)
		case schema.HTTPResponseStatusCode:
			if v.Type() == pcommon.ValueTypeInt {
				f.Status = int(v.Int())
			}
		case schema.UpstreamResponseLengths:
			f.ResponseLengths = appendValues(lengths, v, pcommon.Value.Int)
		case schema.UpstreamResponseTimes:
			f.ResponseTimes = appendValues(times, v, pcommon.Value.Double)
		}
		return true
	})
}

func str(m pcommon.Map, k string) string {
	if v, ok := m.Get(k); ok {
		return v.AsString()
	}
	return ""
}

// appendValues appends the values of the slice v, each read with value, to
// b; it returns nil when v is not a slice and a non-nil slice when it is,
// even an empty one, as make did before the arrays were reused.
func appendValues[T any](b []T, v pcommon.Value, value func(pcommon.Value) T) []T {
	if v.Type() != pcommon.ValueTypeSlice {
		return nil
	}
	if b == nil {
		b = []T{}
	}
	for i := 0; i < v.Slice().Len(); i++ {
		b = append(b, value(v.Slice().At(i)))
	}
	return b
}

// ownFacts is f with slices of its own, safe to keep after the next
// readFacts into f.
func ownFacts(f diagnose.Facts) diagnose.Facts {
	f.Addresses = slices.Clone(f.Addresses)
	f.Statuses = slices.Clone(f.Statuses)
	f.ResponseLengths = slices.Clone(f.ResponseLengths)
	f.ResponseTimes = slices.Clone(f.ResponseTimes)
	return f
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
