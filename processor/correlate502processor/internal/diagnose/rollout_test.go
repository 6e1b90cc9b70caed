package diagnose

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// A rolling update of checkout (3 replicas) to ReplicaSet checkout-5f6d7c8b9a
// began 40s before the request. New pod C turned Ready 3s before it and
// refused the connection; old pod B was being removed at the same time.
func TestRolloutGap(t *testing.T) {
	const (
		newRS = "checkout-5f6d7c8b9a"
		podC  = "checkout-5f6d7c8b9a-q9w2e"
		ipC   = "10.1.2.5"
	)
	targetC := &Target{Namespace: ns, Service: "checkout", Port: "80", Pod: podC, Node: "node-c", Workload: "Deployment/checkout", Address: ipC + ":8080"}
	fixed := func(v int) *intstr.IntOrString { x := intstr.FromInt32(int32(v)); return &x }
	rollout := func(d *appsv1.Deployment, rsCreated float64, bReady bool) func(w *world) {
		return func(w *world) {
			w.deployment(d)
			w.replicaSet(mkReplicaSet(newRS, "7", at(rsCreated)), at(rsCreated))
			c := mkPod(podC, ipC, createdAt(at(rsCreated+2)), onNode("node-c"), ownedBy("ReplicaSet", newRS),
				withLabels(map[string]string{"app": "checkout", "pod-template-hash": "5f6d7c8b9a"}))
			w.pod(c, at(rsCreated+2))
			withReady(true, at(-3))(c)
			w.pod(c, at(-3))
			w.endpoints("checkout", at(-3), ep(ipA, podA, "node-a", true, false), ep(ipB, podB, "node-b", bReady, !bReady), ep(ipC, podC, "node-c", true, false))
		}
	}
	maxSurge0 := mkDeployment("checkout", 3, &appsv1.RollingUpdateDeployment{MaxSurge: fixed(0), MaxUnavailable: fixed(1)})
	slowStart := maxSurge0.DeepCopy()
	slowStart.Spec.MinReadySeconds = 30
	recreate := mkDeployment("checkout", 3, nil)
	recreate.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}
	atC := func(f *Facts) { f.ErrorUpstream, f.Addresses = ipC+":8080", []string{ipC + ":8080"} }
	window := "between " + rfc(at(-600)) + " and " + rfc(at(10))

	run(t, schema.ErrConnectRefused, msgRefused, []testCase{
		{
			name: "maxSurge 0 left 2 of 3 ready",
			setup: func(w *world) {
				rollout(maxSurge0, -40, false)(w)
				w.event("Deployment", "checkout", "ScalingReplicaSet", "Scaled down replica set checkout-7d9f8b6c5d to 1 from 2", at(-3), at(-3), 1)
			},
			facts: atC,
			want: want{
				cause: schema.CauseRolloutGap, confidence: schema.ConfidenceHigh, target: targetC,
				evidence: []string{
					"ReplicaSet shop/checkout-5f6d7c8b9a (revision 7) created at " + rfc(at(-40)),
					"event ScalingReplicaSet at " + rfc(at(-3)) + ": Scaled down replica set checkout-7d9f8b6c5d to 1 from 2",
					"deployment shop/checkout: 2/3 endpoints ready at " + rfc(t0) + "; strategy maxSurge=0 maxUnavailable=1 minReadySeconds=0",
				},
				remediation: []string{`kubectl -n shop patch deployment checkout --type merge -p '{"spec":{"minReadySeconds":10,"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1,"maxUnavailable":0}}}}'`},
			},
		},
		{
			name:  "minReadySeconds above 10 kept",
			setup: rollout(slowStart, -40, false),
			facts: atC,
			want: want{
				cause:       schema.CauseRolloutGap,
				evidence:    []string{"maxSurge=0 maxUnavailable=1 minReadySeconds=30"},
				remediation: []string{`"minReadySeconds":30`},
			},
		},
		{
			name:  "Recreate",
			setup: rollout(recreate, -40, false),
			facts: atC,
			want: want{
				cause:    schema.CauseRolloutGap,
				evidence: []string{"strategy maxSurge=0 (Recreate) maxUnavailable=100% (Recreate)"},
			},
		},
		{
			name:  "default strategy quoted",
			setup: rollout(mkDeployment("checkout", 3, nil), -40, false),
			facts: atC,
			want:  want{cause: schema.CauseRolloutGap, evidence: []string{"maxSurge=25% maxUnavailable=25%"}},
		},
		{
			name:  "rollout kept every replica ready",
			setup: rollout(mkDeployment("checkout", 3, &appsv1.RollingUpdateDeployment{MaxSurge: fixed(1), MaxUnavailable: fixed(0)}), -40, true),
			facts: atC,
			want: want{
				cause: schema.CauseUnknown, target: targetC,
				ruledOut: []string{"deployment shop/checkout was rolling out but had 3/3 ready endpoints at " + rfc(t0)},
			},
		},
		{
			name: "ReplicaSet created before the lookback",
			setup: func(w *world) {
				rollout(maxSurge0, -1200, false)(w)
			},
			facts: atC,
			want: want{
				cause:    schema.CauseUnknown,
				ruledOut: []string{"deployment shop/checkout had no rollout " + window},
			},
		},
		{
			name: "rollout began after the request, beyond the slack",
			setup: func(w *world) {
				w.deployment(maxSurge0)
				w.replicaSet(mkReplicaSet(newRS, "7", at(30)), at(30))
				w.event("Deployment", "checkout", "ScalingReplicaSet", "Scaled up replica set checkout-5f6d7c8b9a to 1", at(30), at(30), 1)
				w.endpoints("checkout", at(31), ep(ipA, podA, "node-a", true, false))
			},
			want: want{
				cause: schema.CauseUnknown, target: &targetA,
				ruledOut: []string{"deployment shop/checkout had no rollout " + window},
			},
		},
		{
			// A rollout of another workload in the namespace says nothing
			// about pod A.
			name: "the pod is not a Deployment's",
			setup: func(w *world) {
				rollout(maxSurge0, -40, false)(w)
				w.pod(mkPod(podA, ipA, ownedBy("StatefulSet", "checkout")), at(-3600))
			},
			want: want{
				cause:  schema.CauseUnknown,
				target: targetWith(func(t *Target) { t.Workload = "StatefulSet/checkout" }),
			},
		},
	})
}
