//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testupstream"
)

// What the labeled suite's controllers and kubelets write besides pod
// statuses: EndpointSlices, Events, deletions, scaling and rollouts; and
// the dump an operator takes after the incident.

// syncSlice writes a's EndpointSlice as the EndpointSlice controller keeps
// it: every pod whose ep is set, at its slice address, on the port the
// Service's targetPort names.
func (s *lsuite) syncSlice(a *lapp) {
	ctx := s.t.Context()
	port := s.port
	if tp := a.svc.Spec.Ports[0].TargetPort; tp.Type == intstr.Int {
		port = tp.IntVal
	}
	name, proto, node := "http", corev1.ProtocolTCP, "node-a"
	es := a.slice
	if es == nil {
		es = &discoveryv1.EndpointSlice{
			ObjectMeta: metav1.ObjectMeta{GenerateName: a.name + "-", Namespace: scenarioNS, Labels: map[string]string{
				discoveryv1.LabelServiceName: a.name, discoveryv1.LabelManagedBy: "endpointslice-controller.k8s.io",
			}},
			AddressType: discoveryv1.AddressTypeIPv4,
		}
	}
	es.Endpoints, es.Ports = nil, nil
	for _, p := range a.pods {
		if p.ep == nil {
			continue
		}
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{
			Addresses: []string{p.sliceIP}, Conditions: *p.ep, NodeName: &node,
			TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: scenarioNS, Name: p.name, UID: p.obj.UID},
		})
	}
	if len(es.Endpoints) > 0 {
		es.Ports = []discoveryv1.EndpointPort{{Name: &name, Port: &port, Protocol: &proto}}
	}
	var err error
	if a.slice == nil {
		a.slice, err = s.cs.DiscoveryV1().EndpointSlices(scenarioNS).Create(ctx, es, metav1.CreateOptions{})
	} else {
		a.slice, err = s.cs.DiscoveryV1().EndpointSlices(scenarioNS).Update(ctx, es, metav1.UpdateOptions{})
	}
	require.NoError(s.t, err, "EndpointSlice of %s", a.name)
}

// event records a core/v1 Event about obj (kind Pod, ReplicaSet,
// Deployment) from component, first seen at first and last at last.
func (s *lsuite) event(kind, name string, uid types.UID, reason, message, component string, first, last time.Time, count int32) *corev1.Event {
	typ := corev1.EventTypeNormal
	if reason == "BackOff" || reason == "Unhealthy" {
		typ = corev1.EventTypeWarning
	}
	ref := corev1.ObjectReference{Kind: kind, Namespace: scenarioNS, Name: name, UID: uid}
	if kind == "Pod" {
		ref.APIVersion = "v1"
	} else {
		ref.APIVersion = "apps/v1"
	}
	ev, err := s.cs.CoreV1().Events(scenarioNS).Create(s.t.Context(), &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: fmt.Sprintf("%s.%x", name, time.Now().UnixNano()), Namespace: scenarioNS},
		InvolvedObject: ref, Reason: reason, Message: message, Type: typ,
		Source:         corev1.EventSource{Component: component, Host: "node-a"},
		FirstTimestamp: metav1.NewTime(first), LastTimestamp: metav1.NewTime(last), Count: count,
	}, metav1.CreateOptions{})
	require.NoError(s.t, err, "event %s on %s %s", reason, kind, name)
	return ev
}

// repeat counts an event again (a probe that keeps failing) at at.
func (s *lsuite) repeat(ev *corev1.Event, at time.Time, count int32) {
	ev.LastTimestamp, ev.Count = metav1.NewTime(at), count
	_, err := s.cs.CoreV1().Events(scenarioNS).Update(s.t.Context(), ev, metav1.UpdateOptions{})
	require.NoError(s.t, err)
}

// podEvent is event on a pod, from its kubelet, seen once at at.
func (s *lsuite) podEvent(p *lpod, reason, message string, at time.Time) *corev1.Event {
	return s.event("Pod", p.name, p.obj.UID, reason, message, "kubelet", at, at, 1)
}

// deleteGracefully asks for the pod's deletion, as a ReplicaSet scaling
// down does: it stays, with a deletionTimestamp, until its kubelet
// confirms; the kubelet then sends SIGTERM (Killing).
func (s *lsuite) deleteGracefully(p *lpod, at time.Time) {
	ctx := s.t.Context()
	grace := int64(30)
	require.NoError(s.t, s.cs.CoreV1().Pods(scenarioNS).Delete(ctx, p.name, metav1.DeleteOptions{GracePeriodSeconds: &grace}))
	obj, err := s.cs.CoreV1().Pods(scenarioNS).Get(ctx, p.name, metav1.GetOptions{})
	require.NoError(s.t, err)
	require.NotNil(s.t, obj.DeletionTimestamp, "pod %s was deleted at once, not gracefully", p.name)
	p.obj = obj
	s.podEvent(p, "Killing", "Stopping container "+p.obj.Spec.Containers[0].Name, at)
	p.ep = endpointTerminating()
}

