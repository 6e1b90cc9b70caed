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

// fromObject decodes one API object, strips it as the informers' transforms
// do (the store keeps what it is given) and applies the watch verb.
func fromObject(raw map[string]any, watchType string, seen time.Time, s *cluster.Store) string {
	switch watchType {
	case "", "ADDED", "MODIFIED", "DELETED":
	default:
		return "" // BOOKMARK or ERROR: no object state
	}
	kind, _ := raw["kind"].(string)
	apiVersion, _ := raw["apiVersion"].(string)
	meta, _ := raw["metadata"].(map[string]any)
	if name, _ := meta["name"].(string); name == "" {
		return ""
	}
	obj := newObject(kind, apiVersion)
	if obj == nil || runtime.DefaultUnstructuredConverter.FromUnstructured(raw, obj) != nil {
		return ""
	}
	if !s.Apply(cluster.Strip(obj), watchType == "DELETED", seen) {
		return ""
	}
	return kind
}

// newObject returns an empty object of the API type the store keeps for
// kind and apiVersion, or nil. Both Event APIs are read: k8sobjects may
// watch either.
func newObject(kind, apiVersion string) any {
	switch {
	case kind == "Event" && strings.HasPrefix(apiVersion, "events.k8s.io/"):
		return new(eventsv1.Event)
	case kind == "Event" && apiVersion == "v1":
		return new(corev1.Event)
	case kind == "Pod" && apiVersion == "v1":
		return new(corev1.Pod)
	case kind == "Service" && apiVersion == "v1":
		return new(corev1.Service)
	case kind == "EndpointSlice" && apiVersion == "discovery.k8s.io/v1":
		return new(discoveryv1.EndpointSlice)
	case kind == "Deployment" && apiVersion == "apps/v1":
		return new(appsv1.Deployment)
	case kind == "ReplicaSet" && apiVersion == "apps/v1":
		return new(appsv1.ReplicaSet)
	case kind == "NetworkPolicy" && apiVersion == "networking.k8s.io/v1":
		return new(networkingv1.NetworkPolicy)
	case kind == "Namespace" && apiVersion == "v1":
		return new(corev1.Namespace)
	}
	return nil
}

// goTimeString is the layout of time.Time.String, without the monotonic
// clock reading.
const goTimeString = "2006-01-02 15:04:05.999999999 -0700 MST"

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
		Namespace: get(a, "k8s.namespace.name"),
		Kind:      get(res, "k8s.object.kind"),
		Name:      get(res, "k8s.object.name"),
		UID:       get(res, "k8s.object.uid"),
		Reason:    get(a, "k8s.event.reason"),
		Message:   lr.Body().AsString(),
		Count:     1,
		// The receiver copies the event's type into the severity text.
		Type: lr.SeverityText(),
	}
	if e.Type == "" {
		e.Type = "Normal"
		if lr.SeverityNumber() >= plog.SeverityNumberWarn {
			e.Type = "Warning"
		}
	}
	if e.Namespace == "" {
		e.Namespace = get(res, "k8s.namespace.name")
	}
	if v, ok := a.Get("k8s.event.count"); ok && v.Type() == pcommon.ValueTypeInt {
		e.Count = int32(v.Int())
	}
	// The record's time is the event's eventTime, lastTimestamp or
	// firstTimestamp; start_time is the Event object's creation, written
	// with metav1.Time.String (Go's time.Time.String layout).
	if lr.Timestamp() != 0 {
		e.Time = lr.Timestamp().AsTime()
	} else if t, err := time.Parse(goTimeString, get(a, "k8s.event.start_time")); err == nil {
		e.Time = t
	} else if t, err := time.Parse(time.RFC3339, get(a, "k8s.event.start_time")); err == nil {
		e.Time = t
	}
	if e.Time.IsZero() {
		return ""
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
