//go:build e2e

// End-to-end: the informers against a real kube-apiserver, as the collector's
// least-privileged identity. Run with `go test -tags e2e` after
// test/e2e/tools/build.sh; skipped when the binaries are missing.
package kube_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testcluster"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/kube"
)

// correlate502Role is the processor's ClusterRole in examples/kubernetes/rbac.yaml.
const correlate502Role = "otelcol-k8s502-correlate502"

func TestInformersWithLeastPrivilege(t *testing.T) {
	c := testcluster.Start(t)
	ctx := t.Context()
	admin := c.AdminClient(t)
	collector := c.CollectorClient(t)
	c.GrantCollector(t, testcluster.CollectorRules(t, correlate502Role))

	// One object before the watch starts (found by the list), the rest after
	// (found by the watch).
	_, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: "shop", Labels: map[string]string{"team": "shop"},
	}}, metav1.CreateOptions{})
	require.NoError(t, err)

	s := cluster.NewStore(time.Hour)
	w, err := kube.Start(ctx, kube.Config{Client: collector, Logger: zaptest.NewLogger(t)}, s)
	require.NoError(t, err)
	t.Cleanup(w.Stop)
	require.Eventually(t, w.Synced, 30*time.Second, 20*time.Millisecond, "informers never synced")
	ns, ok := s.Namespace("shop")
	require.True(t, ok, "namespace listed before the watch")
	require.Equal(t, "shop", ns.Labels["team"])

	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "api-0", Namespace: "shop", Labels: map[string]string{"app": "api"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "api", Image: "example.invalid/api:1",
			Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
		}}},
	}
	pod, err = admin.CoreV1().Pods("shop").Create(ctx, pod, metav1.CreateOptions{})
	require.NoError(t, err)
	// No kubelet: write the status it would.
	pod.Status = corev1.PodStatus{
		Phase: corev1.PodRunning, PodIP: "10.1.0.7", PodIPs: []corev1.PodIP{{IP: "10.1.0.7"}},
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse, LastTransitionTime: metav1.Now()}},
	}
	_, err = admin.CoreV1().Pods("shop").UpdateStatus(ctx, pod, metav1.UpdateOptions{})
	require.NoError(t, err)

	_, err = admin.CoreV1().Services("shop").Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: "shop"},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "api"},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80}},
		},
	}, metav1.CreateOptions{})
	require.NoError(t, err)

	ready, port := false, int32(8080)
	_, err = admin.DiscoveryV1().EndpointSlices("shop").Create(ctx, &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "api-abc", Namespace: "shop", Labels: map[string]string{discoveryv1.LabelServiceName: "api"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{
			Addresses:  []string{"10.1.0.7"},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: "api-0"},
		}},
		Ports: []discoveryv1.EndpointPort{{Name: ptr("http"), Port: &port}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)

	now := metav1.Now()
	_, err = admin.CoreV1().Events("shop").Create(ctx, &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "api-0.unhealthy", Namespace: "shop"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: "api-0", UID: pod.UID},
		Type:           corev1.EventTypeWarning, Reason: "Unhealthy", Message: "Readiness probe failed",
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
		Source: corev1.EventSource{Component: "kubelet"},
	}, metav1.CreateOptions{})
	require.NoError(t, err)

	require.Eventually(t, func() bool {
		ready, known := s.ReadyAt("shop", "api-0", time.Now())
		return known && !ready
	}, 10*time.Second, 10*time.Millisecond, "pod's Ready=false status never reached the store")
	require.Eventually(t, func() bool {
		_, ok := s.Service("shop", "api")
		return ok
	}, 10*time.Second, 10*time.Millisecond, "service never reached the store")
	require.Eventually(t, func() bool {
		eps := s.Endpoints("shop", "api", time.Now())
		return len(eps) == 1 && eps[0].IP == "10.1.0.7" && eps[0].Pod == "api-0" && !eps[0].Ready
	}, 10*time.Second, 10*time.Millisecond, "endpointslice never reached the store")
	require.Eventually(t, func() bool {
		evs := s.Events("shop", "Pod", "api-0", time.Now().Add(-time.Minute), time.Now().Add(time.Minute))
		return len(evs) == 1 && evs[0].Reason == "Unhealthy"
	}, 10*time.Second, 10*time.Millisecond, "event never reached the store")

	// Least privilege: no secrets, no writes.
	_, err = collector.CoreV1().Secrets("").List(ctx, metav1.ListOptions{})
	require.Truef(t, apierrors.IsForbidden(err), "list secrets: want Forbidden, got %v", err)
	_, err = collector.CoreV1().Secrets("shop").Get(ctx, "any", metav1.GetOptions{})
	require.Truef(t, apierrors.IsForbidden(err), "get secret: want Forbidden, got %v", err)
	err = collector.CoreV1().Pods("shop").Delete(ctx, "api-0", metav1.DeleteOptions{})
	require.Truef(t, apierrors.IsForbidden(err), "delete pod: want Forbidden, got %v", err)
}

