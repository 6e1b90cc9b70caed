package kube

import corev1 "k8s.io/api/core/v1"

// Access is one kind of request the informers make to the API server: what
// RBAC must allow for the store to follow the cluster. A missing verb is
// not visible in the informers themselves: with list or watch alone they
// still sync (client-go falls back between streaming and listing), and
// then miss every change or every relist.
type Access struct {
	Verb     string // list or watch
	Group    string // "" for the core group
	Resource string
	// Namespace is where the request is made; "" means every namespace
	// (or a cluster-scoped resource).
	Namespace string
}

// read is one informer of Start: the namespaced ones of register, once per
// watched namespace, and the cluster-wide Namespaces informer. Keep it in
// step with register; TestRequiredIsWhatStartAsks holds them together.
type read struct {
	group, resource string
	clusterWide     bool
}

var reads = []read{
	{"", "pods", false},
	{"", "services", false},
	{"discovery.k8s.io", "endpointslices", false},
	{"", "events", false},
	{"apps", "deployments", false},
	{"apps", "replicasets", false},
	{"networking.k8s.io", "networkpolicies", false},
	{"", "namespaces", true},
}

// Required lists every list and watch Start makes when it watches
// namespaces (empty: all of them), in Start's order.
func Required(namespaces []string) []Access {
	if len(namespaces) == 0 {
		namespaces = []string{corev1.NamespaceAll}
	}
	var out []Access
	for _, r := range reads {
		nss := namespaces
		if r.clusterWide {
			nss = []string{corev1.NamespaceAll}
		}
		for _, ns := range nss {
			for _, verb := range []string{"list", "watch"} {
				out = append(out, Access{Verb: verb, Group: r.group, Resource: r.resource, Namespace: ns})
			}
		}
	}
	return out
}
