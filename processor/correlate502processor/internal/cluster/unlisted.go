package cluster

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// restoredObjects remembers the objects LoadHistory restored, by kind and
// namespaced name, until the informers' first list is complete. An object
// deleted while the gateway was down is never announced: the informers
// start with an empty cache, so they list what exists and have nothing to
// send a delete for. Every object an informer lists is stored as a new
// pointer, so one still stored as the restored pointer was not listed.
type restoredObjects map[restoredKey]any

type restoredKey struct {
	kind string
	obj  nsName
}

// keep remembers obj; on a nil set (no informers will list) it does nothing.
func (r restoredObjects) keep(kind string, k nsName, obj any) {
	if r != nil {
		r[restoredKey{kind, k}] = obj
	}
}

// ForgetUnlisted ends a restore once the informers have listed every kind:
// restored objects the list did not show are deleted at at (the sync time;
// when in the gap they went is unknown, and the gap is outside the watched
// windows), as the informer's delete would have done: a pod is marked
// deleted and its IPs released, a slice's addresses are recorded gone, a
// ReplicaSet's history ends at zero replicas. It returns how many objects
// of each kind were deleted. Later calls do nothing.
func (s *Store) ForgetUnlisted(at time.Time) map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	gone := map[string]int{}
	for k, obj := range s.restored {
		if s.forgetUnlisted(k.obj, obj, at) {
			gone[k.kind]++
		}
	}
	s.restored = nil
	return gone
}

// forgetUnlisted deletes obj when the store still holds this very pointer,
// the way the matching Delete* method does; it runs under the write lock.
func (s *Store) forgetUnlisted(k nsName, obj any, at time.Time) bool {
	switch o := obj.(type) {
	case *corev1.Pod:
		info := s.pods[k.ns][k.name]
		if info == nil || info.Pod != o || !info.Deleted.IsZero() {
			return false
		}
		info.Deleted = notBefore(at, info.FirstSeen)
		s.closeIPs(info, info.Deleted)
	case *corev1.Service:
		if s.services[k] != o {
			return false
		}
		s.dropService(k)
	case *discoveryv1.EndpointSlice:
		if s.slices[k] != o {
			return false
		}
		delete(s.slices, k)
		svc := sliceService(o)
		s.unlinkSlice(svc, o.Name)
		s.refreshEndpoints(svc, sliceIPs(o, nil), at)
	case *appsv1.Deployment:
		if s.deployments[k] != o {
			return false
		}
		delete(s.deployments, k)
	case *appsv1.ReplicaSet:
		byName := s.replicaSets[k.ns]
		if byName[k.name] != o {
			return false
		}
		delete(byName, k.name)
		s.rsOwned.forget(k.ns)
		if len(byName) == 0 {
			delete(s.replicaSets, k.ns)
		}
		s.recordReplicaSet(k, ReplicaSetPoint{At: at})
	case *networkingv1.NetworkPolicy:
		byName := s.netpols[k.ns]
		if byName[k.name] != o {
			return false
		}
		delete(byName, k.name)
		if len(byName) == 0 {
			delete(s.netpols, k.ns)
		}
	case *corev1.Namespace:
		if s.namespaces[k.name] != o {
			return false
		}
		delete(s.namespaces, k.name)
	default:
		return false
	}
	return true
}
