// Package diagnose decides why one failed request failed. It reads the facts
// the receiver put on the record, finds the Service and the pod behind the
// failed attempt *as they were at the request's time* (resolve.go), then
// tries the causes in the order of one table (rules.go; one file per cause).
// Each rule either claims the record with evidence, or says what it checked
// and found fine (ruled out). What differs between proxies comes from their
// profile (package gateways); what the rules read from the cluster state is
// the Store interface (store.go).
package diagnose

import (
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/gateways"
)

// Facts is what the record says about the request.
type Facts struct {
	Time          time.Time
	Status        int
	Origin        string
	Outcome       string
	ErrorKind     string
	ErrorMessage  string
	ErrorUpstream string // host:port of the attempt the error line names
	UpstreamName  string // the proxy's name for the upstream ("<namespace>-<service>-<port>" in ingress-nginx)
	// Service is the upstream's Service when the proxy's naming states it
	// (HAProxy backends, Istio/Contour clusters); zero otherwise.
	Service ServiceRef
	// Gateway is the proxy that logged the request (k8s502.gateway); its
	// profile gives the words and knobs of evidence and remediation and how
	// its upstream names resolve.
	Gateway       string
	FailureSignal string // the proxy's own failure code, verbatim
	Host, Path    string
	Addresses     []string
	Statuses      []string
	ResponseTimes []float64
	// ResponseLengths are the attempts' response bytes (nil when not logged).
	ResponseLengths []int64
	// The ingress controller pod that logged the request (resource attributes).
	ControllerNamespace, ControllerPod string
}

// ServiceRef names a Service port as a proxy logged it.
type ServiceRef struct {
	Namespace, Name, Port string
}

// Controller identifies the ingress controller's pods when the record does
// not (config ingress_controller).
type Controller struct {
	Namespace string
	PodLabels map[string]string
}

// Config tunes the rules.
type Config struct {
	// Lookback is how far before the request evidence may lie.
	Lookback time.Duration
	// After is how far after the request evidence still counts: events are
	// often recorded a moment after the failure they describe.
	After      time.Duration
	Controller Controller
}

// Target is what the failed attempt hit.
type Target struct {
	Namespace, Service, Port string
	Pod, Node, Workload      string
	Address                  string
}

// Result is the diagnosis.
type Result struct {
	Target      Target
	Cause       string
	Confidence  string
	Evidence    []string
	RuledOut    []string
	Remediation string
	// Attempts holds the verdict on each failed attempt when a request
	// failed at two or more addresses (see attempts.go).
	Attempts []Attempt
}

// judge carries one diagnosis in progress.
type judge struct {
	f      Facts
	s      Store
	gw     *gateways.Profile // of f.Gateway
	cfg    Config
	from   time.Time
	to     time.Time
	svc    *serviceRef // nil, or &svcRef (see setService)
	svcRef serviceRef
	pod    *cluster.PodInfo
	// workload is pod's controller (see setPod), read once: the target
	// names it and rollout_gap judges it.
	workload cluster.Workload
	ip       string
	port     int32
	result   Result
	// sentinel is set when the gateway's own "no endpoints" address was
	// the peer (gateways.Profile.Sentinels).
	sentinel bool
	// silent is set when the record can be the gateway's own answer for a
	// Service without endpoints that it does not log
	// (gateways.Profile.Silent): its status, no error line, no upstream.
	silent bool

	// See reconstruct.go.
	watchedAt, watchedKnown bool
	reconstructed           bool

	texts texts // see texts.go

	podEvs lookup[[]*cluster.Event]         // see podEvents
	eps    lookup[[]*cluster.EndpointState] // see endpoints
	ready  lookup[readiness]                // see readyAt
}

type serviceRef struct {
	ns, name string
	port     string
}

