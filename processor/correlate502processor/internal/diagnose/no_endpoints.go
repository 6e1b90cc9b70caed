package diagnose

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
)

// noEndpoints: the Service had no ready endpoint at the request's time.
// ingress-nginx then answers 503 without contacting any upstream
// (origin local). The evidence shows why: the selector matches no pod (and
// which pods nearly match), or it matches pods none of which is ready.
func noEndpoints(j *judge) bool {
	// local: the gateway contacted no pod. ingress-nginx says so with
	// origin local; HAProxy (<NOSRV>), Envoy (UH) and Traefik (no available
	// server) with a gateway status and no peer; F5 with its sentinel peer
	// (the profile's Sentinels).
	local := j.sentinel || (j.f.Origin != schema.OriginUpstream && len(j.f.Addresses) == 0 && j.f.ErrorUpstream == "")
	if j.silent {
		if j.svc == nil {
			return false // nothing in the cluster to ask: app_error judged it
		}
		// NGF's and Kong's silent 503: only the Service's endpoints at the
		// request's time can say it was theirs.
		local = true
	}
	if j.svc == nil {
		if j.sentinel {
			return j.claim(schema.CauseNoEndpoints, schema.ConfidenceHigh,
				fmt.Sprintf("kubectl get ingress -A | grep %s  # find the Service behind %s%s, then: kubectl -n <ns> get endpointslices -l kubernetes.io/service-name=<service> -o wide", orDash(j.f.Host), orDash(j.f.Host), j.f.Path),
				fmt.Sprintf("%s sent the request to %s at %s: it points the upstream of a Service without endpoints there, so nothing answers (the %d is its way of saying \"no endpoints\")", j.gw.Words, j.result.Target.Address, j.ts(j.f.Time), j.f.Status))
		}
		if local && j.f.UpstreamName == "" {
			// Traefik's "no available server" 503 names no service.
			return j.claim(schema.CauseNoEndpoints, schema.ConfidenceMedium,
				fmt.Sprintf("kubectl get ingress -A | grep %s  # find the Service behind %s%s, then: kubectl -n <ns> get endpointslices -l kubernetes.io/service-name=<service> -o wide", orDash(j.f.Host), orDash(j.f.Host), j.f.Path),
				fmt.Sprintf("%s answered %d at %s without contacting any pod and named no upstream, which is what it does for a Service without ready endpoints", j.gw.Words, j.f.Status, j.ts(j.f.Time)))
		}
		if local {
			return j.claim(schema.CauseNoEndpoints, schema.ConfidenceMedium,
				fmt.Sprintf("kubectl get endpointslices -A | grep %s  # the collector does not know a Service named like upstream %s", orDash(j.f.UpstreamName), orDash(j.f.UpstreamName)),
				fmt.Sprintf("%s answered %d for upstream %s at %s without contacting any pod (no upstream address), which is what it does for a Service without ready endpoints", j.gw.Words, j.f.Status, orDash(j.f.UpstreamName), j.ts(j.f.Time)))
		}
		return false
	}
	ns, name := j.svc.ns, j.svc.name
	svc, ok := j.s.ServiceAt(ns, name, j.f.Time) // the spec in force then (a selector fixed since)
	if !ok {
		return false
	}
	eps := j.endpoints(ns, name)
	ready := 0
	for _, e := range eps {
		if j.endpointReady(ns, e) {
			ready++
		}
	}
	if ready > 0 {
		if local {
			// ingress-nginx had not caught up, or the 503 came from elsewhere.
			j.ruledOut("service " + ns + "/" + name + " had " + strconv.Itoa(ready) + " ready endpoint(s) at " + j.ts(j.f.Time))
			return false
		}
		j.ruledOut("service " + ns + "/" + name + " had " + strconv.Itoa(ready) + " of " + strconv.Itoa(len(eps)) + " endpoint(s) ready at " + j.ts(j.f.Time))
		return false
	}
	if !local && (len(eps) > 0 || j.pod != nil) {
		// Endpoints exist but none ready, or the gateway still reached a
		// pod whose endpoint was already gone: a lifecycle rule explains it
		// better.
		return false
	}
	sel := svc.Spec.Selector
	ev := []string{fmt.Sprintf("service %s/%s had no ready endpoints at %s (%d listed)", ns, name, j.ts(j.f.Time), len(eps))}
	if j.sentinel {
		ev = append(ev, fmt.Sprintf("%s sent the request to %s, where it points the upstream of a Service without endpoints", j.gw.Words, j.result.Target.Address))
	}
	if j.silent {
		ev = append(ev, fmt.Sprintf("%s answers %d itself %s", j.gw.Words, j.f.Status, j.gw.Silent.How))
	}
	// Only pods that existed at the request's time match; those deleted
	// shortly before (a scale to zero) are worth naming.
	var matching []*cluster.PodInfo
	for _, p := range j.s.PodsForSelector(ns, sel) {
		switch {
		case p.ExistedAt(j.f.Time):
			matching = append(matching, p)
		case !p.Deleted.IsZero() && !p.Deleted.After(j.f.Time) && !p.Deleted.Before(j.from):
			ev = append(ev, fmt.Sprintf("pod %s/%s matching the selector was deleted at %s", ns, p.Pod.Name, j.ts(p.Deleted)))
		}
	}
	rem := ""
	switch {
	case len(sel) == 0:
		ev = append(ev, fmt.Sprintf("service %s/%s has no selector: its EndpointSlices must be managed by hand", ns, name))
		rem = fmt.Sprintf("kubectl -n %s get endpointslices -l kubernetes.io/service-name=%s -o yaml", ns, name)
	case len(matching) == 0:
		ev = append(ev, fmt.Sprintf("selector %s matches no pod in namespace %s", labelsString(sel), ns))
		if near, diff := nearestPod(j, ns, sel); near != "" {
			ev = append(ev, fmt.Sprintf("closest pod %s/%s differs: %s", ns, near, diff.text))
			rem = fmt.Sprintf("kubectl -n %s patch service %s --type merge -p '{\"spec\":{\"selector\":%s}}'  # or fix the pod labels: %s", ns, name, diff.patch, diff.text)
		} else {
			rem = fmt.Sprintf("kubectl -n %s get pods --show-labels  # no pod carries %s; deploy the backend or fix the selector", ns, labelsString(sel))
		}
	default:
		notReady := 0
		var unready []*cluster.PodInfo
		for _, p := range matching {
			if r, known := j.readyAt(ns, p.Pod.Name); known && !r {
				notReady++
				unready = append(unready, p)
			}
		}
		if notReady == len(matching) && j.whyUnready(unready, ev) {
			return true
		}
		ev = append(ev, fmt.Sprintf("selector %s matches %d pod(s), %d not Ready at %s", labelsString(sel), len(matching), notReady, j.ts(j.f.Time)))
		rem = fmt.Sprintf("kubectl -n %s get pods -l %s -o wide; kubectl -n %s describe pods -l %s | grep -A5 -i readiness", ns, selectorArg(sel), ns, selectorArg(sel))
	}
	return j.claim(schema.CauseNoEndpoints, schema.ConfidenceHigh, rem, ev...)
}

