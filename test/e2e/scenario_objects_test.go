//go:build e2e

package e2e

import (
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
)

// scenarioNS is the application namespace every scenario lives in.
const scenarioNS = "shop"

// backend is one application as the API server would know it: a Service
// (port 80) and one pod whose status.podIP is the loopback address nginx
// really proxies to. The API server refuses loopback addresses in
// EndpointSlices, so none are written: the processor finds these pods by
// IP history (PodByIP), as it does for pods that left their Service.
type backend struct {
	name string // Service, container and app label
	// owner is "Deployment" (with a ReplicaSet between), "StatefulSet" or
	// "" (a bare pod). A Deployment created moments ago counts as a
	// rollout, so scenarios whose cause ranks after rollout_gap use a
	// StatefulSet.
	owner string
	addr  string // ip:port the pod serves; "" for no pod
	// selector of the Service; the pod's labels are {app: name}.
	selector map[string]string
	// hostNetwork: the pod uses its node's network, so its IP is the
	// node's and pods share it, differing by port.
	hostNetwork bool
	pod         *corev1.Pod // filled by create
}

func (b *backend) upstreamName() string { return scenarioNS + "-" + b.name + "-80" }

func (b *backend) podName() string {
	switch b.owner {
	case "Deployment":
		return b.name + "-6b7f9c4d8-x7k2p"
	case "StatefulSet":
		return b.name + "-0"
	}
	return b.name
}

// create writes the backend's objects with the admin identity and sets the
// pod's status as a kubelet would: Running and Ready at b.addr, then changed
// by mutate when it is not nil. No pod is created when b.addr is "".
func (b *backend) create(t *testing.T, cs kubernetes.Interface, mutate func(st *corev1.PodStatus)) {
	t.Helper()
	ctx := t.Context()
	labels := map[string]string{"app": b.name}
	sel := b.selector
	if sel == nil {
		sel = labels
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: b.name, Namespace: scenarioNS},
		Spec: corev1.ServiceSpec{Selector: sel, Ports: []corev1.ServicePort{{
			Name: "http", Port: 80, TargetPort: intstr.FromString("http"), Protocol: corev1.ProtocolTCP,
		}}},
	}
	_, err := cs.CoreV1().Services(scenarioNS).Create(ctx, svc, metav1.CreateOptions{})
	require.NoError(t, err, "service %s", b.name)
	if b.addr == "" {
		return
	}
	host, portStr, err := net.SplitHostPort(b.addr)
	require.NoError(t, err)
	port, err := strconv.Atoi(portStr)
	require.NoError(t, err)

	var owner *metav1.OwnerReference
	podLabels := map[string]string{"app": b.name}
	yes := true
	switch b.owner {
	case "Deployment":
		replicas := int32(1)
		d, err := cs.AppsV1().Deployments(scenarioNS).Create(ctx, &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: b.name, Namespace: scenarioNS},
			Spec: appsv1.DeploymentSpec{
				Replicas: &replicas,
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: b.podSpec(int32(port))},
			},
		}, metav1.CreateOptions{})
		require.NoError(t, err)
		podLabels["pod-template-hash"] = "6b7f9c4d8"
		rs, err := cs.AppsV1().ReplicaSets(scenarioNS).Create(ctx, &appsv1.ReplicaSet{
			ObjectMeta: metav1.ObjectMeta{Name: b.name + "-6b7f9c4d8", Namespace: scenarioNS, Labels: podLabels,
				Annotations:     map[string]string{"deployment.kubernetes.io/revision": "1"},
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: d.Name, UID: d.UID, Controller: &yes}}},
			Spec: appsv1.ReplicaSetSpec{
				Replicas: &replicas,
				Selector: &metav1.LabelSelector{MatchLabels: podLabels},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: podLabels}, Spec: b.podSpec(int32(port))},
			},
		}, metav1.CreateOptions{})
		require.NoError(t, err)
		owner = &metav1.OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: &yes}
	case "StatefulSet":
		replicas := int32(1)
		ss, err := cs.AppsV1().StatefulSets(scenarioNS).Create(ctx, &appsv1.StatefulSet{
			ObjectMeta: metav1.ObjectMeta{Name: b.name, Namespace: scenarioNS},
			Spec: appsv1.StatefulSetSpec{
				Replicas:    &replicas,
				ServiceName: b.name,
				Selector:    &metav1.LabelSelector{MatchLabels: labels},
				Template:    corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: b.podSpec(int32(port))},
			},
		}, metav1.CreateOptions{})
		require.NoError(t, err)
		owner = &metav1.OwnerReference{APIVersion: "apps/v1", Kind: "StatefulSet", Name: ss.Name, UID: ss.UID, Controller: &yes}
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: b.podName(), Namespace: scenarioNS, Labels: podLabels},
		Spec:       b.podSpec(int32(port)),
	}
	pod.Spec.NodeName = "node-a" // scheduled: deletion is graceful, as with a kubelet
	if owner != nil {
		pod.OwnerReferences = []metav1.OwnerReference{*owner}
	}
	pod, err = cs.CoreV1().Pods(scenarioNS).Create(ctx, pod, metav1.CreateOptions{})
	require.NoError(t, err, "pod %s", b.podName())

	now := metav1.Now()
	pod.Status = corev1.PodStatus{
		Phase:     corev1.PodRunning,
		HostIP:    "10.0.0.1",
		PodIP:     host,
		PodIPs:    []corev1.PodIP{{IP: host}},
		StartTime: &now,
		Conditions: []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
		},
		ContainerStatuses: []corev1.ContainerStatus{{
			Name: b.name, Image: "registry.example.com/" + b.name + ":1.0", Ready: true, Started: &yes,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		}},
	}
	if mutate != nil {
		mutate(&pod.Status)
	}
	b.pod, err = cs.CoreV1().Pods(scenarioNS).UpdateStatus(ctx, pod, metav1.UpdateOptions{})
	require.NoError(t, err, "status of pod %s", pod.Name)
}

