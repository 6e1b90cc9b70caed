// Package cluster keeps the part of Kubernetes state and history that
// diagnosing a 502 needs, and answers questions about it *at a given time*:
// which pod held this IP at 10:01:02, was it ready, had it been deleted, what
// happened to it in the minutes around. State arrives from client-go
// informers, from a `kubectl get -o yaml` dump (snapshot), and from event
// records / restart metrics that flow through the collector's pipelines; all
// three feed the same Store.
//
// Objects are kept as their Kubernetes API types stripped by Strip* (the
// informers' transform functions), so the same code reads a live cluster
// and a support bundle.
package cluster

import (
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Event is a Kubernetes event normalized from core/v1 Event,
// events.k8s.io/v1 Event, or a k8sobjects / k8s_events log record.
type Event struct {
	Time      time.Time // lastTimestamp / eventTime / series.lastObservedTime, whichever is latest
	FirstTime time.Time // firstTimestamp (zero if unknown)
	Namespace string
	Kind      string // involved object kind: Pod, Deployment, ReplicaSet, Service, ...
	Name      string // involved object name
	UID       string // involved object uid (may be empty)
	Type      string // Normal | Warning
	Reason    string // Unhealthy, BackOff, Killing, OOMKilling, ScalingReplicaSet, ...
	Message   string
	Count     int32
	// Key identifies the event object (namespace/name of the Event itself)
	// so the same event seen twice (informer + pipeline, or an update with a
	// higher count) is stored once.
	Key string
}

// Termination is one container ending, from pod status (lastState /
// state.terminated) or from a restart metric.
type Termination struct {
	Namespace, Pod, Container string
	Reason                    string // OOMKilled, Error, Completed, ...
	ExitCode                  int32
	Signal                    int32
	StartedAt                 time.Time
	FinishedAt                time.Time // zero when only known from a metric; then Seen is used
	Seen                      time.Time // when we learned of it
	RestartCount              int32     // restart count after this termination, if known
}

// Transition is a change of a pod's Ready condition.
type Transition struct {
	At    time.Time
	Ready bool
}

// EndpointState is one address of a Service's EndpointSlices.
type EndpointState struct {
	IP          string
	Pod         string // targetRef name when it is a Pod
	Node        string
	Ready       bool
	Serving     bool
	Terminating bool
	Since       time.Time // when this state was first seen (zero when unknown)
	// Ports are the port numbers of the slice(s) listing the address. Two
	// pods may share an IP (host network, a test bed) and differ by port:
	// the EndpointSlice controller then puts them in separate slices.
	Ports []int32
}

// PodInfo is a pod as the store knows it.
type PodInfo struct {
	Pod       *corev1.Pod // stripped; the latest version seen
	FirstSeen time.Time
	Deleted   time.Time // when the store saw it deleted; zero while it exists
	// Ready is shared with the store (see PodInfo.clone): read it, never
	// write to it.
	Ready []Transition
}

// Workload names a pod's controller: the Deployment when a ReplicaSet is
// owned by one, else the direct owner.
type Workload struct {
	Kind, Name string
}

// UpstreamMatch is a Service and one of its ports: what a proxy's upstream
// resolves to. Port is zero when the Service is known but not the port.
type UpstreamMatch struct {
	Service *corev1.Service
	Port    corev1.ServicePort
}

// ReplicaSetPoint is a ReplicaSet's replica counts from At until the next
// point (a zero At: since before the store knew it).
type ReplicaSetPoint struct {
	At        time.Time
	Desired   int32 // spec.replicas; 0 once the ReplicaSet is deleted
	Current   int32 // status.replicas
	Ready     int32 // status.readyReplicas
	Available int32 // status.availableReplicas
}