// Diagnose judges one record: by the attempt that failed when a retry
// rescued it, and attempt by attempt when it failed at several addresses.
func Diagnose(f Facts, s Store, cfg Config) Result {
	note, rescued := byFailedAttempt(&f)
	var r Result
	var peers []attempt
	// One address cannot make two failed peers: most records have one, and
	// listing their attempts cost a slice and a map each.
	if len(f.Addresses) >= 2 && f.Outcome != schema.OutcomeRecovered {
		peers = failedPeers(&f)
	}
	if len(peers) >= 2 {
		r = diagnoseAttempts(f, peers, func(g Facts) Result { return diagnoseOne(g, s, cfg) })
	} else {
		r = diagnoseOne(f, s, cfg)
	}
	if rescued {
		r.Evidence = append([]string{note}, r.Evidence...)
	}
	return r
}

// judges recycles the judge of each diagnosis. The rules are called through
// a table, so the compiler cannot keep the judge (the Facts and the Result
// in progress, ~700 bytes) on the stack: a new one per record was the
// largest single allocation of a judgement. Nothing keeps a judge after
// diagnoseOne returns; its Result is copied out before it is cleared.
var judges = sync.Pool{New: func() any { return new(judge) }}

func diagnoseOne(f Facts, s Store, cfg Config) Result {
	j := judges.Get().(*judge)
	*j = judge{f: f, s: s, gw: gateways.Lookup(f.Gateway), cfg: cfg, from: f.Time.Add(-cfg.Lookback), to: f.Time.Add(cfg.After)}
	r := j.judge()
	*j = judge{} // drop the references to the store, the pod and the texts
	judges.Put(j)
	return r
}

// judge resolves the target and tries the rules in order.
func (j *judge) judge() Result {
	j.resolve()
	claimed := false
	for _, r := range rules {
		if r.applies(j) && r.claims(j) {
			claimed = true
			break
		}
	}
	if !claimed {
		j.result.Cause, j.result.Confidence = schema.CauseUnknown, schema.ConfidenceLow
		if j.result.Remediation == "" {
			j.result.Remediation = j.unknownRemediation()
		}
		return j.result
	}
	if j.f.FailureSignal != "" && j.f.ErrorKind != "" {
		// HAProxy's termination state and Envoy's response flags are the
		// proxy's own verdict on the attempt, not an inference from timings.
		j.evidence("%s stated the failure itself with its code %q (%s)", j.gw.Words, j.f.FailureSignal, orDash(j.f.ErrorMessage))
	}
	j.capUnwatched()
	return j.result
}

// claim records the cause.
func (j *judge) claim(cause, confidence, remediation string, evidence ...string) bool {
	j.result.Cause, j.result.Confidence, j.result.Remediation = cause, confidence, remediation
	j.result.Evidence = append(j.result.Evidence, evidence...)
	return true
}

func (j *judge) ruleOut(format string, args ...any) {
	j.ruledOut(fmt.Sprintf(format, args...))
}

func (j *judge) evidence(format string, args ...any) {
	j.result.Evidence = append(j.result.Evidence, fmt.Sprintf(format, args...))
}

func isFailure(status string) bool {
	return status == "502" || status == "503" || status == "504" || status == "-"
}

func portString(num int32, name string) string {
	if num > 0 {
		return strconv.Itoa(int(num))
	}
	return name
}

// ts renders times the same way everywhere: RFC 3339 in UTC, to the second.
func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (j *judge) unknownRemediation() string {
	t := j.result.Target
	switch {
	case t.Pod != "":
		return fmt.Sprintf("kubectl -n %s describe pod %s; kubectl -n %s logs %s --since=15m", t.Namespace, t.Pod, t.Namespace, t.Pod)
	case t.Service != "":
		return fmt.Sprintf("kubectl -n %s get endpointslices -l kubernetes.io/service-name=%s -o wide; kubectl -n %s describe service %s", t.Namespace, t.Service, t.Namespace, t.Service)
	}
	return "no Service or pod matched this upstream; check that the collector watches the right namespaces (namespaces, cluster_snapshot) and that the " + j.gw.Words + " upstream " + orDash(j.f.UpstreamName) + " still exists"
}
