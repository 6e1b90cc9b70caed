package cluster

import (
	"sync"
	"unsafe"
	"weak"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// The replicas of one ReplicaSet, StatefulSet revision or DaemonSet revision
// are made from one template, so their stripped containers (ports, probes,
// resources, preStop) are equal: about half of what a stripped pod weighs.
// shareContainers gives equal replicas one slice. The table is keyed by the
// controller's UID and the template hash label, checked for equality (a
// mutating webhook or a vertical autoscaler may make replicas differ), and
// holds its slices weakly: a template no pod uses any more is dropped, as
// the unique package does for strings.

type templateKey struct {
	owner types.UID
	hash  string
}

type templateRef struct {
	first weak.Pointer[corev1.Container]
	n     int
}

var templates = struct {
	sync.Mutex
	m       map[templateKey]templateRef
	sweepAt int
}{m: map[templateKey]templateRef{}, sweepAt: 1024}

// templateHashLabels are the labels controllers put on pods to name the
// template revision they were made from.
var templateHashLabels = []string{"pod-template-hash", "controller-revision-hash"}

// shareContainers returns the slice an equal replica of p already holds,
// else cs, which then becomes the one others share.
func shareContainers(m *metav1.ObjectMeta, cs []corev1.Container) []corev1.Container {
	o := metav1.GetControllerOfNoCopy(m)
	if o == nil || o.UID == "" || len(cs) == 0 {
		return cs
	}
	k := templateKey{owner: o.UID}
	for _, l := range templateHashLabels {
		if h, ok := m.Labels[l]; ok {
			k.hash = h
			break
		}
	}
	templates.Lock()
	defer templates.Unlock()
	if ref, ok := templates.m[k]; ok {
		if first := ref.first.Value(); first != nil {
			shared := unsafe.Slice(first, ref.n)
			if equality.Semantic.DeepEqual(shared, cs) {
				return shared
			}
		}
	}
	templates.m[k] = templateRef{first: weak.Make(&cs[0]), n: len(cs)}
	if len(templates.m) >= templates.sweepAt {
		for k, ref := range templates.m {
			if ref.first.Value() == nil {
				delete(templates.m, k)
			}
		}
		templates.sweepAt = max(1024, 2*len(templates.m))
	}
	return cs
}
