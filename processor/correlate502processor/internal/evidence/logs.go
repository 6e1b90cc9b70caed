// Package evidence takes Kubernetes state that flows through the collector's
// own pipelines — event and object records from the k8sobjects and
// k8s_events receivers, restart metrics from k8s_cluster — into the state
// store. It never changes the data it reads.
package evidence

import (
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
)

// FromLogs indexes every Kubernetes record in ld and returns counts per
// kind. Records of other kinds are ignored.
func FromLogs(ld plog.Logs, s *cluster.Store) map[string]int {
	counts := map[string]int{}
	for i := 0; i < ld.ResourceLogs().Len(); i++ {
		rl := ld.ResourceLogs().At(i)
		for j := 0; j < rl.ScopeLogs().Len(); j++ {
			lrs := rl.ScopeLogs().At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				if kind := fromRecord(rl.Resource().Attributes(), lrs.At(k), s); kind != "" {
					counts[kind]++
				}
			}
		}
	}
	return counts
}

func fromRecord(res pcommon.Map, lr plog.LogRecord, s *cluster.Store) string {
	seen := lr.ObservedTimestamp().AsTime()
	if lr.ObservedTimestamp() == 0 {
		seen = lr.Timestamp().AsTime()
	}
	if lr.Body().Type() == pcommon.ValueTypeMap {
		// k8sobjects: watch mode wraps the object as {type, object}; pull
		// mode logs the object itself.
		body := lr.Body().Map()
		watchType := ""
		obj := body
		if o, ok := body.Get("object"); ok && o.Type() == pcommon.ValueTypeMap {
			obj = o.Map()
			if t, ok := body.Get("type"); ok {
				watchType = t.AsString()
			}
		}
		return fromObject(obj.AsRaw(), watchType, seen, s)
	}
	if _, ok := lr.Attributes().Get("k8s.event.reason"); ok {
		return fromK8sEventsReceiver(res, lr, s)
	}
	return ""
}

// fromObject decodes one API object and applies the watch verb.
func fromObject(raw map[string]any, watchType string, seen time.Time, s *cluster.Store) string {
	kind, _ := raw["kind"].(string)
	apiVersion, _ := raw["apiVersion"].(string)
	deleted := watchType == "DELETED"
	conv := runtime.DefaultUnstructuredConverter
	switch {
	case kind == "Event" && strings.HasPrefix(apiVersion, "events.k8s.io/"):
		var e eventsv1.Event
		if conv.FromUnstructured(raw, &e) != nil {
			return ""
		}
		s.AddEvent(fromEventsV1(&e))
	case kind == "Event":
		var e corev1.Event
		if conv.FromUnstructured(raw, &e) != nil {
			return ""
		}
		s.AddCoreEvent(&e)
	case kind == "Pod":
		var p corev1.Pod
		if conv.FromUnstructured(raw, &p) != nil {
			return ""
		}
		if deleted {
			s.DeletePod(&p, seen)
		} else {
			s.UpsertPod(&p, seen)
		}
	case kind == "Service":
		var o corev1.Service
		if conv.FromUnstructured(raw, &o) != nil {
			return ""
		}
		if deleted {
			s.DeleteService(&o, seen)
		} else {
			s.UpsertService(&o, seen)
		}
	case kind == "EndpointSlice":
		var o discoveryv1.EndpointSlice
		if conv.FromUnstructured(raw, &o) != nil {
			return ""
		}
		if deleted {
			s.DeleteEndpointSlice(&o, seen)
		} else {
			s.UpsertEndpointSlice(&o, seen)
		}
	case kind == "Deployment":
		var o appsv1.Deployment
		if conv.FromUnstructured(raw, &o) != nil {
			return ""
		}
		if deleted {
			s.DeleteDeployment(&o, seen)
		} else {
			s.UpsertDeployment(&o, seen)
		}
	case kind == "ReplicaSet":
		var o appsv1.ReplicaSet
		if conv.FromUnstructured(raw, &o) != nil {
			return ""
		}
		if deleted {
			s.DeleteReplicaSet(&o, seen)
		} else {
			s.UpsertReplicaSet(&o, seen)
		}
	case kind == "NetworkPolicy":
		var o networkingv1.NetworkPolicy
		if conv.FromUnstructured(raw, &o) != nil {
			return ""
		}
		if deleted {
			s.DeleteNetworkPolicy(&o, seen)
		} else {
			s.UpsertNetworkPolicy(&o, seen)
		}
	case kind == "Namespace":
		var o corev1.Namespace
		if conv.FromUnstructured(raw, &o) != nil {
			return ""
		}
		if deleted {
			s.DeleteNamespace(&o, seen)
		} else {
			s.UpsertNamespace(&o, seen)
		}
	default:
		return ""
	}
	return kind
}

// fromEventsV1 maps an events.k8s.io/v1 Event onto the store's event.
func fromEventsV1(e *eventsv1.Event) cluster.Event {
	at := e.EventTime.Time
	count := int32(1)
	if e.Series != nil {
		count = e.Series.Count
		if e.Series.LastObservedTime.After(at) {
			at = e.Series.LastObservedTime.Time
		}
	}
	if e.DeprecatedLastTimestamp.After(at) {
		at = e.DeprecatedLastTimestamp.Time
	}
	if at.IsZero() {
		at = e.CreationTimestamp.Time
	}
	if e.DeprecatedCount > count {
		count = e.DeprecatedCount
	}
	return cluster.Event{
		Time:      at,
		FirstTime: e.DeprecatedFirstTimestamp.Time,
		Namespace: e.Regarding.Namespace,
		Kind:      e.Regarding.Kind,
		Name:      e.Regarding.Name,
		UID:       string(e.Regarding.UID),
		Type:      e.Type,
		Reason:    e.Reason,
		Message:   e.Note,
		Count:     count,
		Key:       e.Namespace + "/" + e.Name,
	}
}

// fromK8sEventsReceiver reads the k8s_events receiver's record: the message
// in the body, the event's fields in attributes, the involved object in the
// resource.
func fromK8sEventsReceiver(res pcommon.Map, lr plog.LogRecord, s *cluster.Store) string {
	a := lr.Attributes()
	get := func(m pcommon.Map, k string) string {
		if v, ok := m.Get(k); ok {
			return v.AsString()
		}
		return ""
	}
	e := cluster.Event{
		Time:      lr.Timestamp().AsTime(),
		Namespace: get(a, "k8s.namespace.name"),
		Kind:      get(res, "k8s.object.kind"),
		Name:      get(res, "k8s.object.name"),
		UID:       get(res, "k8s.object.uid"),
		Reason:    get(a, "k8s.event.reason"),
		Message:   lr.Body().AsString(),
		Count:     1,
		Type:      "Normal",
	}
	if e.Namespace == "" {
		e.Namespace = get(res, "k8s.namespace.name")
	}
	if v, ok := a.Get("k8s.event.count"); ok && v.Type() == pcommon.ValueTypeInt {
		e.Count = int32(v.Int())
	}
	if lr.SeverityNumber() >= plog.SeverityNumberWarn {
		e.Type = "Warning"
	}
	if t, err := time.Parse(time.RFC3339, get(a, "k8s.event.start_time")); err == nil && e.Time.IsZero() {
		e.Time = t
	}
	if uid := get(a, "k8s.event.uid"); uid != "" {
		e.Key = e.Namespace + "/" + get(a, "k8s.event.name")
	}
	if e.Name == "" || e.Reason == "" {
		return ""
	}
	s.AddEvent(e)
	return "Event"
}
