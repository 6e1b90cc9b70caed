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
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testproc"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testupstream"
)

// The labeled suite's applications: a Service in front of pods owned by a
// Deployment (through ReplicaSets) or a StatefulSet, written with the
// admin identity as the controllers and kubelets this cluster lacks would
// write them. Every pod has its own loopback IP (status.podIP, where nginx
// connects) and all listen on one port, as pods of one image do. The API
// server refuses loopback addresses in EndpointSlices, so each Service's
// slice lists its pods at 10.244.11.N (for 127.0.11.N) with their
// targetRef: the slice carries readiness and membership, the processor
// finds a pod behind an address by its IP history.

// lsuite is the state the scenarios share.
type lsuite struct {
	t     *testing.T
	cs    kubernetes.Interface
	port  int32             // every container's port
	next  int               // last loopback host number handed out
	owner map[string]string // ip:port -> pod name, for the labels
}

// lapp is one application.
type lapp struct {
	name   string
	kind   string // "Deployment" or "StatefulSet"
	svc    *corev1.Service
	deploy *appsv1.Deployment
	rs     *appsv1.ReplicaSet // the current one
	sts    *appsv1.StatefulSet
	slice  *discoveryv1.EndpointSlice
	pods   []*lpod // every pod made, in order
}

// lpod is one pod and the process standing in for its container.
type lpod struct {
	name, ip, sliceIP string
	obj               *corev1.Pod
	// ep is the pod's endpoint in the Service's slice; nil: not listed.
	ep *discoveryv1.EndpointConditions
}

func (p *lpod) addr(port int32) string { return net.JoinHostPort(p.ip, strconv.Itoa(int(port))) }

// newSuite picks the port every pod listens on: free on the first of
// the suite's addresses, which no other test uses.
func newSuite(t *testing.T, cs kubernetes.Interface) *lsuite {
	_, port, err := net.SplitHostPort(testproc.FreeAddr(t, "127.0.11.1"))
	require.NoError(t, err)
	p, err := strconv.Atoi(port)
	require.NoError(t, err)
	return &lsuite{t: t, cs: cs, port: int32(p), owner: map[string]string{}}
}

// app creates a Service, its owner and one Ready pod per behaviour, and
// the slice listing them ready.
func (s *lsuite) app(name, kind string, behaviors ...testupstream.Behavior) *lapp {
	t, ctx := s.t, s.t.Context()
	a := &lapp{name: name, kind: kind}
	labels := map[string]string{"app": name}
	var err error
	a.svc, err = s.cs.CoreV1().Services(scenarioNS).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: scenarioNS},
		Spec: corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{
			Name: "http", Port: 80, TargetPort: intstr.FromString("http"), Protocol: corev1.ProtocolTCP,
		}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	replicas := int32(len(behaviors))
	tmpl := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: s.podSpec(name, "1.0")}
	switch kind {
	case "Deployment":
		a.deploy, err = s.cs.AppsV1().Deployments(scenarioNS).Create(ctx, &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: scenarioNS},
			Spec:       appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: tmpl},
		}, metav1.CreateOptions{})
		require.NoError(t, err)
		s.replicaSet(a, "6b7f9c4d8", "1", replicas)
	case "StatefulSet":
		a.sts, err = s.cs.AppsV1().StatefulSets(scenarioNS).Create(ctx, &appsv1.StatefulSet{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: scenarioNS},
			Spec: appsv1.StatefulSetSpec{Replicas: &replicas, ServiceName: name,
				Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: tmpl},
		}, metav1.CreateOptions{})
		require.NoError(t, err)
	default:
		t.Fatalf("kind %q", kind)
	}
	s.pods(a, behaviors...)
	return a
}

// replicaSet creates revision rev of a's Deployment, owning the pods
// created after it.
func (s *lsuite) replicaSet(a *lapp, hash, rev string, replicas int32) {
	yes := true
	labels := map[string]string{"app": a.name, "pod-template-hash": hash}
	tmpl := a.deploy.Spec.Template.DeepCopy()
	tmpl.Labels = labels
	rs, err := s.cs.AppsV1().ReplicaSets(scenarioNS).Create(s.t.Context(), &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: a.name + "-" + hash, Namespace: scenarioNS, Labels: labels,
			Annotations:     map[string]string{"deployment.kubernetes.io/revision": rev},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: a.name, UID: a.deploy.UID, Controller: &yes}}},
		Spec: appsv1.ReplicaSetSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: *tmpl},
	}, metav1.CreateOptions{})
	require.NoError(s.t, err)
	a.rs = rs
}

