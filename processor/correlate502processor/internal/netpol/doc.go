// Package netpol evaluates Kubernetes NetworkPolicy (networking.k8s.io/v1)
// for one connection: TCP (or UDP/SCTP) from a source pod to a port of a
// destination pod. It answers whether the policies admit the connection and,
// when they do not, which policies isolate the pod and why none of their rules
// match. The correlate502 processor asks this when an ingress controller timed
// out connecting to a backend pod.
//
// The evaluator is pure: it reads API objects and labels handed to it and
// never talks to a cluster. It follows the API reference
// (https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/)
// and the concept page
// (https://kubernetes.io/docs/concepts/services-networking/network-policies/):
//
//   - A pod is isolated for a direction when at least one policy in its
//     namespace selects it and lists that direction in policyTypes. An
//     isolated pod admits only traffic that some rule of some selecting
//     policy admits; policies are additive and never deny.
//   - Empty policyTypes default to Ingress, plus Egress when the egress list
//     is non-empty (the API server's defaulting; an explicit `egress: []`
//     does not count).
//   - A rule admits traffic only if a peer AND a port match; an absent or
//     empty peer list or port list matches everything.
//
// What the evaluator cannot see, the caller must weigh: traffic from the
// destination pod's own node is always admitted (so a hostNetwork ingress
// controller on the same node is not subject to ingress policy), pod
// selectors never match hostNetwork pods in most plugins, and ipBlock
// matching of pod IPs is plugin-defined (see matchIPBlock). Enforcement also
// requires a network plugin that implements NetworkPolicy at all.
package netpol
