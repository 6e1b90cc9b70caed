package correlate502processor // import "github.com/k8s502/otelcol-k8s502/processor/correlate502processor"

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/diagnose"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/incident"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/metadata"
)

// incidentState is what an incident record repeats of the diagnosis and of
// the gateway's resource; kept with the incident until it closes. resource
// may be shared with other incidents (see resourceCopy): read it only.
type incidentState struct {
	result   diagnose.Result
	resource pcommon.Map
}

// incidentRequest is what a judgement makes of a request for the tracker.
func incidentRequest(r diagnose.Result) incident.Request {
	t := r.Target
	req := incident.Request{
		Cause:  r.Cause,
		Target: incident.Target{Namespace: t.Namespace, Service: t.Service, Pod: t.Pod, Address: t.Address},
	}
	if t.Pod != "" {
		req.Target.Address = "" // one incident per pod, whichever of its ports failed
	}
	return req
}

// incidentTrackerKey is the tracker's key of the incident r counts in.
func incidentTrackerKey(r diagnose.Result) string {
	req := incidentRequest(r)
	return incident.Key(&req)
}

// resourceCopy is one copy of a gateway's resource, made when the first of
// its records opens an incident and shared by every incident its records
// open in the same batch: a copy per incident was a fifth of what opening
// one allocated. The copy is only ever read (appendIncidents copies from
// it), so sharing it is safe; judgeAll makes a new one per resource.
type resourceCopy struct {
	src  pcommon.Map
	copy pcommon.Map
	made bool
}

func (rc *resourceCopy) get() pcommon.Map {
	if !rc.made {
		rc.copy = pcommon.NewMap()
		rc.src.CopyTo(rc.copy)
		rc.made = true
	}
	return rc.copy
}

// observe counts a judged request in its incident, writes the incident id on
// the request's record and returns the incident records to send with it:
// the incident it opened, and any it closed.
func (c *correlator) observe(res *resourceCopy, lr plog.LogRecord, f *diagnose.Facts, jd *judgement, owner *logsProcessor, now time.Time) []*incident.Incident {
	r := jd.Result
	req := incidentRequest(r)
	req.Key, req.Time, req.Status, req.Outcome, req.Owner = jd.incident, f.Time, f.Status, f.Outcome, owner
	if v, ok := lr.Attributes().Get(schema.RequestID); ok {
		req.RequestID = v.Str()
	}
	id, opened, closed := c.incidents.Observe(req, now)
	lr.Attributes().PutStr(schema.IncidentID, id)
	if opened != nil {
		c.incidentInfo.Store(id, &incidentState{result: r, resource: res.get()})
		closed = append(closed, opened)
	}
	return closed
}

// appendIncidents adds one record per incident to ld, under the resource of
// the gateway that saw its first request: its closing record when the
// tracker closed it, else its opening one.
func (c *correlator) appendIncidents(ld plog.Logs, incs []*incident.Incident, now time.Time) {
	for _, inc := range incs {
		v, ok := c.incidentInfo.Load(inc.ID)
		if !ok {
			continue
		}
		info := v.(*incidentState)
		st := schema.IncidentStateOpen
		if inc.Closed {
			st = schema.IncidentStateClosed
		}
		rl := ld.ResourceLogs().AppendEmpty()
		info.resource.CopyTo(rl.Resource().Attributes())
		sl := rl.ScopeLogs().AppendEmpty()
		sl.Scope().SetName(metadata.ScopeName)
		c.fillIncident(sl.LogRecords().AppendEmpty(), inc, info.result, st, now)
		if st == schema.IncidentStateClosed {
			c.incidentInfo.Delete(inc.ID)
		}
	}
}

