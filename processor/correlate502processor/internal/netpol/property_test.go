package netpol

import (
	"slices"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

// propertyCorpus mixes isolating, allowing, egress, foreign-namespace and
// odd policies of both namespaces involved.
const propertyCorpus = `
metadata: {name: deny-all, namespace: shop}
spec: {podSelector: {}}
---
metadata: {name: allow-all, namespace: shop}
spec: {podSelector: {}, ingress: [{}]}
---
metadata: {name: from-nginx, namespace: shop}
spec:
  podSelector: {matchLabels: {app: checkout}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}}]
    ports: [{port: http}]
---
metadata: {name: from-frontend-9090, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {team: frontend}}, podSelector: {}}]
    ports: [{port: 9090, endPort: 9100}]
---
metadata: {name: same-ns, namespace: shop}
spec:
  podSelector: {matchExpressions: [{key: tier, operator: Exists}]}
  ingress:
  - from: [{podSelector: {}}]
---
metadata: {name: cidr-udp, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from: [{ipBlock: {cidr: 10.244.0.0/16, except: [10.244.1.0/24]}}]
    ports: [{protocol: UDP}]
---
metadata: {name: egress-only, namespace: shop}
spec: {podSelector: {}, policyTypes: [Egress]}
---
metadata: {name: deny-egress, namespace: ingress-nginx}
spec: {podSelector: {}, policyTypes: [Egress]}
---
metadata: {name: egress-to-shop, namespace: ingress-nginx}
spec:
  podSelector: {matchLabels: {app.kubernetes.io/name: ingress-nginx}}
  egress:
  - to: [{namespaceSelector: {matchLabels: {team: shop}}}]
---
metadata: {name: egress-cidr, namespace: ingress-nginx}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  egress:
  - to: [{ipBlock: {cidr: 10.244.2.0/24}}]
    ports: [{port: 8000, endPort: 8999}]
---
metadata: {name: deny-all, namespace: other}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
`

func TestEvaluateProperties(t *testing.T) {
	corpus := parsePolicies(t, propertyCorpus)
	cart := Peer{Namespace: "shop", NamespaceLabels: checkout.NamespaceLabels,
		PodLabels: map[string]string{"app": "cart"}, IP: "10.244.2.9"}
	external := Peer{IP: "192.0.2.1"}
	peers := []Peer{nginx, checkout, cart, external}
	ports := []Port{httpPort, {Number: 9095, Name: "metrics"}, {Number: 53, Protocol: "UDP"}}
	evals := map[string]func([]*networkingv1.NetworkPolicy, Peer, Peer, Port) Verdict{
		"ingress": EvaluateIngress,
		"egress":  EvaluateEgress,
	}

	// Every subset of up to two corpus policies, then each other policy added.
	var subsets [][]*networkingv1.NetworkPolicy
	var grow func(start int, cur []*networkingv1.NetworkPolicy)
	grow = func(start int, cur []*networkingv1.NetworkPolicy) {
		subsets = append(subsets, slices.Clone(cur))
		if len(cur) == 2 {
			return
		}
		for i := start; i < len(corpus); i++ {
			grow(i+1, append(cur, corpus[i]))
		}
	}
	grow(0, nil)

	// Count the transitions, to show the corpus exercises them.
	var opened, isolated, checked int
	for dir, eval := range evals {
		for _, src := range peers {
			for _, dst := range peers {
				for _, port := range ports {
					for _, set := range subsets {
						before := eval(set, src, dst, port)
						checkInvariants(t, dir, before)
						if rev := eval(reversed(set), src, dst, port); !equalVerdicts(rev, before) {
							t.Fatalf("%s: order changed the verdict: %+v vs %+v", dir, before, rev)
						}
						for _, p := range corpus {
							if slices.Contains(set, p) {
								continue
							}
							after := eval(append(slices.Clone(set), p), src, dst, port)
							checkAddition(t, dir, before, after, p.Namespace+"/"+p.Name)
							checked++
							if !before.Allowed && after.Allowed {
								opened++
							}
							if before.Allowed && !after.Allowed {
								isolated++
							}
						}
					}
				}
			}
		}
	}
	t.Logf("checked %d additions: %d opened access, %d isolated", checked, opened, isolated)
	if opened == 0 || isolated == 0 {
		t.Fatalf("corpus too weak: %d opened, %d isolated", opened, isolated)
	}
}

func checkInvariants(t *testing.T, dir string, v Verdict) {
	t.Helper()
	if v.Isolated != (len(v.Isolating) > 0) {
		t.Fatalf("%s: Isolated=%v with Isolating=%v", dir, v.Isolated, v.Isolating)
	}
	if v.Allowed != (!v.Isolated || len(v.Allowing) > 0) {
		t.Fatalf("%s: Allowed=%v inconsistent with %+v", dir, v.Allowed, v)
	}
	if !isSubset(v.Allowing, v.Isolating) {
		t.Fatalf("%s: Allowing %v not within Isolating %v", dir, v.Allowing, v.Isolating)
	}
	if len(v.Reasons) != len(v.Isolating)-len(v.Allowing) {
		t.Fatalf("%s: %d reasons for %d non-admitting policies", dir, len(v.Reasons), len(v.Isolating)-len(v.Allowing))
	}
}

// checkAddition: policies only add. Adding one may isolate a pod that was
// not isolated, but on an isolated pod it can only add to what is allowed.
func checkAddition(t *testing.T, dir string, before, after Verdict, added string) {
	t.Helper()
	if !isSubset(before.Isolating, after.Isolating) || !isSubset(before.Allowing, after.Allowing) {
		t.Fatalf("%s: adding %s removed entries: %+v -> %+v", dir, added, before, after)
	}
	if before.Isolated {
		if before.Allowed && !after.Allowed {
			t.Fatalf("%s: adding %s to an isolated pod revoked access: %+v -> %+v", dir, added, before, after)
		}
		if !before.Allowed && after.Allowed && !slices.Contains(after.Allowing, added) {
			t.Fatalf("%s: access appeared without %s allowing it: %+v -> %+v", dir, added, before, after)
		}
		return
	}
	if !after.Allowed && !slices.Equal(after.Isolating, []string{added}) {
		t.Fatalf("%s: a non-isolated pod lost access, but not by %s isolating it: %+v", dir, added, after)
	}
}

func reversed(ps []*networkingv1.NetworkPolicy) []*networkingv1.NetworkPolicy {
	out := slices.Clone(ps)
	slices.Reverse(out)
	return out
}

func isSubset(small, big []string) bool {
	for _, s := range small {
		if !slices.Contains(big, s) {
			return false
		}
	}
	return true
}

func equalVerdicts(a, b Verdict) bool {
	return a.Isolated == b.Isolated && a.Allowed == b.Allowed &&
		slices.Equal(a.Isolating, b.Isolating) && slices.Equal(a.Allowing, b.Allowing) &&
		slices.Equal(a.Reasons, b.Reasons)
}
