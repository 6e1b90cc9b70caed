package diagnose

import (
	"strconv"
	"time"

	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
)

// Nearly every rule names the request's time, the lookback window and the
// pod in what it claims or rules out, so one judgement rendered the same
// few texts a dozen times, each a new string. texts keeps them for the
// judgement (it lives in the judge, so it starts empty for each one).
type texts struct {
	times [4]timeText // the last times rendered, round robin
	next  int

	podRef     string
	podRefOf   *cluster.PodInfo // the pod podRef names; nil: by address
	podRefAddr string
}

type timeText struct {
	unix int64
	text string
}

// ts is ts(t), reusing the text of a time rendered before in this
// judgement. The text only depends on t's second, its Unix time.
func (j *judge) ts(t time.Time) string {
	c := &j.texts
	u := t.Unix()
	for i := range c.times {
		if c.times[i].text != "" && c.times[i].unix == u {
			return c.times[i].text
		}
	}
	s := ts(t)
	c.times[c.next] = timeText{unix: u, text: s}
	c.next = (c.next + 1) % len(c.times)
	return s
}

// podRef names the judged pod ("pod ns/name"), or its address when no pod
// is known, as evidence and ruled-out texts refer to it.
func (j *judge) podRef() string {
	c := &j.texts
	if c.podRef != "" && c.podRefOf == j.pod && (j.pod != nil || c.podRefAddr == j.result.Target.Address) {
		return c.podRef
	}
	if j.pod == nil {
		c.podRef = "pod at " + j.result.Target.Address
	} else {
		c.podRef = "pod " + j.pod.Pod.Namespace + "/" + j.pod.Pod.Name
	}
	c.podRefOf, c.podRefAddr = j.pod, j.result.Target.Address
	return c.podRef
}

// ruledOut adds a rendered ruled-out text. A judgement rules out about six
// causes: room for eight at once instead of growing the list four times.
// The list stays nil when nothing is ruled out.
func (j *judge) ruledOut(text string) {
	if j.result.RuledOut == nil {
		j.result.RuledOut = make([]string, 0, 8)
	}
	j.result.RuledOut = append(j.result.RuledOut, text)
}

// podEventText is an event on the judged pod as evidence: pod_crash and
// readiness_probe quote the events they find the same way.
func (j *judge) podEventText(e *cluster.Event) string {
	return "event " + e.Reason + " on " + j.podRef() + " at " + j.ts(e.Time) + ": " + e.Message + " (x" + strconv.Itoa(int(e.Count)) + ")"
}

// notReadyText says the judged pod was not Ready at the request's time.
func (j *judge) notReadyText() string {
	return j.podRef() + " was not Ready at " + j.ts(j.f.Time)
}
