package cluster

import (
	"strings"
	"unique"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// The Strip* functions are informer transform functions
// (cache.SharedIndexInformer.SetTransform): each returns a new object that
// holds only what diagnosis reads, so the informer caches and the Store stay
// small. The input object is not modified; the result shares parts of it
// (probes, ports, selectors), and the text many objects repeat (namespaces,
// labels, owners, node and container names, condition reasons) is interned
// so that the replicas of a workload hold one copy; replicas also share
// their stripped containers (share.go). A
// cache.DeletedFinalStateUnknown tombstone is returned as a new tombstone
// around the stripped object. Objects of another type pass through
// unchanged. Stripping a stripped object is a no-op.

// revisionAnnotation is the only annotation kept: it numbers a Deployment's
// rollouts on the Deployment and on each of its ReplicaSets.
const revisionAnnotation = "deployment.kubernetes.io/revision"

// maxMessage bounds the free-text messages that are kept (termination
// messages, event notes); the kubelet allows up to 4 KiB per container.
const maxMessage = 512

// StripPod keeps a Pod's identity, placement, probes, resources and status.
func StripPod(obj any) (any, error) { return stripWith(obj, stripPod) }

// StripService keeps a Service's selector, ports, type and cluster IP.
func StripService(obj any) (any, error) { return stripWith(obj, stripService) }

// StripEndpointSlice keeps an EndpointSlice's addresses, conditions, targets
// and ports.
func StripEndpointSlice(obj any) (any, error) { return stripWith(obj, stripEndpointSlice) }

// StripDeployment keeps a Deployment's replicas, selector, strategy, the
// template's labels and containers, and its status.
func StripDeployment(obj any) (any, error) { return stripWith(obj, stripDeployment) }

// StripReplicaSet keeps a ReplicaSet's replicas, selector, owner and status.
func StripReplicaSet(obj any) (any, error) { return stripWith(obj, stripReplicaSet) }

// StripNetworkPolicy keeps a NetworkPolicy's metadata and whole spec.
func StripNetworkPolicy(obj any) (any, error) { return stripWith(obj, stripNetworkPolicy) }

// StripNamespace keeps a Namespace's metadata (labels) and phase.
func StripNamespace(obj any) (any, error) { return stripWith(obj, stripNamespace) }

// StripEvent keeps an Event's involved object, reason, message, type, count
// and times. It takes core/v1 Events and, for the events.k8s.io/v1 informer,
// events.k8s.io/v1 Events.
func StripEvent(obj any) (any, error) {
	switch e := obj.(type) {
	case *eventsv1.Event:
		if e == nil {
			return obj, nil
		}
		return stripEventV1(e), nil
	case cache.DeletedFinalStateUnknown:
		inner, err := StripEvent(e.Obj)
		return cache.DeletedFinalStateUnknown{Key: e.Key, Obj: inner}, err
	case *cache.DeletedFinalStateUnknown:
		inner, err := StripEvent(e.Obj)
		return &cache.DeletedFinalStateUnknown{Key: e.Key, Obj: inner}, err
	}
	return stripWith(obj, stripCoreEvent)
}

// stripWith applies strip to obj when obj is a *T, also inside a tombstone.
func stripWith[T any](obj any, strip func(*T) *T) (any, error) {
	switch o := obj.(type) {
	case *T:
		if o == nil {
			return obj, nil
		}
		return strip(o), nil
	case cache.DeletedFinalStateUnknown:
		inner, err := stripWith(o.Obj, strip)
		return cache.DeletedFinalStateUnknown{Key: o.Key, Obj: inner}, err
	case *cache.DeletedFinalStateUnknown:
		if o == nil {
			return obj, nil
		}
		inner, err := stripWith(o.Obj, strip)
		return &cache.DeletedFinalStateUnknown{Key: o.Key, Obj: inner}, err
	}
	return obj, nil
}

func stripMeta(m *metav1.ObjectMeta) metav1.ObjectMeta {
	out := metav1.ObjectMeta{
		Name:                       m.Name,
		Namespace:                  intern(m.Namespace),
		UID:                        m.UID,
		Labels:                     internMap(m.Labels),
		OwnerReferences:            internOwners(m.OwnerReferences),
		CreationTimestamp:          m.CreationTimestamp,
		DeletionTimestamp:          m.DeletionTimestamp,
		DeletionGracePeriodSeconds: m.DeletionGracePeriodSeconds,
	}
	if rev, ok := m.Annotations[revisionAnnotation]; ok {
		out.Annotations = map[string]string{revisionAnnotation: intern(rev)}
	}
	return out
}

// intern returns the canonical copy of s. The runtime drops it once no
// object holds it any more.
func intern(s string) string {
	if s == "" {
		return s
	}
	return unique.Make(s).Value()
}

func internMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[intern(k)] = intern(v)
	}
	return out
}

