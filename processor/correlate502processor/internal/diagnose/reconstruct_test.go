package diagnose

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
)

// afterTheFact is a store loaded the way a snapshot taken after recovery
// loads it: never watching, and the objects as they looked afterwards.
func afterTheFact(t *testing.T) *world {
	return &world{t: t, s: cluster.NewStore(testCfg.Lookback)}
}

// snapshotShop loads the shop as a dump does: each object once, as it
// looked afterwards, with no time seen (history dated by the objects), and
// pods a and b listed in the Service's EndpointSlice as their Ready
// conditions say now.
func snapshotShop(t *testing.T, a, b *corev1.Pod) *world {
	w := afterTheFact(t)
	var zero time.Time
	w.namespace(ns, map[string]string{"kubernetes.io/metadata.name": ns})
	w.deployment(mkDeployment("checkout", 2, nil))
	w.replicaSet(mkReplicaSet(rsName, "6", at(-2*24*3600)), zero)
	w.service(mkService("checkout", map[string]string{"app": "checkout"}))
	w.pod(a, zero)
	w.pod(b, zero)
	readyNow := func(p *corev1.Pod) bool { return p.Status.Conditions[0].Status == corev1.ConditionTrue }
	w.endpoints("checkout", zero, ep(ipA, podA, "node-a", readyNow(a), a.DeletionTimestamp != nil), ep(ipB, podB, "node-b", readyNow(b), false))
	return w
}

// Class 1 of issue 11: both pods crashed and restarted; ingress-nginx
// answered 503 (no active endpoint) while they were not Ready; the dump
// taken afterwards shows them Ready and listed ready. Their Ready
// conditions' lastTransitionTime (after the 503) says they were not Ready
// then, and the crash says why: pod_crash (what broke; "no endpoints" is the
// symptom), reconstructed, medium. Their twin with old restarts, Ready long
// before the 503, is not blamed.
func TestReadinessReconstructedFromSnapshot(t *testing.T) {
	build := func(t *testing.T, readySince time.Time) *world {
		return snapshotShop(t,
			mkPod(podA, ipA, lastTerminated("OOMKilled", 137, 3, at(-20)), withReady(true, readySince)),
			mkPod(podB, ipB, onNode("node-b"), lastTerminated("OOMKilled", 137, 2, at(-19)), withReady(true, readySince.Add(time.Second))))
	}
	f := failedAt("", "")
	noUpstream(&f)

	got := build(t, at(15)).diagnose(f)
	assert.Equal(t, schema.CausePodCrash, got.Cause, "%v", got.Evidence)
	assert.Equal(t, schema.ConfidenceMedium, got.Confidence)
	assert.Equal(t, podA, got.Target.Pod)
	containsSome(t, "evidence", got.Evidence, []string{
		"reconstructed: endpoint 10.1.2.3 (pod shop/" + podA + ") is listed ready=true in the state the collector was shown, but the pod's Ready condition changed at " + rfc(at(15)),
		"service shop/checkout had no ready endpoints at " + rfc(t0),
		"the collector was not watching the cluster at " + rfc(t0),
	})

	// Old restarts, Ready for an hour: the endpoints were ready.
	got = build(t, at(-3600)).diagnose(f)
	assert.NotEqual(t, schema.CauseNoEndpoints, got.Cause)
	containsSome(t, "ruled out", got.RuledOut, []string{"service shop/checkout had 2 ready endpoint(s) at " + rfc(t0)})

	// The same 503 judged live (the store watched the pods go unready):
	// the crash at high, nothing reconstructed.
	w := newWorld(t)
	w.shop()
	w.pod(mkPod(podA, ipA, lastTerminated("OOMKilled", 137, 3, at(-20)), withReady(false, at(-20))), at(-20))
	w.pod(mkPod(podB, ipB, onNode("node-b"), lastTerminated("OOMKilled", 137, 2, at(-19)), withReady(false, at(-19))), at(-19))
	w.endpoints("checkout", at(-19), ep(ipA, podA, "node-a", false, false), ep(ipB, podB, "node-b", false, false))
	got = w.diagnose(f)
	assert.Equal(t, schema.CausePodCrash, got.Cause)
	assert.Equal(t, schema.ConfidenceHigh, got.Confidence)
	containsSome(t, "evidence", got.Evidence, []string{"service shop/checkout had no ready endpoints at " + rfc(t0), "every pod of the Service was not Ready"})
	for _, e := range got.Evidence {
		assert.NotContains(t, e, "reconstructed")
	}
}

// A high verdict resting on history the store did not watch is medium at
// most; one resting on the container's own termination time stays high.
func TestUnwatchedCapsHistoryVerdicts(t *testing.T) {
	f := failedAt(schema.ErrConnectRefused, msgRefused)
	live := newWorld(t)
	live.shop()
	live.pod(mkPod(podA, ipA, deleting(at(-4), 30)), at(-4))
	live.endpoints("checkout", at(-3.5), ep(ipA, podA, "node-a", false, true), ep(ipB, podB, "node-b", true, false))
	assert.Equal(t, schema.ConfidenceHigh, live.diagnose(f).Confidence)
	later := snapshotShop(t, mkPod(podA, ipA, deleting(at(-4), 30), withReady(false, at(-4))), mkPod(podB, ipB, onNode("node-b")))
	got := later.diagnose(f)
	assert.Equal(t, schema.CausePodTermination, got.Cause)
	assert.Equal(t, schema.ConfidenceMedium, got.Confidence)

	crashed := snapshotShop(t, mkPod(podA, ipA, lastTerminated("OOMKilled", 137, 4, at(-2)), withReady(false, at(-2))), mkPod(podB, ipB, onNode("node-b")))
	got = crashed.diagnose(f)
	assert.Equal(t, schema.CausePodCrash, got.Cause)
	assert.Equal(t, schema.ConfidenceHigh, got.Confidence, "the pod's own termination at that second")
}

// Every pod of the Service was not Ready because its readiness probe was
// failing: the 503 is the probe's doing (readiness_probe, naming the pod);
// not Ready with no probe failure on record stays no_endpoints.
func TestNoEndpointsNamesWhatBroke(t *testing.T) {
	build := func(t *testing.T, probeEvents bool) *world {
		w := newWorld(t)
		w.shop()
		w.pod(mkPod(podA, ipA, withReady(false, at(-30))), at(-30))
		w.pod(mkPod(podB, ipB, onNode("node-b"), withReady(false, at(-28))), at(-28))
		w.endpoints("checkout", at(-27), ep(ipA, podA, "node-a", false, false), ep(ipB, podB, "node-b", false, false))
		if probeEvents {
			w.event("Pod", podB, "Unhealthy", "Readiness probe failed: Get \"http://10.1.2.4:8080/ready\": context deadline exceeded", at(-40), at(-2), 9)
		}
		return w
	}
	f := failedAt("", "")
	noUpstream(&f)
	got := build(t, true).diagnose(f)
	assert.Equal(t, schema.CauseReadinessProbe, got.Cause, "%v", got.Evidence)
	assert.Equal(t, podB, got.Target.Pod)
	containsSome(t, "evidence", got.Evidence, []string{"service shop/checkout had no ready endpoints", "event Unhealthy on pod shop/" + podB})

	got = build(t, false).diagnose(f)
	assert.Equal(t, schema.CauseNoEndpoints, got.Cause)
	assert.Empty(t, got.Target.Pod)
}