func (c *correlator) fillIncident(lr plog.LogRecord, inc *incident.Incident, r diagnose.Result, state string, now time.Time) {
	lr.SetTimestamp(pcommon.NewTimestampFromTime(inc.First))
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(now))
	lr.SetSeverityNumber(plog.SeverityNumberError)
	lr.SetSeverityText("ERROR")
	lr.SetEventName(schema.EventNameIncident)
	a := lr.Attributes()
	a.PutStr(schema.EventName, schema.EventNameIncident)
	a.PutStr(schema.IncidentID, inc.ID)
	a.PutStr(schema.IncidentState, state)
	a.PutInt(schema.IncidentCount, int64(inc.Count))
	a.PutStr(schema.IncidentFirstRequest, inc.First.UTC().Format(time.RFC3339Nano))
	a.PutStr(schema.IncidentLastRequest, inc.Last.UTC().Format(time.RFC3339Nano))
	a.PutInt(schema.IncidentFailed, int64(inc.Outcomes.Failed))
	a.PutInt(schema.IncidentRecovered, int64(inc.Outcomes.Recovered))
	a.PutInt(schema.IncidentTruncated, int64(inc.Outcomes.Truncated))
	st := a.PutEmptySlice(schema.IncidentStatuses)
	for _, s := range inc.Statuses {
		st.AppendEmpty().SetInt(int64(s))
	}
	putList(a, schema.IncidentSamples, inc.Samples)
	putList(a, schema.IncidentTimeline, c.timeline(inc, r))
	annotate(lr, r, true)
	lr.Body().SetStr(incidentSummary(inc, r, state))
}

// incidentSummary is the record's body: the line a person reads first.
// Appended into one buffer, not formatted: every opening and closing record
// has one, and fmt cost a dozen allocations each (its arguments escape).
func incidentSummary(inc *incident.Incident, r diagnose.Result, state string) string {
	t := r.Target
	b := make([]byte, 0, 256)
	b = append(b, state...)
	b = append(b, " incident "...)
	b = append(b, inc.ID...)
	b = append(b, ": "...)
	b = strconv.AppendInt(b, int64(inc.Count), 10)
	b = append(b, " request(s) to "...)
	switch {
	case t.Service != "":
		b = append(b, t.Namespace...)
		b = append(b, '/')
		b = append(b, t.Service...)
		if t.Pod != "" {
			b = append(b, " (pod "...)
			b = append(b, t.Pod...)
			b = append(b, ')')
		}
	case t.Address != "":
		b = append(b, t.Address...)
	default:
		b = append(b, "an unknown upstream"...)
	}
	b = append(b, " failed between "...)
	b = inc.First.UTC().AppendFormat(b, time.RFC3339)
	b = append(b, " and "...)
	b = inc.Last.UTC().AppendFormat(b, time.RFC3339)
	b = append(b, "; cause "...)
	b = append(b, r.Cause...)
	b = append(b, " ("...)
	b = append(b, r.Confidence...)
	b = append(b, " confidence)"...)
	if r.Remediation != "" {
		b = append(b, "; fix: "...)
		b = append(b, r.Remediation...)
	}
	return string(b)
}

