package correlate502processor

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/diagnose"
)

// The benchmark's cluster: 100 Deployments in 10 namespaces, each with one
// ReplicaSet, a Service and an EndpointSlice, 100 pods each (10k pods, as
// the API server sends them, decoded one by one and stripped as the
// informers do), and 100k events about those pods in the last ten minutes.
// A tenth of the pods restarted recently, a twentieth are NotReady.
const (
	benchDeployments = 100
	benchReplicas    = 100
	benchPods        = benchDeployments * benchReplicas
	benchEvents      = 100000
	benchBatch       = 100   // records per ConsumeLogs, like a receiver batch
	benchRecords     = 10000 // records judged per benchmark iteration
)

func benchNS(d int) string     { return "team-" + strconv.Itoa(d%10) }
func benchApp(d int) string    { return fmt.Sprintf("svc-%03d", d) }
func benchRS(d int) string     { return benchApp(d) + "-7d9f8b6c5d" }
func benchPod(d, r int) string { return fmt.Sprintf("%s-%05d", benchRS(d), r) }
func benchIP(i int) string     { return fmt.Sprintf("10.%d.%d.%d", 16+i>>16, (i>>8)&0xff, i&0xff) }

// benchPodJSON is pod r of Deployment d as the API server sends it.
func benchPodJSON(b *testing.B, d, r int, now time.Time) []byte {
	i := d*benchReplicas + r
	yes := true
	grace := int64(30)
	created := metav1.NewTime(now.Add(-2 * time.Hour))
	ready := r%20 != 0
	readyStatus := corev1.ConditionTrue
	readySince := created
	if !ready {
		readyStatus, readySince = corev1.ConditionFalse, metav1.NewTime(now.Add(-time.Duration(r)*time.Second))
	}
	app := benchApp(d)
	p := &corev1.Pod{
		TypeMeta: metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{
			Name: benchPod(d, r), GenerateName: benchRS(d) + "-", Namespace: benchNS(d),
			UID:               types.UID(fmt.Sprintf("0c6a1f2e-5b7d-4c3e-9a8f-%012d", i)),
			ResourceVersion:   strconv.Itoa(4000000 + i),
			CreationTimestamp: created,
			Labels:            map[string]string{"app.kubernetes.io/name": app, "app.kubernetes.io/part-of": "shop", "pod-template-hash": "7d9f8b6c5d"},
			Annotations: map[string]string{
				"kubectl.kubernetes.io/restartedAt": "2026-11-01T08:00:00Z",
				"prometheus.io/scrape":              "true", "prometheus.io/port": "9090",
				"cni.projectcalico.org/podIP": benchIP(i) + "/32",
			},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: benchRS(d), UID: types.UID(fmt.Sprintf("7d1b2c3a-0e9f-4a8b-8c7d-%012d", d)), Controller: &yes, BlockOwnerDeletion: &yes}},
			ManagedFields: []metav1.ManagedFieldsEntry{
				{Manager: "kube-controller-manager", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "v1", Time: &created, FieldsType: "FieldsV1",
					FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:metadata":{"f:generateName":{},"f:labels":{".":{},"f:app.kubernetes.io/name":{},"f:pod-template-hash":{}},"f:ownerReferences":{".":{},"k:{\"uid\":\"x\"}":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:env":{},"f:image":{},"f:name":{},"f:ports":{},"f:readinessProbe":{},"f:resources":{}}}}}`)}},
				{Manager: "kubelet", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "v1", Time: &created, FieldsType: "FieldsV1", Subresource: "status",
					FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:status":{"f:conditions":{"k:{\"type\":\"Ready\"}":{".":{},"f:lastProbeTime":{},"f:lastTransitionTime":{},"f:status":{},"f:type":{}}},"f:containerStatuses":{},"f:hostIP":{},"f:phase":{},"f:podIP":{},"f:podIPs":{},"f:startTime":{}}}`)}},
			},
		},
		Spec: corev1.PodSpec{
			NodeName:                      fmt.Sprintf("node-%02d", i%50),
			ServiceAccountName:            app,
			TerminationGracePeriodSeconds: &grace,
			Volumes: []corev1.Volume{
				{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: app + "-config"}}}},
				{Name: "kube-api-access-x2x4z", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token"}}}}}},
			},
			Containers: []corev1.Container{{
				Name:  "app",
				Image: "registry.example.com/shop/" + app + ":1.42.0",
				Env: []corev1.EnvVar{
					{Name: "PORT", Value: "8080"}, {Name: "LOG_LEVEL", Value: "info"},
					{Name: "DATABASE_URL", Value: "postgres://" + app + "@db:5432/" + app},
					{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
				},
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}, {Name: "metrics", ContainerPort: 9090, Protocol: corev1.ProtocolTCP}},
				Resources: corev1.ResourceRequirements{
					Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("512Mi"), corev1.ResourceCPU: resource.MustParse("1")},
					Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi"), corev1.ResourceCPU: resource.MustParse("100m")},
				},
				ReadinessProbe: &corev1.Probe{
					ProbeHandler:   corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready", Port: intstr.FromString("http")}},
					TimeoutSeconds: 1, PeriodSeconds: 5, FailureThreshold: 3, SuccessThreshold: 1,
				},
				LivenessProbe: &corev1.Probe{
					ProbeHandler:   corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/live", Port: intstr.FromString("http")}},
					TimeoutSeconds: 1, PeriodSeconds: 10, FailureThreshold: 3, SuccessThreshold: 1,
				},
				Lifecycle:                &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 5}}},
				VolumeMounts:             []corev1.VolumeMount{{Name: "config", MountPath: "/etc/app"}, {Name: "kube-api-access-x2x4z", MountPath: "/var/run/secrets/kubernetes.io/serviceaccount", ReadOnly: true}},
				TerminationMessagePath:   "/dev/termination-log",
				TerminationMessagePolicy: corev1.TerminationMessageReadFile,
				ImagePullPolicy:          corev1.PullIfNotPresent,
			}},
			DNSPolicy:     corev1.DNSClusterFirst,
			RestartPolicy: corev1.RestartPolicyAlways,
			SchedulerName: "default-scheduler",
			Tolerations: []corev1.Toleration{
				{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute},
				{Key: "node.kubernetes.io/unreachable", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute},
			},
		},
		Status: corev1.PodStatus{
			Phase:     corev1.PodRunning,
			HostIP:    fmt.Sprintf("192.168.1.%d", i%50),
			HostIPs:   []corev1.HostIP{{IP: fmt.Sprintf("192.168.1.%d", i%50)}},
			PodIP:     benchIP(i),
			PodIPs:    []corev1.PodIP{{IP: benchIP(i)}},
			StartTime: &created,
			QOSClass:  corev1.PodQOSBurstable,
			Conditions: []corev1.PodCondition{
				{Type: corev1.PodReadyToStartContainers, Status: corev1.ConditionTrue, LastTransitionTime: created},
				{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: created},
				{Type: corev1.PodReady, Status: readyStatus, LastTransitionTime: readySince},
				{Type: corev1.ContainersReady, Status: readyStatus, LastTransitionTime: readySince},
				{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: created},
			},
			ContainerStatuses: []corev1.ContainerStatus{{
				Name: "app", Ready: ready, Started: &yes,
				Image:       "registry.example.com/shop/" + app + ":1.42.0",
				ImageID:     "registry.example.com/shop/" + app + "@sha256:4f1c0e2b9a8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e",
				ContainerID: fmt.Sprintf("containerd://%064d", i),
				State:       corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: created}},
			}},
		},
	}
	if r%10 == 1 {
		cs := &p.Status.ContainerStatuses[0]
		cs.RestartCount = 1
		cs.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: 137, Reason: "OOMKilled", ContainerID: fmt.Sprintf("containerd://%064d", i+1),
			StartedAt: created, FinishedAt: metav1.NewTime(now.Add(-time.Duration(r) * time.Second)),
		}}
	}
	js, err := json.Marshal(p)
	require.NoError(b, err)
	return js
}

// benchState loads the cluster into s and returns the heap it retains per
// pod (everything but events) and per event.
func benchState(b *testing.B, s *cluster.Store, now time.Time) (perPod, perEvent float64) {
	// The state arrives as informers deliver it to a gateway that has been
	// watching all along (the records' times are in a watched window); a
	// store judging unwatched times reconstructs readiness per endpoint
	// instead, the replay's case, not the gateway's.
	s.StartWatching(now.Add(-24 * time.Hour))
	decoder := scheme.Codecs.UniversalDeserializer()
	strip := func(obj any, fn func(any) (any, error)) any {
		out, err := fn(obj)
		require.NoError(b, err)
		return out
	}
	yes := true
	replicas := int32(benchReplicas)
	seen := now.Add(-time.Hour)
	before := heapAfterGC()
	for d := 0; d < benchDeployments; d++ {
		ns, app := benchNS(d), benchApp(d)
		depUID := types.UID(fmt.Sprintf("5a1b2c3a-0e9f-4a8b-8c7d-%012d", d))
		s.UpsertDeployment(strip(&appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: app, UID: depUID, Generation: 3, Annotations: map[string]string{"deployment.kubernetes.io/revision": "3"}},
			Spec: appsv1.DeploymentSpec{
				Replicas: &replicas,
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": app}},
				Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType},
			},
			Status: appsv1.DeploymentStatus{ObservedGeneration: 3, Replicas: replicas, ReadyReplicas: replicas - 5, AvailableReplicas: replicas - 5, UpdatedReplicas: replicas},
		}, cluster.StripDeployment).(*appsv1.Deployment), seen)
		s.UpsertReplicaSet(strip(&appsv1.ReplicaSet{
			ObjectMeta: metav1.ObjectMeta{
				Namespace: ns, Name: benchRS(d), UID: types.UID(fmt.Sprintf("7d1b2c3a-0e9f-4a8b-8c7d-%012d", d)),
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: app, UID: depUID, Controller: &yes}},
			},
			Spec:   appsv1.ReplicaSetSpec{Replicas: &replicas},
			Status: appsv1.ReplicaSetStatus{Replicas: replicas, ReadyReplicas: replicas - 5, AvailableReplicas: replicas - 5},
		}, cluster.StripReplicaSet).(*appsv1.ReplicaSet), seen)
		s.UpsertService(strip(&corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: app, ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}},
			Spec: corev1.ServiceSpec{
				Selector:  map[string]string{"app.kubernetes.io/name": app},
				ClusterIP: fmt.Sprintf("10.96.%d.%d", d/256, d%256),
				Ports:     []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http"), Protocol: corev1.ProtocolTCP}},
			},
		}, cluster.StripService).(*corev1.Service), seen)
		eps := make([]discoveryv1.Endpoint, benchReplicas)
		for r := range eps {
			i := d*benchReplicas + r
			js := benchPodJSON(b, d, r, now)
			obj, _, err := decoder.Decode(js, nil, nil)
			require.NoError(b, err)
			pod := strip(obj, cluster.StripPod).(*corev1.Pod)
			s.UpsertPod(pod, seen)
			ready := r%20 != 0
			eps[r] = discoveryv1.Endpoint{
				Addresses:  []string{benchIP(i)},
				Conditions: discoveryv1.EndpointConditions{Ready: &ready, Serving: &ready},
				NodeName:   &pod.Spec.NodeName,
				TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: pod.Name, UID: pod.UID},
			}
		}
		s.UpsertEndpointSlice(strip(&discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Namespace: ns, Name: app + "-x7k2p", Labels: map[string]string{discoveryv1.LabelServiceName: app}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Endpoints:   eps,
			Ports:       []discoveryv1.EndpointPort{{Name: ptrTo("http"), Port: ptrTo(int32(8080)), Protocol: ptrTo(corev1.ProtocolTCP)}},
		}, cluster.StripEndpointSlice).(*discoveryv1.EndpointSlice), seen)
	}
	afterPods := heapAfterGC()
	reasons := []struct{ typ, reason, msg string }{
		{"Warning", "Unhealthy", "Readiness probe failed: Get \"http://%s:8080/ready\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"},
		{"Normal", "Pulled", "Container image \"registry.example.com/shop/app:1.42.0\" already present on machine and can be accessed by the pod (%s)"},
		{"Normal", "Created", "Created container: app (%s)"},
		{"Normal", "Started", "Started container app (%s)"},
		{"Warning", "BackOff", "Back-off restarting failed container app in pod (%s)"},
	}
	for e := 0; e < benchEvents; e++ {
		i := e % benchPods
		d, r := i/benchReplicas, i%benchReplicas
		k := reasons[e%len(reasons)]
		if k.reason == "BackOff" && r%10 != 1 {
			k = reasons[0]
		}
		last := now.Add(-time.Duration(e%600) * time.Second)
		ev := &corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{Namespace: benchNS(d), Name: benchPod(d, r) + "." + strconv.FormatInt(int64(1e9+e), 16), CreationTimestamp: metav1.NewTime(last.Add(-time.Minute))},
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: benchNS(d), Name: benchPod(d, r), UID: types.UID(fmt.Sprintf("0c6a1f2e-5b7d-4c3e-9a8f-%012d", i)), APIVersion: "v1", FieldPath: "spec.containers{app}"},
			Reason:         k.reason,
			Type:           k.typ,
			Message:        fmt.Sprintf(k.msg, benchIP(i)),
			Count:          int32(1 + e%5),
			FirstTimestamp: metav1.NewTime(last.Add(-time.Minute)), LastTimestamp: metav1.NewTime(last),
			Source: corev1.EventSource{Component: "kubelet", Host: fmt.Sprintf("node-%02d", i%50)},
		}
		s.AddCoreEvent(strip(ev, cluster.StripEvent).(*corev1.Event))
	}
	afterEvents := heapAfterGC()
	return float64(afterPods-before) / benchPods, float64(afterEvents-afterPods) / benchEvents
}

func heapAfterGC() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// benchLogs builds the records of one iteration, in batches: failed
// requests to random pods, with the error mix of a bad day. With storm set,
// 19 of 20 records are one incident instead: connection refused by one pod
// within the same second (a crash behind a busy Service); the rest are as
// without it.
func benchLogs(now time.Time, seed int, storm bool) []plog.Logs {
	kinds := []struct{ kind, msg, origin string }{
		{schema.ErrConnectRefused, "connect() failed (111: Connection refused) while connecting to upstream", schema.OriginGateway},
		{schema.ErrPrematureClose, "upstream prematurely closed connection while reading response header from upstream", schema.OriginGateway},
		{schema.ErrReadTimeout, "upstream timed out (110: Operation timed out) while reading response header from upstream", schema.OriginGateway},
		{schema.ErrConnectionReset, "recv() failed (104: Connection reset by peer) while reading response header from upstream", schema.OriginGateway},
		{"", "", schema.OriginUpstream},
	}
	out := make([]plog.Logs, 0, benchRecords/benchBatch)
	x := uint32(seed*7919 + 1)
	for n := 0; n < benchRecords; n += benchBatch {
		ld := plog.NewLogs()
		rl := ld.ResourceLogs().AppendEmpty()
		res := rl.Resource().Attributes()
		res.PutStr(schema.K8sNamespaceName, "ingress-nginx")
		res.PutStr(schema.K8sPodName, "ingress-nginx-controller-6c9d5f7b8-x2x4z")
		res.PutStr(schema.K8sPodUID, "3f0d8c1e-2b4a-4c6d-8e9f-0a1b2c3d4e5f")
		res.PutStr(schema.K8sContainerName, "controller")
		sl := rl.ScopeLogs().AppendEmpty()
		sl.Scope().SetName("github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver")
		lrs := sl.LogRecords()
		lrs.EnsureCapacity(benchBatch)
		for k := 0; k < benchBatch; k++ {
			x = x*1664525 + 1013904223
			i := int(x>>8) % benchPods
			kind := kinds[int(x>>4)%len(kinds)]
			ts := now.Add(-time.Duration(x%30000) * time.Millisecond)
			if storm && x%20 != 0 {
				i, kind = 3*benchReplicas+5, kinds[0]
				ts = now.Add(-time.Duration(x%1000) * time.Microsecond)
			}
			d := i / benchReplicas
			addr := benchIP(i) + ":8080"
			lr := lrs.AppendEmpty()
			lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
			lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(ts.Add(time.Millisecond)))
			lr.SetSeverityNumber(plog.SeverityNumberError)
			lr.SetSeverityText("ERROR")
			upstream := benchNS(d) + "-" + benchApp(d) + "-80"
			lr.Body().SetStr(`10.0.0.1 - - [` + ts.Format("02/Jan/2006:15:04:05 -0700") + `] "GET /api/v1/items?page=2 HTTP/1.1" 502 150 "-" "Mozilla/5.0" 412 0.012 [` + upstream + `] [] ` + addr + ` 0 0.012 502 8b1c2d3e4f5a6b7c`)
			a := lr.Attributes()
			a.EnsureCapacity(24)
			a.PutStr(schema.Gateway, "ingress-nginx")
			a.PutStr(schema.HTTPRequestMethod, "GET")
			a.PutStr(schema.URLPath, "/api/v1/items")
			a.PutStr(schema.URLQuery, "page=2")
			a.PutStr(schema.NetworkProtocolVersion, "1.1")
			a.PutInt(schema.HTTPResponseStatusCode, 502)
			a.PutInt(schema.HTTPResponseBodySize, 150)
			a.PutInt(schema.HTTPRequestSize, 412)
			a.PutStr(schema.ClientAddress, "10.0.0.1")
			a.PutStr(schema.UserAgentOriginal, "Mozilla/5.0")
			a.PutStr(schema.ServerAddress, "shop.example.com")
			a.PutStr(schema.RequestID, "8b1c2d3e4f5a6b7c")
			a.PutDouble(schema.RequestDuration, 0.012)
			a.PutStr(schema.UpstreamName, upstream)
			a.PutEmptySlice(schema.UpstreamAddresses).AppendEmpty().SetStr(addr)
			a.PutEmptySlice(schema.UpstreamStatuses).AppendEmpty().SetStr("502")
			a.PutEmptySlice(schema.UpstreamResponseTimes).AppendEmpty().SetDouble(0.012)
			a.PutEmptySlice(schema.UpstreamResponseLengths).AppendEmpty().SetInt(0)
			a.PutStr(schema.Origin, kind.origin)
			a.PutStr(schema.Outcome, schema.OutcomeFailed)
			if kind.kind != "" {
				a.PutStr(schema.ErrorKind, kind.kind)
				a.PutStr(schema.ErrorMessage, kind.msg)
				a.PutStr(schema.ErrorUpstream, addr)
				a.PutInt(schema.ErrorCount, 1)
				a.PutEmptySlice(schema.ErrorKinds).AppendEmpty().SetStr(kind.kind)
			}
		}
		out = append(out, ld)
	}
	return out
}

// BenchmarkAnnotate judges k8s502 records against a 10k-pod cluster through
// the processor's ConsumeLogs (decision_wait 0). Targets: 200k records/s
// per core, 8 KiB of state per pod.
//
//	go test -run '^$' -bench BenchmarkAnnotate -cpu 1 -benchtime 3x ./processor/correlate502processor/
func BenchmarkAnnotate(b *testing.B) {
	now := time.Now()
	proc, sink := benchProcessor(b, RequestDetailFull)
	b.Cleanup(func() { require.NoError(b, proc.Shutdown(context.Background())) })
	s := proc.(*logsProcessor).c.store
	perPod, perEvent := benchState(b, s, now)
	st := s.Stats()
	require.Equal(b, benchPods, st["pods"])
	require.Equal(b, benchEvents, st["events"])

	b.Run("ConsumeLogs", func(b *testing.B) {
		causes := map[string]int{}
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			consumeBench(b, proc, sink, now, i, false)
			if i == 0 {
				for _, ld := range sink.AllLogs() {
					lrs := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
					for k := 0; k < lrs.Len(); k++ {
						causes[str(lrs.At(k).Attributes(), schema.Cause)]++
					}
				}
			}
			b.StartTimer()
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N*benchRecords)/b.Elapsed().Seconds(), "records/s")
		b.ReportMetric(perPod, "B/pod")
		b.ReportMetric(perEvent, "B/event")
		var mix []string
		for c, n := range causes {
			mix = append(mix, fmt.Sprintf("%s=%d", c, n))
		}
		slices.Sort(mix)
		b.Logf("causes of %d records: %s", benchRecords, strings.Join(mix, " "))
	})
	// The rules alone, on facts read from the records with the timer
	// stopped: what judging a distinct record costs before any pdata write.
	b.Run("Rules", func(b *testing.B) {
		c := proc.(*logsProcessor).c
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			var facts []diagnose.Facts
			for _, ld := range benchLogs(now, i, false) {
				rl := ld.ResourceLogs().At(0)
				lrs := rl.ScopeLogs().At(0).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					facts = append(facts, factsOf(rl.Resource().Attributes(), lrs.At(k)))
				}
			}
			// The records were built only to read facts from: collect them
			// now, so their collection is not timed as the rules' own.
			runtime.GC()
			b.StartTimer()
			for _, f := range facts {
				diagnose.Diagnose(f, c.store, c.diag)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N*benchRecords)/b.Elapsed().Seconds(), "records/s")
	})
	// The rules alone, without the processor around them: what the
	// diagnosis costs, apart from moving records and the telemetry.
	b.Run("Diagnose", func(b *testing.B) {
		c := proc.(*logsProcessor).c
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			batches := benchLogs(now, i, false)
			runtime.GC() // the last iteration's records, not this one's work
			b.StartTimer()
			for _, ld := range batches {
				rl := ld.ResourceLogs().At(0)
				lrs := rl.ScopeLogs().At(0).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					r := diagnose.Diagnose(factsOf(rl.Resource().Attributes(), lrs.At(k)), c.store, c.diag)
					annotate(lrs.At(k), r, true)
				}
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N*benchRecords)/b.Elapsed().Seconds(), "records/s")
	})
}

// BenchmarkStorm is BenchmarkAnnotate/ConsumeLogs with storm-shaped input:
// one incident dominates (see benchLogs), so most records reuse the
// judgement of their incident second. Target: 1M records/s per core.
//
//	go test -run '^$' -bench BenchmarkStorm -cpu 1 -benchtime 3x ./processor/correlate502processor/
func BenchmarkStorm(b *testing.B) {
	now := time.Now()
	for _, detail := range []string{RequestDetailFull, RequestDetailBrief} {
		proc, sink := benchProcessor(b, detail)
		benchState(b, proc.(*logsProcessor).c.store, now)
		b.Run("request_detail="+detail, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				consumeBench(b, proc, sink, now, i, true)
				b.StartTimer()
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N*benchRecords)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchRecords), "ns/record")
		})
		require.NoError(b, proc.Shutdown(context.Background()))
	}
}

// benchProcessor is a started processor without a cluster or decision_wait,
// writing into the returned sink.
func benchProcessor(b *testing.B, detail string) (processor.Logs, *consumertest.LogsSink) {
	cfg := createDefaultConfig().(*Config)
	cfg.AuthType = AuthTypeNone
	cfg.DecisionWait = 0
	cfg.RequestDetail = detail
	sink := new(consumertest.LogsSink)
	proc, err := NewFactory().CreateLogs(context.Background(), nopSettings(), cfg, sink)
	require.NoError(b, err)
	require.NoError(b, proc.Start(context.Background(), componenttest.NewNopHost()))
	return proc, sink
}

// consumeBench runs iteration i: its records (built with the timer
// stopped) through ConsumeLogs, timed, then checks every one came out. It
// returns with the timer stopped.
func consumeBench(b *testing.B, proc processor.Logs, sink *consumertest.LogsSink, now time.Time, i int, storm bool) {
	b.StopTimer()
	sink.Reset()
	batches := benchLogs(now, i, storm)
	runtime.GC() // the last iteration's records, not this one's work
	b.StartTimer()
	for _, ld := range batches {
		if err := proc.ConsumeLogs(context.Background(), ld); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if n := requestRecords(sink.AllLogs()); n != benchRecords {
		b.Fatalf("%d records out, want %d", n, benchRecords)
	}
}
