package diagnose

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// A request's attempts, as the proxy logged them: nginx retries the next
// peer (proxy_next_upstream), so one record may hold a failed attempt and a
// successful one (recovered: the client got the retry's answer), or several
// failed ones. The attempt that failed is what needs explaining, never the
// final status a retry produced.

// attempt is one try of a request.
type attempt struct {
	index   int // in the record's attempt lists
	address string
	status  string // as logged: "502", "-"
	length  int64  // response bytes, -1 when not logged
}

func attemptsOf(f *Facts) []attempt {
	out := make([]attempt, len(f.Addresses))
	for i, a := range f.Addresses {
		out[i] = attempt{index: i, address: a, length: -1}
		if i < len(f.Statuses) {
			out[i].status = f.Statuses[i]
		}
		if i < len(f.ResponseLengths) {
			out[i].length = f.ResponseLengths[i]
		}
	}
	return out
}

// failedAttempt is the attempt to judge for a recovered request: the one the
// error line names, else the last earlier attempt that failed.
func failedAttempt(f *Facts) (attempt, bool) {
	as := attemptsOf(f)
	if f.ErrorUpstream != "" {
		for i := len(as) - 1; i >= 0; i-- {
			if as[i].address == f.ErrorUpstream {
				return as[i], true
			}
		}
		return attempt{address: f.ErrorUpstream, status: "-", length: -1}, true
	}
	for i := len(as) - 2; i >= 0; i-- {
		if isFailure(as[i].status) {
			return as[i], true
		}
	}
	return attempt{}, false
}

// byFailedAttempt rewrites a recovered request's facts to those of the
// attempt that failed: its status, and whether the proxy made that status
// (an attempt that failed at the connection: "-", or 502/504 without a
// response body) or the app answered it. It returns the evidence saying so.
func byFailedAttempt(f *Facts) (string, bool) {
	if f.Outcome != schema.OutcomeRecovered {
		return "", false
	}
	a, ok := failedAttempt(f)
	if !ok {
		return "", false
	}
	final := f.Status
	if n, err := strconv.Atoi(a.status); err == nil {
		f.Status = n
	}
	f.ErrorUpstream = a.address
	proxyMade := a.status == "-" || f.ErrorKind != "" || ((a.status == "502" || a.status == "504") && a.length <= 0)
	if proxyMade {
		f.Origin = schema.OriginGateway
	} else {
		f.Origin = schema.OriginUpstream
	}
	return fmt.Sprintf("the client got %d from a retry; judged by the attempt that failed: %s answered %s", final, orDash(a.address), orDash(a.status)), true
}

// failedPeers are the distinct IP addresses whose attempts failed, in
// order: the attempts worth judging one by one. A trailing upstream group
// name (nginx logs it after "no live upstreams") is not an address.
func failedPeers(f *Facts) []attempt {
	var out []attempt
	seen := map[string]bool{}
	for _, a := range attemptsOf(f) {
		host, _, err := net.SplitHostPort(a.address)
		if err != nil || net.ParseIP(host) == nil || !isFailure(a.status) || seen[a.address] {
			continue
		}
		seen[a.address] = true
		out = append(out, a)
	}
	return out
}

// diagnoseAttempts judges each failed attempt of a request that failed at
// two or more addresses, and combines them: one cause when every attempt
// has it, else the cause of the attempt the error line names (or the last)
// at no more than medium
// confidence, with the evidence saying they differ.
func diagnoseAttempts(f Facts, peers []attempt, judgeOne func(Facts) Result) Result {
	results := make([]Result, len(peers))
	for i, a := range peers {
		g := f
		g.Addresses, g.Statuses, g.ResponseLengths, g.ResponseTimes = []string{a.address}, []string{a.status}, nil, nil
		if a.index < len(f.ResponseTimes) {
			g.ResponseTimes = []float64{f.ResponseTimes[a.index]}
		}
		if a.length >= 0 {
			g.ResponseLengths = []int64{a.length}
		}
		if n, err := strconv.Atoi(a.status); err == nil {
			g.Status = n
		}
		g.ErrorUpstream = a.address
		results[i] = judgeOne(g)
	}
	// The record's target is the attempt the error line names, else the
	// last one.
	main := len(results) - 1
	for i, a := range peers {
		if a.address == f.ErrorUpstream {
			main = i
		}
	}
	last := results[main]
	out := last
	out.Evidence, out.RuledOut = nil, nil
	same := true
	var summary []string
	for i, r := range results {
		same = same && r.Cause == last.Cause
		out.Attempts = append(out.Attempts, Attempt{Address: peers[i].address, Pod: r.Target.Pod, Cause: r.Cause})
		summary = append(summary, fmt.Sprintf("%s (%s): %s", peers[i].address, orDash(r.Target.Pod), r.Cause))
		for _, e := range r.Evidence {
			out.Evidence = append(out.Evidence, fmt.Sprintf("attempt %d: %s", i+1, e))
		}
		for _, e := range r.RuledOut {
			out.RuledOut = append(out.RuledOut, fmt.Sprintf("attempt %d: %s", i+1, e))
		}
	}
	head := fmt.Sprintf("%d attempts failed, each judged: %s", len(peers), strings.Join(summary, "; "))
	if !same {
		head = fmt.Sprintf("%d attempts failed for different reasons: %s; the record carries attempt %d's", len(peers), strings.Join(summary, "; "), main+1)
		if out.Confidence == schema.ConfidenceHigh {
			out.Confidence = schema.ConfidenceMedium
		}
	}
	out.Evidence = append([]string{head}, out.Evidence...)
	return out
}

// Attempt is the verdict on one failed attempt of a request that failed at
// several addresses.
type Attempt struct {
	Address, Pod, Cause string
}

// attemptTime is $upstream_response_time of the judged attempt (the last
// one when the address is not among the attempts), in seconds.
func (j *judge) attemptTime() (float64, bool) {
	n := len(j.f.Addresses)
	i := n - 1
	for k := n - 1; k >= 0; k-- {
		if j.f.Addresses[k] == j.result.Target.Address {
			i = k
			break
		}
	}
	if i < 0 || i >= len(j.f.ResponseTimes) || j.f.ResponseTimes[i] < 0 {
		return 0, false
	}
	return j.f.ResponseTimes[i], true
}