func internOwners(refs []metav1.OwnerReference) []metav1.OwnerReference {
	if len(refs) == 0 {
		return nil
	}
	out := make([]metav1.OwnerReference, len(refs))
	for i, r := range refs {
		r.APIVersion, r.Kind, r.Name = intern(r.APIVersion), intern(r.Kind), intern(r.Name)
		out[i] = r
	}
	return out
}

func stripPod(p *corev1.Pod) *corev1.Pod {
	s := &p.Status
	out := &corev1.Pod{
		ObjectMeta: stripMeta(&p.ObjectMeta),
		Spec: corev1.PodSpec{
			NodeName:                      intern(p.Spec.NodeName),
			HostNetwork:                   p.Spec.HostNetwork,
			TerminationGracePeriodSeconds: p.Spec.TerminationGracePeriodSeconds,
			Containers:                    shareContainers(&p.ObjectMeta, stripContainers(p.Spec.Containers)),
		},
		Status: corev1.PodStatus{
			Phase:      corev1.PodPhase(intern(string(s.Phase))),
			Reason:     intern(s.Reason),
			Message:    truncate(s.Message),
			PodIP:      s.PodIP,
			PodIPs:     s.PodIPs,
			StartTime:  s.StartTime,
			Conditions: stripConditions(s.Conditions),
		},
	}
	if len(s.ContainerStatuses) > 0 {
		cs := make([]corev1.ContainerStatus, len(s.ContainerStatuses))
		for i := range s.ContainerStatuses {
			c := &s.ContainerStatuses[i]
			cs[i] = corev1.ContainerStatus{
				Name:                 intern(c.Name),
				State:                stripState(c.State),
				LastTerminationState: stripState(c.LastTerminationState),
				Ready:                c.Ready,
				RestartCount:         c.RestartCount,
				Started:              c.Started,
			}
		}
		out.Status.ContainerStatuses = cs
	}
	return out
}

// stripContainers keeps what explains a refused or reset connection: the
// ports, the probes (startup delays readiness), preStop and resources.
func stripContainers(cs []corev1.Container) []corev1.Container {
	if len(cs) == 0 {
		return nil
	}
	out := make([]corev1.Container, len(cs))
	for i := range cs {
		c := &cs[i]
		out[i] = corev1.Container{
			Name:  intern(c.Name),
			Ports: c.Ports,
			Resources: corev1.ResourceRequirements{
				Limits:   c.Resources.Limits,
				Requests: c.Resources.Requests,
			},
			ReadinessProbe: c.ReadinessProbe,
			LivenessProbe:  c.LivenessProbe,
			StartupProbe:   c.StartupProbe,
		}
		if c.Lifecycle != nil && c.Lifecycle.PreStop != nil {
			out[i].Lifecycle = &corev1.Lifecycle{PreStop: c.Lifecycle.PreStop}
		}
	}
	return out
}

// stripConditions drops lastProbeTime, which the kubelet never sets.
func stripConditions(cs []corev1.PodCondition) []corev1.PodCondition {
	if len(cs) == 0 {
		return nil
	}
	out := make([]corev1.PodCondition, len(cs))
	for i, c := range cs {
		out[i] = corev1.PodCondition{
			Type:               corev1.PodConditionType(intern(string(c.Type))),
			Status:             corev1.ConditionStatus(intern(string(c.Status))),
			LastTransitionTime: c.LastTransitionTime,
			Reason:             intern(c.Reason),
			Message:            intern(truncate(c.Message)),
		}
	}
	return out
}

// stripState drops image and container ids; it copies the state structs so
// that truncating a message never writes into the input.
func stripState(st corev1.ContainerState) corev1.ContainerState {
	var out corev1.ContainerState
	if w := st.Waiting; w != nil {
		out.Waiting = &corev1.ContainerStateWaiting{Reason: intern(w.Reason), Message: truncate(w.Message)}
	}
	if r := st.Running; r != nil {
		out.Running = &corev1.ContainerStateRunning{StartedAt: r.StartedAt}
	}
	if t := st.Terminated; t != nil {
		out.Terminated = &corev1.ContainerStateTerminated{
			ExitCode:   t.ExitCode,
			Signal:     t.Signal,
			Reason:     intern(t.Reason),
			Message:    truncate(t.Message),
			StartedAt:  t.StartedAt,
			FinishedAt: t.FinishedAt,
		}
	}
	return out
}

func stripService(s *corev1.Service) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: stripMeta(&s.ObjectMeta),
		Spec: corev1.ServiceSpec{
			Selector:                 s.Spec.Selector,
			Ports:                    s.Spec.Ports,
			Type:                     s.Spec.Type,
			ClusterIP:                s.Spec.ClusterIP,
			ExternalName:             s.Spec.ExternalName,
			PublishNotReadyAddresses: s.Spec.PublishNotReadyAddresses,
		},
	}
}