// What a missing verb on one resource does to Synced. client-go v0.35 lists
// with a streaming watch (WatchListClient) and falls back to a plain list, so
// either verb alone is enough to sync: Synced proves only that each resource
// could be read once, not that it is watched. Without watch the reflector
// keeps failing and relisting ("Failed to watch ... forbidden" in the log).
func TestMissingVerbs(t *testing.T) {
	c := testcluster.Start(t)
	collector := c.CollectorClient(t)
	full := testcluster.CollectorRules(t, correlate502Role)

	for _, tc := range []struct {
		drop       []string
		wantSynced bool
	}{
		{drop: []string{"get", "list", "watch"}, wantSynced: false},
		{drop: []string{"list"}, wantSynced: true},  // the streaming watch lists
		{drop: []string{"watch"}, wantSynced: true}, // the fallback list lists
	} {
		t.Run("no_"+strings.Join(tc.drop, "_")+"_on_endpointslices", func(t *testing.T) {
			c.GrantCollector(t, without(full, "discovery.k8s.io", "endpointslices", tc.drop...))
			require.Eventually(t, func() bool {
				return !slices.ContainsFunc(tc.drop, func(verb string) bool {
					return allowed(t, collector, "discovery.k8s.io", "endpointslices", verb)
				})
			}, 10*time.Second, 20*time.Millisecond, "RBAC change not in effect")

			w, err := kube.Start(t.Context(), kube.Config{Client: collector}, cluster.NewStore(time.Hour))
			require.NoError(t, err)
			t.Cleanup(w.Stop)
			if tc.wantSynced {
				require.Eventually(t, w.Synced, 10*time.Second, 20*time.Millisecond, "never synced without %v", tc.drop)
				return
			}
			require.Never(t, w.Synced, 5*time.Second, 50*time.Millisecond, "synced without %v on endpointslices", tc.drop)
			// Granting it back lets the retrying reflector finish.
			c.GrantCollector(t, full)
			require.Eventually(t, w.Synced, 60*time.Second, 50*time.Millisecond, "never synced after the grant")
		})
	}
}

// without copies rules, dropping verbs on group/resource.
func without(rules []rbacv1.PolicyRule, group, resource string, drop ...string) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	for _, r := range rules {
		if !slices.Contains(r.APIGroups, group) || !slices.Contains(r.Resources, resource) {
			out = append(out, r)
			continue
		}
		// Split the rule: the other resources as they were, this one with
		// the remaining verbs.
		if others := slices.DeleteFunc(slices.Clone(r.Resources), func(s string) bool { return s == resource }); len(others) > 0 {
			o := *r.DeepCopy()
			o.Resources = others
			out = append(out, o)
		}
		if verbs := slices.DeleteFunc(slices.Clone(r.Verbs), func(s string) bool { return slices.Contains(drop, s) }); len(verbs) > 0 {
			o := *r.DeepCopy()
			o.Resources, o.Verbs = []string{resource}, verbs
			out = append(out, o)
		}
	}
	return out
}

// allowed asks the API server whether the collector may verb group/resource
// in every namespace.
func allowed(t *testing.T, c kubernetes.Interface, group, resource, verb string) bool {
	t.Helper()
	r, err := c.AuthorizationV1().SelfSubjectAccessReviews().Create(t.Context(), &authorizationv1.SelfSubjectAccessReview{
		Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
			Group: group, Resource: resource, Verb: verb,
		}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	return r.Status.Allowed
}

func ptr[T any](v T) *T { return &v }
