// Package diagnose decides why one failed request failed. It reads the facts
// the receiver put on the record, finds the Service and the pod behind the
// failed attempt *as they were at the request's time*, then tries the causes
// in a fixed order (one file per cause). Each rule either claims the record
// with evidence, or says what it checked and found fine (ruled out).
package diagnose

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
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
	// Gateway is the proxy that logged the request (k8s502.gateway); it
	// picks the words and knobs of evidence and remediation.
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
	s      *cluster.Store
	cfg    Config
	from   time.Time
	to     time.Time
	svc    *serviceRef
	pod    *cluster.PodInfo
	ip     string
	port   int32
	result Result
	// sentinel is set when the gateway's own "no endpoints" address was
	// the peer (F5 NGINX Ingress Controller's 127.0.0.1:8181).
	sentinel bool

	// See reconstruct.go.
	watchedAt, watchedKnown bool
	reconstructed           bool
}

type serviceRef struct {
	ns, name string
	port     string
}

// rule tries one cause. It returns true when it claims the record; either
// way it may add to RuledOut.
type rule func(j *judge) bool

// Order matters: what the gateway observed first narrows the cause (the
// app's own status, no upstream at all), then the pod's lifecycle (being
// deleted, crashed, mid-rollout, unready) explains connection errors better
// than the error kind alone, which is the last resort.
var gatewayRules = []rule{
	podTermination,
	podCrash,
	rolloutGap,
	readinessProbe,
	podsGone,
	targetPortMismatch,
	networkPolicy,
	tlsHandshake,
	protocolError,
	upstreamTimeout,
	keepaliveRace,
}

// Diagnose judges one record: by the attempt that failed when a retry
// rescued it, and attempt by attempt when it failed at several addresses.
func Diagnose(f Facts, s *cluster.Store, cfg Config) Result {
	note, rescued := byFailedAttempt(&f)
	var r Result
	if peers := failedPeers(&f); len(peers) >= 2 && f.Outcome != schema.OutcomeRecovered {
		r = diagnoseAttempts(f, peers, func(g Facts) Result { return diagnoseOne(g, s, cfg) })
	} else {
		r = diagnoseOne(f, s, cfg)
	}
	if rescued {
		r.Evidence = append([]string{note}, r.Evidence...)
	}
	return r
}

func diagnoseOne(f Facts, s *cluster.Store, cfg Config) Result {
	j := &judge{f: f, s: s, cfg: cfg, from: f.Time.Add(-cfg.Lookback), to: f.Time.Add(cfg.After)}
	j.resolve()
	claimed := false
	switch {
	case f.ErrorKind == schema.ErrRateLimited:
		claimed = rateLimited(j)
	case f.Origin == schema.OriginUpstream && f.ErrorKind == "":
		claimed = upstreamAppError(j)
	default:
		if f.Origin != schema.OriginUpstream {
			claimed = noEndpoints(j)
		}
		for _, r := range gatewayRules {
			if claimed {
				break
			}
			claimed = r(j)
		}
		if !claimed && f.Origin == schema.OriginUpstream {
			// The app answered, then the response broke (cut body, bad
			// chunking) and no lifecycle or transport rule explains it.
			claimed = upstreamAppError(j)
		}
	}
	if claimed && f.FailureSignal != "" && f.ErrorKind != "" {
		// HAProxy's termination state and Envoy's response flags are the
		// proxy's own verdict on the attempt, not an inference from timings.
		j.evidence("%s stated the failure itself with its code %q (%s)", j.gatewayName(), f.FailureSignal, orDash(f.ErrorMessage))
	}
	if claimed {
		j.capUnwatched()
	}
	if !claimed {
		j.result.Cause, j.result.Confidence = schema.CauseUnknown, schema.ConfidenceLow
		if j.result.Remediation == "" {
			j.result.Remediation = j.unknownRemediation()
		}
	}
	return j.result
}

// claim records the cause.
func (j *judge) claim(cause, confidence, remediation string, evidence ...string) bool {
	j.result.Cause, j.result.Confidence, j.result.Remediation = cause, confidence, remediation
	j.result.Evidence = append(j.result.Evidence, evidence...)
	return true
}

func (j *judge) ruleOut(format string, args ...any) {
	j.result.RuledOut = append(j.result.RuledOut, fmt.Sprintf(format, args...))
}

func (j *judge) evidence(format string, args ...any) {
	j.result.Evidence = append(j.result.Evidence, fmt.Sprintf(format, args...))
}