// timeline lists the Kubernetes signals around an incident that explain it:
// the target pod's terminations, readiness changes, events and deletion,
// and its workload's rollout events, oldest first.
func (c *correlator) timeline(inc *incident.Incident, r diagnose.Result) []string {
	t := r.Target
	if t.Namespace == "" {
		return nil
	}
	from, to := inc.First.Add(-2*time.Minute), inc.Last.Add(c.diag.After)
	type entry struct {
		at   time.Time
		text string
	}
	var es []entry
	// Each entry is appended into buf and copied out once: fmt cost about
	// seven allocations per entry, and a pod's events make most entries.
	// buf and es start at sizes that fit most timelines (an entry is under
	// 256 bytes, most timelines hold a few), not at nothing, where growing
	// them cost as many allocations as the entries themselves.
	var buf []byte
	// start begins an entry at at, with its time, and reports whether at is
	// in the window: an entry outside it is not written.
	start := func(at time.Time) bool {
		if at.IsZero() || at.Before(from) || at.After(to) {
			return false
		}
		if buf == nil {
			buf, es = make([]byte, 0, 256), make([]entry, 0, 8)
		}
		buf = at.UTC().AppendFormat(buf[:0], time.RFC3339)
		buf = append(buf, ' ')
		return true
	}
	pod := func() {
		buf = append(buf, t.Namespace...)
		buf = append(buf, '/')
		buf = append(buf, t.Pod...)
	}
	add := func(at time.Time) { es = append(es, entry{at, string(buf)}) }
	if t.Pod != "" {
		for _, term := range c.store.Terminations(t.Namespace, t.Pod, from, to) {
			at := term.FinishedAt
			if at.IsZero() {
				at = term.Seen
			}
			if !start(at) {
				continue
			}
			buf = append(buf, "container "...)
			buf = append(buf, term.Container...)
			buf = append(buf, " of pod "...)
			pod()
			buf = append(buf, " terminated "...)
			buf = append(buf, term.Reason...)
			buf = append(buf, " (exit "...)
			buf = strconv.AppendInt(buf, int64(term.ExitCode), 10)
			buf = append(buf, "), restart "...)
			buf = strconv.AppendInt(buf, int64(term.RestartCount), 10)
			add(at)
		}
		if p, ok := c.store.Pod(t.Namespace, t.Pod); ok {
			for _, tr := range p.Ready {
				if !start(tr.At) {
					continue
				}
				buf = append(buf, "pod "...)
				pod()
				if tr.Ready {
					buf = append(buf, " became Ready (endpoint added)"...)
				} else {
					buf = append(buf, " lost readiness (endpoint removed)"...)
				}
				add(tr.At)
			}
			if dt := p.Pod.DeletionTimestamp; dt != nil && start(dt.Time) {
				buf = append(buf, "pod "...)
				pod()
				buf = append(buf, " deleted"...)
				add(dt.Time)
			}
		}
		for _, e := range c.store.Events(t.Namespace, "Pod", t.Pod, from, to) {
			if !start(e.Time) {
				continue
			}
			buf = append(buf, "event "...)
			buf = append(buf, e.Reason...)
			buf = append(buf, " on pod "...)
			pod()
			buf = append(buf, ": "...)
			buf = appendOneLine(buf, e.Message)
			buf = append(buf, " (x"...)
			buf = strconv.AppendInt(buf, int64(e.Count), 10)
			buf = append(buf, ')')
			add(e.Time)
		}
	}
	if t.Workload != "" {
		kind, name, _ := strings.Cut(t.Workload, "/")
		for _, e := range c.store.Events(t.Namespace, kind, name, from, to) {
			if !start(e.Time) {
				continue
			}
			buf = append(buf, "event "...)
			buf = append(buf, e.Reason...)
			buf = append(buf, " on "...)
			buf = append(buf, t.Workload...)
			buf = append(buf, ": "...)
			buf = appendOneLine(buf, e.Message)
			add(e.Time)
		}
	}
	slices.SortStableFunc(es, func(a, b entry) int { return a.at.Compare(b.at) })
	out := make([]string, 0, len(es))
	for _, e := range es {
		if len(out) == 0 || out[len(out)-1] != e.text {
			out = append(out, e.text)
		}
	}
	if len(out) > 20 { // a crash loop repeats itself: keep the start and the end
		out = append(out[:10], out[len(out)-10:]...)
	}
	return out
}

// appendOneLine appends s with its newlines as spaces, cut after 200 bytes
// with an ellipsis.
func appendOneLine(b []byte, s string) []byte {
	cut := len(s) > 200
	if cut {
		s = s[:200]
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			b = append(b, ' ')
		} else {
			b = append(b, s[i])
		}
	}
	if cut {
		b = append(b, "…"...)
	}
	return b
}

// closeIdle sends the closing record of every incident idle for
// incidents.idle (all of them at shutdown) to the pipeline it came through.
// A closing record its pipeline refuses is logged and dropped: the incident's
// requests were delivered, and its opening record too.
//
// The loop sends under each pipeline's release context; Shutdown passes its
// own ctx, so a blocked next consumer cannot hold it beyond its deadline.
func (c *correlator) closeIdle(now time.Time, all bool, ctxOf func(*logsProcessor) context.Context) {
	byOwner := map[*logsProcessor][]*incident.Incident{}
	for _, inc := range c.incidents.Expired(now, all) {
		p, _ := inc.Owner.(*logsProcessor)
		byOwner[p] = append(byOwner[p], inc)
	}
	for p, incs := range byOwner {
		ld := plog.NewLogs()
		c.appendIncidents(ld, incs, now)
		if p == nil || ld.LogRecordCount() == 0 {
			continue
		}
		if err := p.next.ConsumeLogs(ctxOf(p), ld); err != nil {
			c.set.Logger.Warn("incident closing records not accepted", zap.Int("incidents", len(incs)), zap.Error(err))
		}
	}
}
