package cluster

import (
	"time"

	corev1 "k8s.io/api/core/v1"
)

// ipSpan says pod held an IP from from until to (zero: still holds it, or
// until the next span of the same IP begins). Pod IPs are recycled: the
// span that begins later wins, because the kubelet frees an IP when it tears
// the sandbox down, before the API object is gone.
type ipSpan struct {
	from, to time.Time
	pod      *PodInfo
}

// PodByIP returns the pod that held ip at at. Pods on the host network are
// not indexed: their IP is the node's.
func (s *Store) PodByIP(ip string, at time.Time) (*PodInfo, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	spans := s.podIPs[ip]
	i, ok := lastAtOrBefore(spans, at, func(sp ipSpan) time.Time { return sp.from })
	if !ok {
		return nil, false
	}
	if sp := spans[i]; sp.to.IsZero() || at.Before(sp.to) {
		return sp.pod.clone(), true
	}
	return nil, false
}

// PodByAddress is PodByIP for ip:port. In a cluster a pod IP has one holder
// at a time; where several pods answer on one IP (a test bed on one host) the
// port tells them apart: of the running pods holding ip at at, the one that
// started last among those declaring containerPort port. When none declares
// it, the answer is PodByIP's.
func (s *Store) PodByAddress(ip string, port int32, at time.Time) (*PodInfo, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	spans := s.podIPs[ip]
	i, ok := lastAtOrBefore(spans, at, func(sp ipSpan) time.Time { return sp.from })
	if !ok {
		return nil, false
	}
	for j := i; j >= 0 && port != 0; j-- {
		sp := spans[j]
		held := sp.to.IsZero() || at.Before(sp.to)
		if held && (j == i || running(sp.pod.Pod)) && declaresPort(sp.pod.Pod, port) {
			return sp.pod.clone(), true
		}
	}
	if sp := spans[i]; sp.to.IsZero() || at.Before(sp.to) {
		return sp.pod.clone(), true
	}
	return nil, false
}

func running(p *corev1.Pod) bool {
	return p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed
}

func declaresPort(p *corev1.Pod, port int32) bool {
	for i := range p.Spec.Containers {
		for _, cp := range p.Spec.Containers[i].Ports {
			if cp.ContainerPort == port {
				return true
			}
		}
	}
	return false
}

// recordIPs opens a span for each IP the pod has not held yet. The span
// starts when the pod started (so a snapshot or an informer's first list
// dates it correctly), else when it was seen.
func (s *Store) recordIPs(info *PodInfo, p *corev1.Pod, seen time.Time) {
	if p.Spec.HostNetwork {
		return
	}
	from := seen
	if st := firstNonZero(timeOf(p.Status.StartTime), p.CreationTimestamp.Time); !st.IsZero() && (seen.IsZero() || st.Before(seen)) {
		from = st
	}
	forEachIP(p, func(ip string) {
		spans := s.podIPs[ip]
		for _, sp := range spans {
			if sp.pod == info {
				return
			}
		}
		i, _ := lastAtOrBefore(spans, from, func(sp ipSpan) time.Time { return sp.from })
		i++ // after the spans that start at or before from
		spans = append(spans, ipSpan{})
		copy(spans[i+1:], spans[i:])
		spans[i] = ipSpan{from: from, pod: info}
		s.podIPs[ip] = spans
	})
}

// closeIPs ends the pod's open spans at at.
func (s *Store) closeIPs(info *PodInfo, at time.Time) {
	if info.Pod == nil {
		return
	}
	forEachIP(info.Pod, func(ip string) {
		spans := s.podIPs[ip]
		for i := range spans {
			if spans[i].pod == info && spans[i].to.IsZero() {
				spans[i].to = notBefore(at, spans[i].from)
			}
		}
	})
}

// deleteOldIncarnation handles the delete of a pod whose name a newer pod
// already took: the old PodInfo is only reachable through its IP spans.
func (s *Store) deleteOldIncarnation(p *corev1.Pod, at time.Time) {
	forEachIP(p, func(ip string) {
		for _, sp := range s.podIPs[ip] {
			if sp.pod.Pod != nil && sp.pod.Pod.UID == p.UID && sp.pod.Deleted.IsZero() {
				sp.pod.Deleted = notBefore(at, sp.pod.FirstSeen)
				s.closeIPs(sp.pod, sp.pod.Deleted)
			}
		}
	})
}

// pruneIPs drops spans that ended before cutoff.
func (s *Store) pruneIPs(cutoff time.Time) {
	for ip, spans := range s.podIPs {
		out := spans[:0]
		for i, sp := range spans {
			end := sp.to
			if end.IsZero() && i+1 < len(spans) {
				end = spans[i+1].from
			}
			if end.IsZero() || !end.Before(cutoff) {
				out = append(out, sp)
			}
		}
		if len(out) == 0 {
			delete(s.podIPs, ip)
			continue
		}
		clear(spans[len(out):])
		s.podIPs[ip] = out
	}
}

// forEachIP calls fn once per IP in the pod's status.
func forEachIP(p *corev1.Pod, fn func(ip string)) {
	if ip := p.Status.PodIP; ip != "" {
		fn(ip)
	}
	for _, pip := range p.Status.PodIPs {
		if pip.IP != "" && pip.IP != p.Status.PodIP {
			fn(pip.IP)
		}
	}
}