// endpoints returns Service ns/name's endpoints at the request's time. The
// store keeps one list per interval between the Service's changes, so the
// rules asking in turn share it: read it, never change it.
func (j *judge) endpoints(ns, name string) []*cluster.EndpointState {
	return j.s.Endpoints(ns, name, j.f.Time)
}

// resolve finds the Service from the upstream name and the pod from the
// address of the failed attempt, at the request's time.
func (j *judge) resolve() {
	t := &j.result.Target
	addr := j.failedAddress()
	t.Address = addr
	host, portStr, err := net.SplitHostPort(addr)
	if m, ok := j.upstreamService(host); ok {
		j.svc = &serviceRef{ns: m.Service.Namespace, name: m.Service.Name, port: portString(m.Port.Port, m.Port.Name)}
		t.Namespace, t.Service, t.Port = m.Service.Namespace, m.Service.Name, j.svc.port
	}
	if j.f.Gateway == schema.GatewayF5Nginx && addr == f5NoEndpointsAddr {
		j.sentinel = true
		return
	}
	if err != nil || net.ParseIP(host) == nil {
		// No peer address: an upstream group name (nginx had marked every
		// peer down), a server name (HAProxy logs SRV_1, not its address),
		// or no server at all. Judge the Service's most suspect endpoint.
		j.judgeGroup(addr)
		return
	}
	j.ip = host
	if p, err := strconv.Atoi(portStr); err == nil {
		j.port = int32(p)
	}
	pod, ok := j.podForEndpoint(host)
	if !ok {
		if pod, ok = j.s.PodByIP(host, j.f.Time); !ok {
			return
		}
	}
	if c := pod.Pod.CreationTimestamp.Time; !c.IsZero() && c.After(j.f.Time) {
		// State seen later than the request (a cluster watched only since
		// then) must not be judged as if it had been there.
		j.ruleOut("pod %s/%s holds %s now but was created at %s, after the request; the pod that served it is unknown", pod.Pod.Namespace, pod.Pod.Name, addr, ts(c))
		return
	}
	j.setPod(pod)
	if j.svc == nil {
		// The proxy logged an address but no name we could resolve (F5's
		// default access log has none): the Service that listed this pod
		// at the request's time is the one it routed to.
		if m, ok := j.s.ServiceOfEndpoint(pod.Pod.Namespace, pod.Pod.Name, j.port, j.f.Time); ok {
			j.svc = &serviceRef{ns: m.Service.Namespace, name: m.Service.Name, port: portString(m.Port.Port, m.Port.Name)}
			t.Namespace, t.Service, t.Port = m.Service.Namespace, m.Service.Name, j.svc.port
		}
	}
}

// upstreamService resolves the upstream name. When several Services make
// the same name (namespace a-b with service c, namespace a with service
// b-c), the one whose endpoints listed the failed address at the request's
// time is the one nginx used.
func (j *judge) upstreamService(host string) (cluster.UpstreamMatch, bool) {
	if sr := j.f.Service; sr.Name != "" {
		return j.s.ServicePort(sr.Namespace, sr.Name, sr.Port)
	}
	ms := j.s.ServicesForUpstream(j.f.UpstreamName)
	if len(ms) == 0 && j.f.Gateway == schema.GatewayF5Nginx {
		// F5 names upstreams <ns>-<ingress>-<host>-<service>-<port>.
		ms = j.s.ServicesForUpstreamAffixes(j.f.UpstreamName)
		if len(ms) == 0 && host != "" && net.ParseIP(host) == nil {
			ms = j.s.ServicesForUpstreamAffixes(host)
		}
	}
	if len(ms) == 0 {
		return cluster.UpstreamMatch{}, false
	}
	if len(ms) > 1 && host != "" {
		for _, m := range ms {
			for _, e := range j.endpoints(m.Service.Namespace, m.Service.Name) {
				if e.IP == host {
					return m, true
				}
			}
		}
	}
	return ms[0], true
}