func (b *backend) podSpec(port int32) corev1.PodSpec {
	grace := int64(30)
	return corev1.PodSpec{
		HostNetwork:                   b.hostNetwork,
		TerminationGracePeriodSeconds: &grace,
		Containers: []corev1.Container{{
			Name:  b.name,
			Image: "registry.example.com/" + b.name + ":1.0",
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: port, Protocol: corev1.ProtocolTCP}},
			Resources: corev1.ResourceRequirements{
				Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
			},
			ReadinessProbe: &corev1.Probe{
				ProbeHandler:     corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("http")}},
				PeriodSeconds:    5,
				TimeoutSeconds:   1,
				FailureThreshold: 3,
			},
		}},
	}
}

// notReady marks the pod and its container not Ready since at.
func notReady(st *corev1.PodStatus, at time.Time) {
	for i := range st.Conditions {
		if st.Conditions[i].Type != corev1.PodScheduled {
			st.Conditions[i].Status = corev1.ConditionFalse
			st.Conditions[i].LastTransitionTime = metav1.NewTime(at)
		}
	}
	for i := range st.ContainerStatuses {
		st.ContainerStatuses[i].Ready = false
	}
}

// unhealthy records a kubelet's Unhealthy readiness event on the pod.
func unhealthy(t *testing.T, cs kubernetes.Interface, pod *corev1.Pod, first, last time.Time, count int32) {
	t.Helper()
	_, err := cs.CoreV1().Events(pod.Namespace).Create(t.Context(), &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name + ".unhealthy", Namespace: pod.Namespace},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID,
			FieldPath: "spec.containers{" + pod.Spec.Containers[0].Name + "}"},
		Reason:         "Unhealthy",
		Message:        "Readiness probe failed: HTTP probe failed with statuscode: 503",
		Type:           corev1.EventTypeWarning,
		Source:         corev1.EventSource{Component: "kubelet", Host: pod.Spec.NodeName},
		FirstTimestamp: metav1.NewTime(first),
		LastTimestamp:  metav1.NewTime(last),
		Count:          count,
	}, metav1.CreateOptions{})
	require.NoError(t, err)
}

// requireLoopbackEndpointsRejected checks why the scenarios write no
// EndpointSlices: the API server refuses every 127/8 address in one, not
// only 127.0.0.1, so the upstreams nginx can reach cannot be endpoints.
func requireLoopbackEndpointsRejected(t *testing.T, cs kubernetes.Interface) {
	t.Helper()
	yes := true
	for _, ip := range []string{"127.0.0.1", "127.0.0.21"} {
		_, err := cs.DiscoveryV1().EndpointSlices(scenarioNS).Create(t.Context(), &discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{GenerateName: "loopback-", Namespace: scenarioNS},
			AddressType: discoveryv1.AddressTypeIPv4,
			Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: &yes}}},
		}, metav1.CreateOptions{})
		require.Truef(t, apierrors.IsInvalid(err), "EndpointSlice with %s: want Invalid, got %v", ip, err)
	}
}

// createEndpointSlice writes the slice the EndpointSlice controller keeps
// for b's Service: its pod at b.addr with the given readiness, or no
// endpoints at all when empty (a selector that matches no pod).
func createEndpointSlice(t *testing.T, cs kubernetes.Interface, b *backend, ready, empty bool) {
	t.Helper()
	host, port, err := net.SplitHostPort(b.addr)
	require.NoError(t, err)
	var p int32
	_, err = fmt.Sscan(port, &p)
	require.NoError(t, err)
	name, proto := "http", corev1.ProtocolTCP
	es := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: b.name + "-",
			Namespace:    scenarioNS,
			Labels: map[string]string{
				discoveryv1.LabelServiceName: b.name,
				discoveryv1.LabelManagedBy:   "endpointslice-controller.k8s.io",
			},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
	}
	if !empty {
		serving, terminating := ready, false
		es.Ports = []discoveryv1.EndpointPort{{Name: &name, Port: &p, Protocol: &proto}}
		node := b.pod.Spec.NodeName
		es.Endpoints = []discoveryv1.Endpoint{{
			Addresses:  []string{host},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready, Serving: &serving, Terminating: &terminating},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: scenarioNS, Name: b.pod.Name, UID: b.pod.UID},
			NodeName:   &node,
		}}
	}
	_, err = cs.DiscoveryV1().EndpointSlices(scenarioNS).Create(t.Context(), es, metav1.CreateOptions{})
	require.NoError(t, err, "EndpointSlice for %s", b.name)
}
