package cluster

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// t0 is the start of the test timeline; at(s) is s seconds after it.
var t0 = time.Date(2026, 11, 25, 8, 40, 0, 0, time.UTC)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

type podOpt func(*corev1.Pod)

// mkPod builds a running pod created and started an hour before t0.
func mkPod(ns, name, ip string, opts ...podOpt) *corev1.Pod {
	created := metav1.NewTime(t0.Add(-time.Hour))
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID(ns + "/" + name), CreationTimestamp: created},
		Spec:       corev1.PodSpec{NodeName: "node-a", Containers: []corev1.Container{{Name: "app"}}},
		Status: corev1.PodStatus{
			Phase:     corev1.PodRunning,
			PodIP:     ip,
			StartTime: &created,
		},
	}
	if ip != "" {
		p.Status.PodIPs = []corev1.PodIP{{IP: ip}}
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func withUID(uid string) podOpt { return func(p *corev1.Pod) { p.UID = types.UID(uid) } }

func withLabels(l map[string]string) podOpt { return func(p *corev1.Pod) { p.Labels = l } }

func withHostNetwork() podOpt { return func(p *corev1.Pod) { p.Spec.HostNetwork = true } }

// withCreated sets creation and start time.
func withCreated(t time.Time) podOpt {
	return func(p *corev1.Pod) {
		mt := metav1.NewTime(t)
		p.CreationTimestamp, p.Status.StartTime = mt, &mt
	}
}

func withOwner(kind, name string) podOpt {
	return func(p *corev1.Pod) {
		yes := true
		p.OwnerReferences = []metav1.OwnerReference{{Kind: kind, Name: name, Controller: &yes}}
	}
}

// withReady sets the Ready condition; a zero since leaves lastTransitionTime unset.
func withReady(ready bool, since time.Time) podOpt {
	return func(p *corev1.Pod) {
		st := corev1.ConditionFalse
		if ready {
			st = corev1.ConditionTrue
		}
		c := corev1.PodCondition{Type: corev1.PodReady, Status: st}
		if !since.IsZero() {
			c.LastTransitionTime = metav1.NewTime(since)
		}
		p.Status.Conditions = []corev1.PodCondition{c}
	}
}

// withLastTerminated gives container "app" a previous run that ended.
func withLastTerminated(reason string, exit, restarts int32, finished time.Time) podOpt {
	return func(p *corev1.Pod) {
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{
			Name:         "app",
			RestartCount: restarts,
			State:        corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(finished.Add(10 * time.Second))}},
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				Reason: reason, ExitCode: exit, FinishedAt: metav1.NewTime(finished), StartedAt: metav1.NewTime(finished.Add(-time.Minute)),
			}},
		}}
	}
}

// withTerminatedNow makes container "app" down now.
func withTerminatedNow(reason string, exit, restarts int32, finished time.Time) podOpt {
	return func(p *corev1.Pod) {
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{
			Name:         "app",
			RestartCount: restarts,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				Reason: reason, ExitCode: exit, FinishedAt: metav1.NewTime(finished),
			}},
		}}
	}
}

func mkService(ns, name string, sel map[string]string, ports ...corev1.ServicePort) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       corev1.ServiceSpec{Selector: sel, Ports: ports, Type: corev1.ServiceTypeClusterIP},
	}
}

func port(name string, num int32) corev1.ServicePort {
	return corev1.ServicePort{Name: name, Port: num, Protocol: corev1.ProtocolTCP}
}

type epOpt struct {
	ip                          string
	ready, serving, terminating bool
	pod                         string
}

func mkSlice(ns, name, svc string, eps ...epOpt) *discoveryv1.EndpointSlice {
	es := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{discoveryv1.LabelServiceName: svc}},
		AddressType: discoveryv1.AddressTypeIPv4,
	}
	for _, e := range eps {
		ready, serving, terminating := e.ready, e.serving, e.terminating
		node := "node-a"
		ep := discoveryv1.Endpoint{
			Addresses:  []string{e.ip},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready, Serving: &serving, Terminating: &terminating},
			NodeName:   &node,
		}
		if e.pod != "" {
			ep.TargetRef = &corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: e.pod}
		}
		es.Endpoints = append(es.Endpoints, ep)
	}
	return es
}

func names(pods []*PodInfo) []string {
	var out []string
	for _, p := range pods {
		out = append(out, p.Pod.Name)
	}
	return out
}