type labelDiff struct {
	text  string
	patch string // JSON object for the Service selector that would match the pod
}

// nearestPod finds the pod whose labels share the most selector keys, to
// show the user the likely typo or renamed label.
func nearestPod(j *judge, ns string, sel map[string]string) (string, labelDiff) {
	best, bestScore := "", 0.0
	var diff labelDiff
	for _, p := range j.s.PodsInNamespace(ns) {
		if !p.Deleted.IsZero() {
			continue
		}
		labels := p.Pod.Labels
		score := 0.0
		var diffs []string
		for k, v := range sel {
			got, ok := labels[k]
			switch {
			case ok && got == v:
				score += 2
			case ok:
				// Same key, other value: closer the more the values share
				// (app=promotions vs app=promotions-v2 beats app=accounts).
				score += 0.5 + float64(commonPrefix(got, v))/float64(max(len(got), len(v)))
				diffs = append(diffs, fmt.Sprintf("%s=%s (selector wants %s=%s)", k, got, k, v))
			default:
				diffs = append(diffs, fmt.Sprintf("no label %s (selector wants %s=%s)", k, k, v))
			}
		}
		if score > bestScore || (score == bestScore && score > 0 && p.Pod.Name < best) {
			sort.Strings(diffs)
			best, bestScore = p.Pod.Name, score
			// A key the pod lacks is removed from the selector (null in a
			// merge patch); keeping it would still match nothing.
			patch := map[string]string{}
			for k := range sel {
				if v, ok := labels[k]; ok {
					patch[k] = fmt.Sprintf("%q", v)
				} else {
					patch[k] = "null"
				}
			}
			diff = labelDiff{text: strings.Join(diffs, ", "), patch: jsonObject(patch)}
		}
	}
	return best, diff
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

func labelsString(m map[string]string) string {
	keys := sortedKeys(m)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func selectorArg(m map[string]string) string {
	return strings.Trim(labelsString(m), "{}")
}

// jsonObject renders m as a JSON object whose values are already JSON.
func jsonObject(m map[string]string) string {
	keys := sortedKeys(m)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%q:%s", k, m[k])
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// whyUnready: the Service had no ready endpoint because every pod it selects
// was not Ready, and a crash or a failing readiness probe of one of them says
// why. That is the cause (what broke), and "no endpoints" only its symptom:
// the first of those pods the crash or probe rule claims becomes the target.
func (j *judge) whyUnready(pods []*cluster.PodInfo, ev []string) bool {
	savedTarget, savedOut := j.result.Target, j.result.RuledOut
	for _, p := range pods {
		j.setPod(p)
		// A pod simply not Ready (starting, or no reason on record) leaves
		// the verdict at no_endpoints: the probe rule claims here only
		// with the probe's own failures (Unhealthy events) on record.
		if podCrash(j) || (j.probeFailed(p) && readinessProbe(j)) {
			j.result.Evidence = append(ev, j.result.Evidence...)
			j.result.Evidence = append(j.result.Evidence, fmt.Sprintf("%s answered %d without contacting a pod: every pod of the Service was not Ready", j.gw.Words, j.f.Status))
			if !j.watched() {
				j.reconstructed = true // not Ready then is read from lastTransitionTime
			}
			return true
		}
	}
	j.pod, j.result.Target, j.result.RuledOut = nil, savedTarget, savedOut
	return false
}

// probeFailed says whether the pod's readiness probe failed in the window.
func (j *judge) probeFailed(p *cluster.PodInfo) bool {
	for _, e := range j.podEvents(p.Pod, j.from) {
		if e.Reason == "Unhealthy" && strings.Contains(e.Message, "Readiness probe") {
			return true
		}
	}
	return false
}
