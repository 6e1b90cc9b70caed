package cluster

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// Apply records one object of a kind the store keeps, already stripped (an
// informer's transform did it, or Strip): deleted removes it, otherwise it
// is added or updated. Events are only ever added: an Event's deletion (its
// TTL) does not undo what it reported. Informers, the snapshot loader and
// the pipeline evidence all feed the store through here. It reports false
// for kinds the store does not keep.
func (s *Store) Apply(obj any, deleted bool, seen time.Time) bool {
	switch o := obj.(type) {
	case *corev1.Pod:
		upsertOrDelete(o, deleted, seen, s.UpsertPod, s.DeletePod)
	case *corev1.Service:
		upsertOrDelete(o, deleted, seen, s.UpsertService, s.DeleteService)
	case *discoveryv1.EndpointSlice:
		upsertOrDelete(o, deleted, seen, s.UpsertEndpointSlice, s.DeleteEndpointSlice)
	case *appsv1.Deployment:
		upsertOrDelete(o, deleted, seen, s.UpsertDeployment, s.DeleteDeployment)
	case *appsv1.ReplicaSet:
		upsertOrDelete(o, deleted, seen, s.UpsertReplicaSet, s.DeleteReplicaSet)
	case *networkingv1.NetworkPolicy:
		upsertOrDelete(o, deleted, seen, s.UpsertNetworkPolicy, s.DeleteNetworkPolicy)
	case *corev1.Namespace:
		upsertOrDelete(o, deleted, seen, s.UpsertNamespace, s.DeleteNamespace)
	case *corev1.Event:
		s.AddCoreEvent(o)
	case *eventsv1.Event:
		s.AddEventV1(o)
	default:
		return false
	}
	return true
}

func upsertOrDelete[T any](o *T, deleted bool, seen time.Time, upsert, del func(*T, time.Time)) {
	if deleted {
		del(o, seen)
		return
	}
	upsert(o, seen)
}

// Strip strips an object of any kind the store keeps (nil for other kinds),
// for callers that decode objects themselves rather than through an
// informer with a transform.
func Strip(obj any) any {
	switch o := obj.(type) {
	case *corev1.Pod:
		return stripPod(o)
	case *corev1.Service:
		return stripService(o)
	case *discoveryv1.EndpointSlice:
		return stripEndpointSlice(o)
	case *appsv1.Deployment:
		return stripDeployment(o)
	case *appsv1.ReplicaSet:
		return stripReplicaSet(o)
	case *networkingv1.NetworkPolicy:
		return stripNetworkPolicy(o)
	case *corev1.Namespace:
		return stripNamespace(o)
	case *corev1.Event:
		return stripCoreEvent(o)
	case *eventsv1.Event:
		return stripEventV1(o)
	}
	return nil
}
