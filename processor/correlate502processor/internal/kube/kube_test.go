package kube

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"go.uber.org/zap/zaptest"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
)

const (
	waitFor = 10 * time.Second
	tick    = 5 * time.Millisecond
)

// watches is 7 namespaced informers per watched namespace plus the
// Namespaces informer.
func watches(namespaces int) int { return 7*namespaces + 1 }

// fakeCluster is a fake clientset that records the list and watch calls
// and tells when the informers' watches are open. The fake's watch ignores
// resourceVersion, so a change made between an informer's list and its
// watch would be lost: tests change objects only once every watch is open.
type fakeCluster struct {
	*fake.Clientset
	mu      sync.Mutex
	watches int
	calls   []k8stesting.Action
}

func newFakeCluster(objs ...runtime.Object) *fakeCluster {
	c := &fakeCluster{Clientset: fake.NewClientset(objs...)}
	c.PrependReactor("list", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		c.mu.Lock()
		c.calls = append(c.calls, a)
		c.mu.Unlock()
		return false, nil, nil
	})
	c.PrependWatchReactor("*", func(a k8stesting.Action) (bool, watch.Interface, error) {
		w, err := c.Tracker().Watch(a.GetResource(), a.GetNamespace())
		c.mu.Lock()
		c.calls = append(c.calls, a)
		if err == nil {
			c.watches++
		}
		c.mu.Unlock()
		return true, w, err
	})
	return c
}

func (c *fakeCluster) watching() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.watches
}

// namespacesOf lists the namespaces pods were listed or watched in.
func (c *fakeCluster) namespacesOf(resource string) map[string]bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]bool{}
	for _, a := range c.calls {
		if a.GetResource().Resource == resource {
			out[a.GetNamespace()] = true
		}
	}
	return out
}

func start(t *testing.T, c *fakeCluster, s *cluster.Store, namespaces ...string) *Watcher {
	t.Helper()
	w, err := Start(context.Background(), Config{Client: c, Namespaces: namespaces, Logger: zaptest.NewLogger(t)}, s)
	require.NoError(t, err)
	return w
}

// stop calls Stop and fails the test if it does not return.
func stop(t *testing.T, w *Watcher) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		w.Stop()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(waitFor):
		t.Fatal("Stop did not return")
	}
}

var since = time.Now().Add(-time.Hour).Truncate(time.Second)

// pod is a pod of Deployment checkout as the API server returns it, with
// managed fields and annotations the store does not keep.
func pod(ns, name, ip string, ready bool, readySince time.Time) *corev1.Pod {
	yes := true
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	created := metav1.NewTime(since)
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: name, UID: types.UID("uid-" + name), CreationTimestamp: created,
			Labels:          map[string]string{"app": "checkout", "pod-template-hash": "7d9f8b6c5d"},
			Annotations:     map[string]string{"kubectl.kubernetes.io/last-applied-configuration": `{"apiVersion":"v1","kind":"Pod"}`},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "checkout-7d9f8b6c5d", UID: "uid-rs", Controller: &yes}},
			ManagedFields:   []metav1.ManagedFieldsEntry{{Manager: "kubelet", Operation: metav1.ManagedFieldsOperationUpdate, FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:status":{}}`)}}},
		},
		Spec: corev1.PodSpec{
			NodeName:   "node-a",
			Containers: []corev1.Container{{Name: "app", Image: "checkout:1.42.0", Env: []corev1.EnvVar{{Name: "PORT", Value: "8080"}}, Ports: []corev1.ContainerPort{{ContainerPort: 8080}}}},
		},
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}}, StartTime: &created,
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: st, LastTransitionTime: metav1.NewTime(readySince)}},
		},
	}
}

