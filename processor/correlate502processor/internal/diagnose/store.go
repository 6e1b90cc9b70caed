package diagnose

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/gateways"
)

// Store is what the rules read from the cluster state: exactly the
// questions they ask, most of them at the request's time. Nothing here
// writes. *cluster.Store answers them; the rules depend on this and not on
// the store's type, so what a rule may read is visible in one place.
type Store interface {
	// Services, as the gateways' resolvers ask too.
	gateways.Services
	ServiceAt(ns, name string, at time.Time) (*corev1.Service, bool)
	ServiceOfEndpoint(ns, pod string, port int32, at time.Time) (cluster.UpstreamMatch, bool)

	// Endpoints as the Service listed them at a time, by IP then pod.
	Endpoints(ns, service string, at time.Time) []*cluster.EndpointState

	// Pods and their history.
	Pod(ns, name string) (*cluster.PodInfo, bool)
	PodByIP(ip string, at time.Time) (*cluster.PodInfo, bool)
	PodsForSelector(ns string, sel map[string]string) []*cluster.PodInfo
	PodsInNamespace(ns string) []*cluster.PodInfo
	ReadyAt(ns, pod string, at time.Time) (ready, known bool)
	Terminations(ns, pod string, from, to time.Time) []cluster.Termination
	Events(ns, kind, name string, from, to time.Time) []*cluster.Event
	EventsByNamePrefix(ns, kind, prefix string, from, to time.Time) []*cluster.Event

	// Workloads.
	Workload(p *corev1.Pod) cluster.Workload
	Deployment(ns, name string) (*appsv1.Deployment, bool)
	DeploymentsForSelector(ns string, sel map[string]string) []string
	ReplicaSets(ns, deployment string) []*appsv1.ReplicaSet

	// Network policy.
	Namespace(name string) (*corev1.Namespace, bool)
	NetworkPolicies(ns string) []*networkingv1.NetworkPolicy

	// Watched says whether the store saw at live (see reconstruct.go).
	Watched(at time.Time) bool
}

var _ Store = (*cluster.Store)(nil)
