package diagnose

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// Pods already gone: checkout ran a third pod Z (ReplicaSet
// checkout-7d9f8b6c5d) at 10.1.2.9 that was deleted before the collector's
// state was captured. Only events still name it; the request failed at its
// address.
func TestPodsGone(t *testing.T) {
	const (
		podZ  = "checkout-7d9f8b6c5d-zzzzz"
		ipZ   = "10.1.2.9"
		addrZ = ipZ + ":8080"
		newRS = "checkout-5f6d7c8b9a"
		podC  = "checkout-5f6d7c8b9a-q9w2e"
		ipC   = "10.1.2.5"
	)
	atZ := func(f *Facts) { f.ErrorUpstream, f.Addresses = addrZ, []string{addrZ} }
	goneTarget := &Target{Namespace: ns, Service: "checkout", Port: "80", Workload: "Deployment/checkout", Address: addrZ}
	unknown := addrZ + " belongs to no pod the collector knows: none held " + ipZ + " at " + rfc(t0)
	fixed := func(v int) *intstr.IntOrString { x := intstr.FromInt32(int32(v)); return &x }
	scaledDown := func(sec float64, to string) func(w *world) {
		return func(w *world) {
			w.event("Deployment", "checkout", "ScalingReplicaSet", "Scaled down replica set "+rsName+" to "+to, at(sec), at(sec), 1)
		}
	}
	// deleteZ records the events the deletion of Z leaves: the ReplicaSet
	// controller's and the kubelet's.
	deleteZ := func(sec float64, successfulDelete bool) func(w *world) {
		return func(w *world) {
			if successfulDelete {
				w.event("ReplicaSet", rsName, "SuccessfulDelete", "Deleted pod: "+podZ, at(sec), at(sec), 1)
			}
			w.event("Pod", podZ, "Killing", "Stopping container app", at(sec), at(sec), 1)
		}
	}
	// rollout creates ReplicaSet checkout-5f6d7c8b9a at -40 (Deployment
	// of 3 with strategy ru) and its pod C, Ready at -20 when cReady; the
	// EndpointSlice then lists A, B and C.
	rollout := func(ru *appsv1.RollingUpdateDeployment, cReady bool) func(w *world) {
		return func(w *world) {
			w.deployment(mkDeployment("checkout", 3, ru))
			w.replicaSet(mkReplicaSet(newRS, "7", at(-40)), at(-40))
			w.event("Deployment", "checkout", "ScalingReplicaSet", "Scaled up replica set "+newRS+" to 1", at(-38), at(-38), 1)
			c := mkPod(podC, ipC, createdAt(at(-38)), onNode("node-c"), ownedBy("ReplicaSet", newRS),
				withLabels(map[string]string{"app": "checkout", "pod-template-hash": "5f6d7c8b9a"}))
			w.pod(c, at(-38))
			if cReady {
				withReady(true, at(-20))(c)
				w.pod(c, at(-20))
			}
			w.endpoints("checkout", at(-20), ep(ipA, podA, "node-a", true, false), ep(ipB, podB, "node-b", true, false), ep(ipC, podC, "node-c", cReady, false))
		}
	}
	steps := func(fs ...func(w *world)) func(w *world) {
		return func(w *world) {
			for _, f := range fs {
				f(w)
			}
		}
	}
	window := "between " + rfc(at(-600)) + " and " + rfc(at(10))

	run(t, schema.ErrConnectRefused, msgRefused, []testCase{
		{
			name:  "scale-down: the deleted pod's address",
			setup: steps(scaledDown(-4, "2 from 3"), deleteZ(-4, true)),
			facts: atZ,
			want: want{
				cause: schema.CausePodTermination, confidence: schema.ConfidenceMedium, target: goneTarget,
				evidence: []string{
					unknown + ", while deployment shop/checkout was scaling",
					"event ScalingReplicaSet on deployment shop/checkout at " + rfc(at(-4)) + ": Scaled down replica set " + rsName + " to 2 from 3",
					"ReplicaSet shop/" + rsName + " deleted pod(s) no longer in the collector's state: " + podZ + " (SuccessfulDelete on its ReplicaSet at " + rfc(at(-4)) + ", Killing at " + rfc(at(-4)) + ")",
					"which of these pods held " + ipZ + " is not known",
					"the request came 4.0s after the last deletion before it (" + rfc(at(-4)) + ")",
				},
				notEvidence: []string{"old ReplicaSet"}, // a scale-down of the current one
				remediation: []string{
					`kubectl -n shop patch deployment/checkout --type strategic -p '{"spec":{"template":{"spec":{"terminationGracePeriodSeconds":30,"containers":[{"name":"app","lifecycle":{"preStop":{"exec":{"command":["sleep","8"]}}}}]}}}}'`,
				},
			},
		},
		{
			// Only the kubelet's Killing names the pod; the pod itself is
			// found by the ReplicaSet's name prefix.
			name: "rollout with every replica ready: Killing names the old pod",
			setup: steps(rollout(&appsv1.RollingUpdateDeployment{MaxSurge: fixed(1), MaxUnavailable: fixed(0)}, true),
				scaledDown(-5, "2 from 3"), deleteZ(-5, false)),
			facts: atZ,
			want: want{
				cause: schema.CausePodTermination, confidence: schema.ConfidenceMedium, target: goneTarget,
				evidence: []string{
					"ReplicaSet shop/" + newRS + " (revision 7) created at " + rfc(at(-40)),
					"Scaled up replica set " + newRS + " to 1",
					"old ReplicaSet shop/" + rsName + " deleted pod(s) no longer in the collector's state: " + podZ + " (Killing at " + rfc(at(-5)) + ")",
				},
				remediation: []string{`"command":["sleep","10"]`},
				notEvidence: []string{podC},
			},
		},
		{
			// maxSurge 0 removed Z before C was ready: the rollout left the
			// Service short, which explains more than Z's deletion alone.
			name: "rollout short of ready endpoints",
			setup: steps(rollout(&appsv1.RollingUpdateDeployment{MaxSurge: fixed(0), MaxUnavailable: fixed(1)}, false),
				scaledDown(-40, "2 from 3"), deleteZ(-40, true)),
			facts: atZ,
			want: want{
				cause: schema.CauseRolloutGap, confidence: schema.ConfidenceMedium, target: goneTarget,
				evidence: []string{
					unknown,
					podZ + " (SuccessfulDelete on its ReplicaSet at " + rfc(at(-40)),
					"deployment shop/checkout: 2/3 endpoints ready at " + rfc(t0) + "; strategy maxSurge=0 maxUnavailable=1 minReadySeconds=0",
				},
				remediation: []string{`kubectl -n shop patch deployment checkout --type merge -p '{"spec":{"minReadySeconds":10,"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1,"maxUnavailable":0}}}}'`, "preStop sleep on container app"},
			},
		},
		{
			// The EndpointSlice listed Z with the address: that pod held it.
			name: "the EndpointSlice still named the gone pod",
			setup: steps(scaledDown(-4, "2 from 3"), deleteZ(-4, true), func(w *world) {
				w.endpoints("checkout", at(-3.5), ep(ipA, podA, "node-a", true, false), ep(ipB, podB, "node-b", true, false), ep(ipZ, podZ, "node-c", false, true))
			}),
			facts: atZ,
			want: want{
				cause: schema.CausePodTermination, confidence: schema.ConfidenceMedium,
				target:      &Target{Namespace: ns, Service: "checkout", Port: "80", Pod: podZ, Node: "node-c", Workload: "Deployment/checkout", Address: addrZ},
				evidence:    []string{"the EndpointSlice of service shop/checkout listed " + ipZ + " as pod " + podZ + " (ready=false terminating=true) at " + rfc(t0)},
				notEvidence: []string{"is not known"},
			},
		},
		{
			// The scale-down names no pod: one it deleted may have held the
			// address.
			name:  "scale-down event only",
			setup: scaledDown(-6, "2"),
			facts: atZ,
			want: want{
				cause: schema.CausePodTermination, confidence: schema.ConfidenceMedium, target: goneTarget,
				evidence: []string{"ReplicaSet shop/" + rsName + " was scaled down at " + rfc(at(-6)) + "; no event names the pods it deleted"},
			},
		},
		{
			// A pod gone from the network times out rather than refuses.
			name:  "connect timeout to the deleted pod's address",
			setup: steps(scaledDown(-4, "2 from 3"), deleteZ(-4, true)),
			facts: func(f *Facts) { atZ(f); f.ErrorKind, f.ErrorMessage = schema.ErrConnectTimeout, msgConnTO },
			want:  want{cause: schema.CausePodTermination, confidence: schema.ConfidenceMedium, target: goneTarget},
		},
		{
			name:  "rollout, but the address is a Ready pod of the new ReplicaSet",
			setup: steps(rollout(&appsv1.RollingUpdateDeployment{MaxSurge: fixed(1), MaxUnavailable: fixed(0)}, true), scaledDown(-5, "2 from 3"), deleteZ(-5, true)),
			facts: func(f *Facts) { f.ErrorUpstream, f.Addresses = ipC+":8080", []string{ipC + ":8080"} },
			want: want{
				cause:    schema.CauseUnknown,
				target:   &Target{Namespace: ns, Service: "checkout", Port: "80", Pod: podC, Node: "node-c", Workload: "Deployment/checkout", Address: ipC + ":8080"},
				ruledOut: []string{"deployment shop/checkout was rolling out but had 3/3 ready endpoints at " + rfc(t0)},
			},
		},
		{
			name:  "unknown address, no scaling",
			facts: atZ,
			want: want{
				cause:    schema.CauseUnknown,
				target:   &Target{Namespace: ns, Service: "checkout", Port: "80", Address: addrZ},
				ruledOut: []string{unknown + ", and deployment shop/checkout had no rollout, scale-down or deletion of a pod unknown to the collector " + window},
			},
		},
		{
			// The scale-down deleted B, which the collector knows at
			// another address: it does not explain 10.1.2.9.
			name: "the deleted pod the events name is known",
			setup: func(w *world) {
				scaledDown(-4, "1 from 2")(w)
				w.event("ReplicaSet", rsName, "SuccessfulDelete", "Deleted pod: "+podB, at(-4), at(-4), 1)
				w.deletePod(mkPod(podB, ipB, onNode("node-b")), at(-4))
				w.endpoints("checkout", at(-3.5), ep(ipA, podA, "node-a", true, false))
			},
			facts: atZ,
			want: want{
				cause:    schema.CauseUnknown,
				target:   &Target{Namespace: ns, Service: "checkout", Port: "80", Address: addrZ},
				ruledOut: []string{"but no pod of it unknown to the collector was deleted before the request (the pods events name as deleted, " + podB + ", are in the collector's state and did not hold " + ipZ + ")"},
			},
		},
		{
			name:  "deletion after the request",
			setup: steps(scaledDown(3, "2 from 3"), deleteZ(3, true)),
			facts: atZ,
			want: want{
				cause:    schema.CauseUnknown,
				ruledOut: []string{"deployment shop/checkout was scaling " + window + " with 2/2 endpoints ready, but no pod of it unknown to the collector was deleted before the request"},
			},
		},
	})
}