func stripEndpointSlice(es *discoveryv1.EndpointSlice) *discoveryv1.EndpointSlice {
	out := &discoveryv1.EndpointSlice{
		ObjectMeta:  stripMeta(&es.ObjectMeta),
		AddressType: es.AddressType,
		Ports:       es.Ports,
	}
	if len(es.Endpoints) > 0 {
		out.Endpoints = make([]discoveryv1.Endpoint, len(es.Endpoints))
		for i := range es.Endpoints {
			e := &es.Endpoints[i]
			out.Endpoints[i] = discoveryv1.Endpoint{
				Addresses:  e.Addresses,
				Conditions: e.Conditions,
				NodeName:   e.NodeName,
			}
			if r := e.TargetRef; r != nil {
				out.Endpoints[i].TargetRef = &corev1.ObjectReference{Kind: r.Kind, Namespace: r.Namespace, Name: r.Name, UID: r.UID}
			}
		}
	}
	return out
}

func stripDeployment(d *appsv1.Deployment) *appsv1.Deployment {
	meta := stripMeta(&d.ObjectMeta)
	meta.Generation = d.Generation // compared with status.observedGeneration
	return &appsv1.Deployment{
		ObjectMeta: meta,
		Spec: appsv1.DeploymentSpec{
			Replicas:                d.Spec.Replicas,
			Selector:                d.Spec.Selector,
			Strategy:                d.Spec.Strategy,
			MinReadySeconds:         d.Spec.MinReadySeconds,
			ProgressDeadlineSeconds: d.Spec.ProgressDeadlineSeconds,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: d.Spec.Template.Labels},
				Spec: corev1.PodSpec{
					TerminationGracePeriodSeconds: d.Spec.Template.Spec.TerminationGracePeriodSeconds,
					Containers:                    stripContainers(d.Spec.Template.Spec.Containers),
				},
			},
		},
		Status: d.Status,
	}
}

func stripReplicaSet(rs *appsv1.ReplicaSet) *appsv1.ReplicaSet {
	meta := stripMeta(&rs.ObjectMeta)
	meta.Generation = rs.Generation
	return &appsv1.ReplicaSet{
		ObjectMeta: meta,
		Spec: appsv1.ReplicaSetSpec{
			Replicas:        rs.Spec.Replicas,
			Selector:        rs.Spec.Selector,
			MinReadySeconds: rs.Spec.MinReadySeconds,
		},
		Status: rs.Status,
	}
}

func stripNetworkPolicy(np *networkingv1.NetworkPolicy) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{ObjectMeta: stripMeta(&np.ObjectMeta), Spec: np.Spec}
}

func stripNamespace(ns *corev1.Namespace) *corev1.Namespace {
	return &corev1.Namespace{
		ObjectMeta: stripMeta(&ns.ObjectMeta),
		Status:     corev1.NamespaceStatus{Phase: ns.Status.Phase},
	}
}

func stripCoreEvent(e *corev1.Event) *corev1.Event {
	out := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: e.Name, Namespace: e.Namespace, CreationTimestamp: e.CreationTimestamp},
		InvolvedObject: stripRef(e.InvolvedObject),
		Reason:         e.Reason,
		Message:        truncate(e.Message),
		Type:           e.Type,
		Count:          e.Count,
		FirstTimestamp: e.FirstTimestamp,
		LastTimestamp:  e.LastTimestamp,
		EventTime:      e.EventTime,
	}
	if e.Series != nil {
		out.Series = &corev1.EventSeries{Count: e.Series.Count, LastObservedTime: e.Series.LastObservedTime}
	}
	return out
}

func stripEventV1(e *eventsv1.Event) *eventsv1.Event {
	out := &eventsv1.Event{
		ObjectMeta:               metav1.ObjectMeta{Name: e.Name, Namespace: e.Namespace, CreationTimestamp: e.CreationTimestamp},
		EventTime:                e.EventTime,
		Regarding:                stripRef(e.Regarding),
		Reason:                   e.Reason,
		Note:                     truncate(e.Note),
		Type:                     e.Type,
		DeprecatedFirstTimestamp: e.DeprecatedFirstTimestamp,
		DeprecatedLastTimestamp:  e.DeprecatedLastTimestamp,
		DeprecatedCount:          e.DeprecatedCount,
	}
	if e.Series != nil {
		out.Series = &eventsv1.EventSeries{Count: e.Series.Count, LastObservedTime: e.Series.LastObservedTime}
	}
	return out
}

func stripRef(r corev1.ObjectReference) corev1.ObjectReference {
	return corev1.ObjectReference{Kind: r.Kind, Namespace: r.Namespace, Name: r.Name, UID: r.UID}
}

// truncate cuts s to maxMessage bytes without splitting a UTF-8 sequence,
// and copies the cut so the long original can be freed.
func truncate(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	i := maxMessage
	for i > 0 && s[i]&0xC0 == 0x80 {
		i--
	}
	return strings.Clone(s[:i])
}