// removed is the kubelet confirming a deletion: the pod is gone from the
// API and from its Service's slice.
func (s *lsuite) removed(p *lpod) {
	zero := int64(0)
	require.NoError(s.t, s.cs.CoreV1().Pods(scenarioNS).Delete(s.t.Context(), p.name, metav1.DeleteOptions{GracePeriodSeconds: &zero}))
	p.ep = nil
}

// removeTerminating is the kubelets confirming every deletion asked for
// in a: those pods are gone, only their events remain.
func (s *lsuite) removeTerminating(a *lapp) {
	for _, p := range a.pods {
		if p.ep != nil && p.ep.Terminating != nil && *p.ep.Terminating {
			s.removed(p)
		}
	}
	s.syncSlice(a)
}

// replicas is a user scaling a's Deployment.
func (s *lsuite) replicas(a *lapp, n int32) {
	a.deploy.Spec.Replicas = &n
	d, err := s.cs.AppsV1().Deployments(scenarioNS).Update(s.t.Context(), a.deploy, metav1.UpdateOptions{})
	require.NoError(s.t, err)
	a.deploy = d
}

// scaleDown is the Deployment controller scaling rs, a ReplicaSet of a,
// from its size to replicas, and the ReplicaSet controller deleting the
// pods it drops, at at.
func (s *lsuite) scaleDown(a *lapp, rs *appsv1.ReplicaSet, replicas int32, drop []*lpod, at time.Time) {
	from := *rs.Spec.Replicas
	rs.Spec.Replicas = &replicas
	rs, err := s.cs.AppsV1().ReplicaSets(scenarioNS).Update(s.t.Context(), rs, metav1.UpdateOptions{})
	require.NoError(s.t, err)
	s.event("Deployment", a.name, a.deploy.UID, "ScalingReplicaSet",
		fmt.Sprintf("Scaled down replica set %s from %d to %d", rs.Name, from, replicas), "deployment-controller", at, at, 1)
	for _, p := range drop {
		s.event("ReplicaSet", rs.Name, rs.UID, "SuccessfulDelete", "Deleted pod: "+p.name, "replicaset-controller", at, at, 1)
		s.deleteGracefully(p, at)
	}
	s.syncSlice(a)
}

// rollOut is a rolling update of a's Deployment to version 1.1: a new
// ReplicaSet (revision 2) whose pods, one per behaviour, start Ready, and
// the old ReplicaSet scaled to zero, its pods asked to go, at at.
func (s *lsuite) rollOut(a *lapp, at time.Time, behaviors ...testupstream.Behavior) (newPods, old []*lpod) {
	ctx := s.t.Context()
	d, err := s.cs.AppsV1().Deployments(scenarioNS).Get(ctx, a.name, metav1.GetOptions{})
	require.NoError(s.t, err)
	d.Spec.Template.Spec.Containers[0].Image = "registry.example.com/" + a.name + ":1.1"
	a.deploy, err = s.cs.AppsV1().Deployments(scenarioNS).Update(ctx, d, metav1.UpdateOptions{})
	require.NoError(s.t, err)
	for _, p := range a.pods {
		if p.ep != nil {
			old = append(old, p)
		}
	}
	oldRS := a.rs
	s.replicaSet(a, "5c8d7f6b9", "2", int32(len(behaviors)))
	s.event("Deployment", a.name, a.deploy.UID, "ScalingReplicaSet",
		fmt.Sprintf("Scaled up replica set %s from 0 to %d", a.rs.Name, len(behaviors)), "deployment-controller", at, at, 1)
	newPods = s.pods(a, behaviors...)
	s.scaleDown(a, oldRS, 0, old, at)
	return newPods, old
}

// dumpCluster writes what `kubectl get pods,services,endpointslices,events,
// deployments,replicasets,networkpolicies,namespaces -A -o yaml` prints
// (one v1 List, managedFields left out as kubectl leaves them out) into dir.
func dumpCluster(t *testing.T, admin *rest.Config, dir string) string {
	dc, err := dynamic.NewForConfig(rest.CopyConfig(admin))
	require.NoError(t, err)
	var items []any
	for _, r := range resources {
		list, err := dc.Resource(r.gvr).List(t.Context(), metav1.ListOptions{})
		require.NoError(t, err, "list %s", r.kind)
		for i := range list.Items {
			obj := list.Items[i]
			unstructured.RemoveNestedField(obj.Object, "metadata", "managedFields")
			obj.SetAPIVersion(r.gvr.GroupVersion().String())
			obj.SetKind(r.kind)
			items = append(items, obj.Object)
		}
	}
	b, err := yaml.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "metadata": map[string]any{"resourceVersion": ""}, "items": items})
	require.NoError(t, err)
	path := filepath.Join(dir, "cluster-after-recovery.yaml")
	require.NoError(t, os.WriteFile(path, b, 0o600))
	return path
}