// pods creates one Running and Ready pod per behaviour under a's current
// owner, each with its upstream, and lists them ready in the slice.
func (s *lsuite) pods(a *lapp, behaviors ...testupstream.Behavior) []*lpod {
	t, ctx := s.t, s.t.Context()
	yes := true
	var out []*lpod
	for _, b := range behaviors {
		s.next++
		p := &lpod{ip: fmt.Sprintf("127.0.11.%d", s.next), sliceIP: fmt.Sprintf("10.244.11.%d", s.next)}
		meta := metav1.ObjectMeta{Namespace: scenarioNS, Labels: map[string]string{"app": a.name}}
		spec := s.podSpec(a.name, "1.0")
		if a.kind == "Deployment" {
			hash := a.rs.Labels["pod-template-hash"]
			meta.Name = fmt.Sprintf("%s-%s-%s", a.name, hash, podSuffix(s.next))
			meta.Labels["pod-template-hash"] = hash
			meta.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: a.rs.Name, UID: a.rs.UID, Controller: &yes}}
			spec = a.rs.Spec.Template.Spec
		} else {
			meta.Name = fmt.Sprintf("%s-%d", a.name, len(a.pods))
			meta.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "StatefulSet", Name: a.sts.Name, UID: a.sts.UID, Controller: &yes}}
		}
		spec.NodeName = "node-a" // scheduled: a deletion is graceful, as with a kubelet
		obj, err := s.cs.CoreV1().Pods(scenarioNS).Create(ctx, &corev1.Pod{ObjectMeta: meta, Spec: spec}, metav1.CreateOptions{})
		require.NoError(t, err)
		p.name, p.obj = obj.Name, obj
		testupstream.Start(t, p.addr(s.port), b)
		s.owner[p.addr(s.port)] = p.name
		now := time.Now()
		s.status(p, func(st *corev1.PodStatus) {
			*st = corev1.PodStatus{Phase: corev1.PodRunning, HostIP: "10.0.0.1", PodIP: p.ip, PodIPs: []corev1.PodIP{{IP: p.ip}},
				StartTime: &metav1.Time{Time: now}}
			running(st, a.name, now)
			setReady(st, true, now)
		})
		p.ep = endpointReady(true)
		a.pods = append(a.pods, p)
		out = append(out, p)
	}
	s.syncSlice(a)
	return out
}

// podSuffix makes the five-character suffix a ReplicaSet gives its pods.
func podSuffix(n int) string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	b := []byte("x7k2p")
	for i := range b {
		b[i] = alphabet[(n*7+i*5)%len(alphabet)]
	}
	return string(b)
}

func (s *lsuite) podSpec(name, version string) corev1.PodSpec {
	grace := int64(30)
	return corev1.PodSpec{
		TerminationGracePeriodSeconds: &grace,
		Containers: []corev1.Container{{
			Name:      name,
			Image:     "registry.example.com/" + name + ":" + version,
			Ports:     []corev1.ContainerPort{{Name: "http", ContainerPort: s.port, Protocol: corev1.ProtocolTCP}},
			Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")}},
			ReadinessProbe: &corev1.Probe{
				ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("http")}},
				PeriodSeconds: 5, TimeoutSeconds: 1, FailureThreshold: 3,
			},
		}},
	}
}

// status changes a pod's status as its kubelet would.
func (s *lsuite) status(p *lpod, mutate func(st *corev1.PodStatus)) {
	mutate(&p.obj.Status)
	obj, err := s.cs.CoreV1().Pods(scenarioNS).UpdateStatus(s.t.Context(), p.obj, metav1.UpdateOptions{})
	require.NoError(s.t, err, "status of pod %s", p.name)
	p.obj = obj
}

// running: the container (re)started at at.
func running(st *corev1.PodStatus, container string, at time.Time) {
	yes := true
	if len(st.ContainerStatuses) == 0 {
		st.ContainerStatuses = []corev1.ContainerStatus{{Name: container, Image: "registry.example.com/" + container + ":1.0"}}
	}
	cs := &st.ContainerStatuses[0]
	cs.Started = &yes
	cs.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(at)}}
}

// terminated: the running container ended at at (reason, exit code) and
// counts as a restart; the kubelet then starts it again (running) or
// backs off (CrashLoopBackOff).
func terminated(st *corev1.PodStatus, reason string, exit int32, at time.Time, backOff bool) {
	cs := &st.ContainerStatuses[0]
	started := at
	if cs.State.Running != nil {
		started = cs.State.Running.StartedAt.Time
	}
	cs.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
		Reason: reason, ExitCode: exit, StartedAt: metav1.NewTime(started), FinishedAt: metav1.NewTime(at)}}
	cs.RestartCount++
	cs.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(at)}}
	if backOff {
		no := false
		cs.Started = &no
		cs.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff",
			Message: "back-off 10s restarting failed container=" + cs.Name}}
	}
}

// setReady sets the pod's Ready and ContainersReady conditions (and the
// container's ready flag) as of at.
func setReady(st *corev1.PodStatus, ready bool, at time.Time) {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	scheduled := corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(at)}
	for _, c := range st.Conditions {
		if c.Type == corev1.PodScheduled {
			scheduled = c
		}
	}
	st.Conditions = []corev1.PodCondition{scheduled,
		{Type: corev1.PodReady, Status: status, LastTransitionTime: metav1.NewTime(at)},
		{Type: corev1.ContainersReady, Status: status, LastTransitionTime: metav1.NewTime(at)}}
	for i := range st.ContainerStatuses {
		st.ContainerStatuses[i].Ready = ready
	}
}

func endpointReady(ready bool) *discoveryv1.EndpointConditions {
	no := false
	return &discoveryv1.EndpointConditions{Ready: &ready, Serving: &ready, Terminating: &no}
}

func endpointTerminating() *discoveryv1.EndpointConditions {
	no, yes := false, true
	return &discoveryv1.EndpointConditions{Ready: &no, Serving: &no, Terminating: &yes}
}