func TestWatcherFeedsStore(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	replicas := int32(2)
	c := newFakeCluster(
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop", Labels: map[string]string{"team": "shop"}}},
		pod("shop", "checkout-a", "10.1.2.3", true, since),
		&corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "checkout", Annotations: map[string]string{"a": "b"}},
			Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": "checkout"}, Ports: []corev1.ServicePort{{Name: "http", Port: 80}}},
		},
		&discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Namespace: "shop", Name: "checkout-x7k2p", Labels: map[string]string{discoveryv1.LabelServiceName: "checkout"}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Endpoints: []discoveryv1.Endpoint{{
				Addresses:  []string{"10.1.2.3"},
				Conditions: discoveryv1.EndpointConditions{Ready: ptr(true)},
				TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: "checkout-a"},
			}},
			Ports: []discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(int32(8080))}},
		},
		&appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "checkout", UID: "uid-deploy"},
			Spec:       appsv1.DeploymentSpec{Replicas: &replicas},
		},
	)
	s := cluster.NewStore(time.Hour)
	w := start(t, c, s)
	defer stop(t, w)

	require.Eventually(t, w.Synced, waitFor, tick)
	// Synced means the store holds the initial list, not only the caches.
	info, ok := s.Pod("shop", "checkout-a")
	require.True(t, ok, "the initial list reached the store by Synced")
	assert.Empty(t, info.Pod.ManagedFields, "stripped")
	assert.Empty(t, info.Pod.Annotations, "stripped")
	assert.Empty(t, info.Pod.Spec.Containers[0].Env, "stripped")
	assert.Equal(t, "node-a", info.Pod.Spec.NodeName)
	svc, ok := s.Service("shop", "checkout")
	require.True(t, ok)
	assert.Empty(t, svc.Annotations)
	assert.Len(t, s.Endpoints("shop", "checkout", time.Now()), 1)
	_, ok = s.Deployment("shop", "checkout")
	assert.True(t, ok)
	ns, ok := s.Namespace("shop")
	require.True(t, ok)
	assert.Equal(t, "shop", ns.Labels["team"])

	require.Eventually(t, func() bool { return c.watching() == watches(1) }, waitFor, tick)
	ctx := context.Background()

	// The pod's readiness probe fails: Ready history is recorded.
	notReadyAt := time.Now().Add(-time.Minute).Truncate(time.Second)
	_, err := c.CoreV1().Pods("shop").UpdateStatus(ctx, pod("shop", "checkout-a", "10.1.2.3", false, notReadyAt), metav1.UpdateOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		ready, known := s.ReadyAt("shop", "checkout-a", notReadyAt.Add(time.Second))
		return known && !ready
	}, waitFor, tick)
	ready, known := s.ReadyAt("shop", "checkout-a", notReadyAt.Add(-time.Second))
	assert.True(t, known && ready, "Ready before the transition")

	// A new pod and an event about it.
	_, err = c.CoreV1().Pods("shop").Create(ctx, pod("shop", "checkout-b", "10.1.2.4", true, time.Now()), metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = c.CoreV1().Events("shop").Create(ctx, &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Namespace: "shop", Name: "checkout-a.1"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: "checkout-a"},
		Reason:         "Unhealthy", Type: "Warning", Message: "Readiness probe failed", Count: 3,
		FirstTimestamp: metav1.NewTime(notReadyAt.Add(-10 * time.Second)), LastTimestamp: metav1.NewTime(notReadyAt),
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, ok := s.PodByIP("10.1.2.4", time.Now())
		return ok && len(s.Events("shop", "Pod", "checkout-a", notReadyAt.Add(-time.Minute), notReadyAt)) == 1
	}, waitFor, tick)

	// The pod is deleted: its IP span closes.
	require.NoError(t, c.CoreV1().Pods("shop").Delete(ctx, "checkout-a", metav1.DeleteOptions{}))
	require.Eventually(t, func() bool {
		info, ok := s.Pod("shop", "checkout-a")
		return ok && !info.Deleted.IsZero()
	}, waitFor, tick)
	info, _ = s.Pod("shop", "checkout-a")
	_, ok = s.PodByIP("10.1.2.3", info.Deleted.Add(-time.Millisecond))
	assert.True(t, ok, "held the IP until deleted")
	_, ok = s.PodByIP("10.1.2.3", info.Deleted.Add(time.Millisecond))
	assert.False(t, ok, "not after")

	stop(t, w)
	stop(t, w) // twice is harmless
}

func TestWatcherNamespaces(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	c := newFakeCluster(
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "payments"}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "other"}},
		pod("shop", "checkout-a", "10.1.2.3", true, since),
		pod("payments", "ledger-a", "10.1.3.3", true, since),
		pod("other", "intruder-a", "10.1.4.3", true, since),
	)
	s := cluster.NewStore(time.Hour)
	w := start(t, c, s, "shop", "payments")
	defer stop(t, w)

	require.Eventually(t, w.Synced, waitFor, tick)
	_, ok := s.Pod("shop", "checkout-a")
	assert.True(t, ok)
	_, ok = s.Pod("payments", "ledger-a")
	assert.True(t, ok)
	_, ok = s.Pod("other", "intruder-a")
	assert.False(t, ok, "namespace not watched")
	// Namespaces are cluster-scoped: all are known, for policy selectors.
	_, ok = s.Namespace("other")
	assert.True(t, ok)

	require.Eventually(t, func() bool { return c.watching() == watches(2) }, waitFor, tick)
	ctx := context.Background()
	_, err := c.CoreV1().Pods("other").Create(ctx, pod("other", "intruder-b", "10.1.4.4", true, since), metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = c.CoreV1().Pods("shop").Create(ctx, pod("shop", "checkout-b", "10.1.2.4", true, since), metav1.CreateOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, ok := s.Pod("shop", "checkout-b")
		return ok
	}, waitFor, tick)
	_, ok = s.Pod("other", "intruder-b")
	assert.False(t, ok)
	// The watch never asked for more than the configured namespaces.
	assert.Equal(t, map[string]bool{"shop": true, "payments": true}, c.namespacesOf("pods"))
	assert.Equal(t, map[string]bool{"": true}, c.namespacesOf("namespaces"))
}

// TestWatcherUnreachable: Start does not wait for the API server; Synced
// stays false and Stop still returns.
func TestWatcherUnreachable(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	c := newFakeCluster()
	c.PrependReactor("list", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		c.mu.Lock()
		c.calls = append(c.calls, a)
		c.mu.Unlock()
		return true, nil, assert.AnError
	})
	s := cluster.NewStore(time.Hour)
	w := start(t, c, s)
	require.Eventually(t, func() bool { return len(c.namespacesOf("pods")) > 0 }, waitFor, tick)
	assert.False(t, w.Synced())
	stop(t, w)
	assert.False(t, w.Synced())
}

func ptr[T any](v T) *T { return &v }
