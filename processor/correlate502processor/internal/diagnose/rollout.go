package diagnose

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// rolloutGap: the target's Deployment was rolling out with too few ready
// endpoints. With maxSurge 0 a rolling update removes old pods before new
// ones are ready; without minReadySeconds a pod that turns Ready before it
// can really serve gets traffic.
func rolloutGap(j *judge) bool {
	if j.pod == nil {
		return false
	}
	w := j.workload
	if w.Kind != "Deployment" {
		return false
	}
	ns := j.pod.Pod.Namespace
	d, ok := j.s.Deployment(ns, w.Name)
	if !ok {
		return false
	}
	var started []string
	for _, rs := range j.s.ReplicaSets(ns, w.Name) {
		c := rs.CreationTimestamp.Time
		if !c.Before(j.from) && !c.After(j.to) {
			started = append(started, fmt.Sprintf("ReplicaSet %s/%s (revision %s) created at %s", ns, rs.Name, rs.Annotations["deployment.kubernetes.io/revision"], j.ts(c)))
		}
	}
	for _, e := range j.s.Events(ns, "Deployment", w.Name, j.from, j.to) {
		if e.Reason == "ScalingReplicaSet" {
			started = append(started, fmt.Sprintf("event ScalingReplicaSet at %s: %s", j.ts(e.Time), e.Message))
		}
	}
	if len(started) == 0 {
		j.ruledOut("deployment " + ns + "/" + w.Name + " had no rollout between " + j.ts(j.from) + " and " + j.ts(j.to))
		return false
	}
	desired := int32(1)
	if d.Spec.Replicas != nil {
		desired = *d.Spec.Replicas
	}
	ready := 0
	if svc := j.result.Target.Service; svc != "" {
		for _, e := range j.endpoints(ns, svc) {
			if e.Ready {
				ready++
			}
		}
	}
	if int32(ready) >= desired {
		j.ruleOut("deployment %s/%s was rolling out but had %d/%d ready endpoints at %s", ns, w.Name, ready, desired, j.ts(j.f.Time))
		return false
	}
	surge, unavail := strategy(d)
	ev := append(started, fmt.Sprintf("deployment %s/%s: %d/%d endpoints ready at %s; strategy maxSurge=%s maxUnavailable=%s minReadySeconds=%d",
		ns, w.Name, ready, desired, j.ts(j.f.Time), surge, unavail, d.Spec.MinReadySeconds))
	minReady := d.Spec.MinReadySeconds
	if minReady < 10 {
		minReady = 10
	}
	rem := fmt.Sprintf(`kubectl -n %s patch deployment %s --type merge -p '{"spec":{"minReadySeconds":%d,"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1,"maxUnavailable":0}}}}'  # surge new pods before removing old ones`, ns, w.Name, minReady)
	return j.claim(schema.CauseRolloutGap, schema.ConfidenceHigh, rem, ev...)
}

func strategy(d *appsv1.Deployment) (surge, unavailable string) {
	surge, unavailable = "25%", "25%"
	if ru := d.Spec.Strategy.RollingUpdate; ru != nil {
		if ru.MaxSurge != nil {
			surge = intOrString(*ru.MaxSurge)
		}
		if ru.MaxUnavailable != nil {
			unavailable = intOrString(*ru.MaxUnavailable)
		}
	}
	if d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
		return "0 (Recreate)", "100% (Recreate)"
	}
	return surge, unavailable
}

func intOrString(v intstr.IntOrString) string { return v.String() }