// judgeGroup picks a pod to judge when the gateway named no peer address:
// the endpoint that was not ready at the request's time, else the one
// whose pod restarted or was deleted in the lookback, else the only one.
func (j *judge) judgeGroup(named string) {
	if j.svc == nil || (named == "" && j.nginxBased()) {
		// nginx without a peer contacted none: the Service had no usable
		// endpoint, which noEndpoints judges.
		return
	}
	eps := j.endpoints(j.svc.ns, j.svc.name)
	why := func(e *cluster.EndpointState) string {
		switch {
		case named == "":
			return fmt.Sprintf("%s used no server of service %s/%s (none was usable)", j.gatewayName(), j.svc.ns, j.svc.name)
		case !j.nginxBased():
			return fmt.Sprintf("%s logs the server as %q, not its address", j.gatewayName(), named)
		}
		return fmt.Sprintf("nginx found no live peer in upstream group %q (every endpoint of service %s/%s had failed)", named, j.svc.ns, j.svc.name)
	}
	pick := func(e *cluster.EndpointState, reason string) bool {
		pod, ok := j.s.Pod(j.svc.ns, e.Pod)
		if !ok {
			return false
		}
		j.setPod(pod)
		j.ip = e.IP
		if !j.nginxBased() {
			// The proxy logged a server slot name (or nothing): the
			// endpoint's address says more.
			j.result.Target.Address = e.IP
		}
		j.evidence("%s; judging %s endpoint %s (pod %s/%s)", why(e), reason, e.IP, j.svc.ns, e.Pod)
		return true
	}
	for _, e := range eps {
		if e.Pod != "" && !e.Ready && pick(e, "unready") {
			return
		}
	}
	for _, e := range eps {
		if e.Pod == "" {
			continue
		}
		if p, ok := j.s.Pod(j.svc.ns, e.Pod); ok && j.troubledInWindow(p) && pick(e, "recently restarted or deleted") {
			return
		}
	}
	if len(eps) == 1 && eps[0].Pod != "" {
		pick(eps[0], "its only")
	}
}

func (j *judge) setPod(pod *cluster.PodInfo) {
	t := &j.result.Target
	j.pod = pod
	t.Pod, t.Node = pod.Pod.Name, pod.Pod.Spec.NodeName
	if t.Namespace == "" {
		t.Namespace = pod.Pod.Namespace
	}
	if w := j.s.Workload(pod.Pod); w.Name != "" {
		t.Workload = w.Kind + "/" + w.Name
	}
}

// podForEndpoint resolves the address through the Service's endpoints at
// the request's time: that is the list the gateway picked from, and it
// names the pod even where IPs are not unique (hostNetwork pods).
func (j *judge) podForEndpoint(ip string) (*cluster.PodInfo, bool) {
	if j.svc == nil {
		return nil, false
	}
	var byIP *cluster.PodInfo
	for _, e := range j.s.EndpointsOfIP(j.svc.ns, j.svc.name, ip, j.f.Time) {
		if e.Pod == "" {
			continue
		}
		pod, ok := j.s.Pod(j.svc.ns, e.Pod)
		// A pod recreated under the same name (StatefulSet) may hold
		// another IP now: then the IP history knows who held this one.
		if !ok || !holdsIP(pod, ip) {
			continue
		}
		// Pods sharing an IP (hostNetwork) differ by port.
		if j.port != 0 && slices.Contains(e.Ports, j.port) {
			return pod, true
		}
		if byIP == nil {
			byIP = pod
		}
	}
	return byIP, byIP != nil
}

func holdsIP(pod *cluster.PodInfo, ip string) bool {
	st := pod.Pod.Status
	if st.PodIP == ip {
		return true
	}
	for _, p := range st.PodIPs {
		if p.IP == ip {
			return true
		}
	}
	return false
}

// failedAddress picks the attempt to judge: the one the error line names,
// else the last attempt that failed, else the last.
func (j *judge) failedAddress() string {
	if j.f.ErrorUpstream != "" {
		return j.f.ErrorUpstream
	}
	for i := len(j.f.Addresses) - 1; i >= 0; i-- {
		if i < len(j.f.Statuses) && isFailure(j.f.Statuses[i]) {
			return j.f.Addresses[i]
		}
	}
	if n := len(j.f.Addresses); n > 0 {
		return j.f.Addresses[n-1]
	}
	return ""
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

func (j *judge) podRef() string {
	if j.pod == nil {
		return "pod at " + j.result.Target.Address
	}
	return "pod " + j.pod.Pod.Namespace + "/" + j.pod.Pod.Name
}

func (j *judge) unknownRemediation() string {
	t := j.result.Target
	switch {
	case t.Pod != "":
		return fmt.Sprintf("kubectl -n %s describe pod %s; kubectl -n %s logs %s --since=15m", t.Namespace, t.Pod, t.Namespace, t.Pod)
	case t.Service != "":
		return fmt.Sprintf("kubectl -n %s get endpointslices -l kubernetes.io/service-name=%s -o wide; kubectl -n %s describe service %s", t.Namespace, t.Service, t.Namespace, t.Service)
	}
	return "no Service or pod matched this upstream; check that the collector watches the right namespaces (namespaces, cluster_snapshot) and that the " + j.gatewayName() + " upstream " + orDash(j.f.UpstreamName) + " still exists"
}
