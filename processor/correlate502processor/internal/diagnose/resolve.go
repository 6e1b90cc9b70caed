package diagnose

import (
	"fmt"
	"net"
	"slices"
	"strconv"

	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
)

// resolve finds the Service from the upstream name and the pod from the
// address of the failed attempt, at the request's time.
func (j *judge) resolve() {
	t := &j.result.Target
	addr := j.failedAddress()
	t.Address = addr
	if s := j.gw.Silent; s != nil && j.f.Status == s.Status && j.f.ErrorKind == "" && addr == "" {
		j.silent = true
	}
	host, portStr, err := net.SplitHostPort(addr)
	if m, ok := j.upstreamService(host); ok {
		j.setService(m)
		t.Namespace, t.Service, t.Port = m.Service.Namespace, m.Service.Name, j.svc.port
	}
	if slices.Contains(j.gw.Sentinels, addr) {
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
		j.ruleOut("pod %s/%s holds %s now but was created at %s, after the request; the pod that served it is unknown", pod.Pod.Namespace, pod.Pod.Name, addr, j.ts(c))
		return
	}
	j.setPod(pod)
	if j.svc == nil {
		// The proxy logged an address but no name we could resolve (F5's
		// default access log has none): the Service that listed this pod
		// at the request's time is the one it routed to.
		if m, ok := j.s.ServiceOfEndpoint(pod.Pod.Namespace, pod.Pod.Name, j.port, j.f.Time); ok {
			j.setService(m)
			t.Namespace, t.Service, t.Port = m.Service.Namespace, m.Service.Name, j.svc.port
		}
	}
}

// setService makes m the judged Service. The reference lives in the judge
// (j.svc points at it), which saves an allocation per record.
func (j *judge) setService(m cluster.UpstreamMatch) {
	j.svcRef = serviceRef{ns: m.Service.Namespace, name: m.Service.Name, port: portString(m.Port.Port, m.Port.Name)}
	j.svc = &j.svcRef
}

// upstreamService finds the Service port the proxy sent the request to:
// the one it named outright, else what its profile makes of the upstream
// name. When several Services make the same name (namespace a-b with
// service c, namespace a with service b-c), the one whose endpoints listed
// the failed address at the request's time is the one the proxy used.
func (j *judge) upstreamService(host string) (cluster.UpstreamMatch, bool) {
	if sr := j.f.Service; sr.Name != "" {
		return j.namedService(sr)
	}
	ms := j.gw.Resolve(j.s, j.f.UpstreamName, host)
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

// namedService resolves a Service port a proxy named outright (HAProxy
// backend, Istio or Contour cluster): the port is the Service port's number
// or its name. A port that fits none still gives the Service, with an empty
// port, so the diagnosis keeps its target.
func (j *judge) namedService(sr ServiceRef) (cluster.UpstreamMatch, bool) {
	svc, ok := j.s.Service(sr.Namespace, sr.Name)
	if !ok {
		return cluster.UpstreamMatch{}, false
	}
	n, err := strconv.Atoi(sr.Port)
	for _, p := range svc.Spec.Ports {
		if (err == nil && int(p.Port) == n) || (p.Name != "" && p.Name == sr.Port) {
			return cluster.UpstreamMatch{Service: svc, Port: p}, true
		}
	}
	return cluster.UpstreamMatch{Service: svc}, true
}

// judgeGroup picks a pod to judge when the gateway named no peer address:
// the endpoint that was not ready at the request's time, else the one
// whose pod restarted or was deleted in the lookback, else the only one.
func (j *judge) judgeGroup(named string) {
	if j.svc == nil || (named == "" && j.gw.NamesGroups) {
		// nginx without a peer contacted none: the Service had no usable
		// endpoint, which noEndpoints judges.
		return
	}
	eps := j.endpoints(j.svc.ns, j.svc.name)
	why := func(e *cluster.EndpointState) string {
		switch {
		case named == "":
			return fmt.Sprintf("%s used no server of service %s/%s (none was usable)", j.gw.Words, j.svc.ns, j.svc.name)
		case !j.gw.NamesGroups:
			return fmt.Sprintf("%s logs the server as %q, not its address", j.gw.Words, named)
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
		if !j.gw.NamesGroups {
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

// troubledInWindow: the pod restarted a container, was deleted or has a
// deletion timestamp within the lookback, which makes it the likely culprit
// when the proxy did not say which endpoint failed.
func (j *judge) troubledInWindow(p *cluster.PodInfo) bool {
	if len(j.s.Terminations(p.Pod.Namespace, p.Pod.Name, j.from, j.to)) > 0 {
		return true
	}
	if !p.Deleted.IsZero() && !p.Deleted.Before(j.from) && !p.Deleted.After(j.to) {
		return true
	}
	if d := p.Pod.DeletionTimestamp; d != nil && !d.Time.After(j.to) {
		return true
	}
	return false
}

func (j *judge) setPod(pod *cluster.PodInfo) {
	t := &j.result.Target
	j.pod = pod
	t.Pod, t.Node = pod.Pod.Name, pod.Pod.Spec.NodeName
	if t.Namespace == "" {
		t.Namespace = pod.Pod.Namespace
	}
	j.workload = j.s.Workload(pod.Pod)
	if w := j.workload; w.Name != "" {
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
	for _, e := range j.endpointsOfIP(j.svc.ns, j.svc.name, ip) {
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
