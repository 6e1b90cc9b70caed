package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// incident is what a person reads of an incident record.
type incident struct {
	ID          string   `json:"id"`
	State       string   `json:"state"`
	First       string   `json:"first_request"`
	Last        string   `json:"last_request"`
	Namespace   string   `json:"namespace,omitempty"`
	Service     string   `json:"service,omitempty"`
	Pod         string   `json:"pod,omitempty"`
	Address     string   `json:"address,omitempty"`
	Cause       string   `json:"cause"`
	Confidence  string   `json:"confidence"`
	Requests    int64    `json:"requests"`
	Failed      int64    `json:"failed"`
	Recovered   int64    `json:"rescued_by_retry"`
	Truncated   int64    `json:"truncated"`
	Statuses    []int64  `json:"statuses"`
	Samples     []string `json:"sample_request_ids"`
	Evidence    []string `json:"evidence"`
	RuledOut    []string `json:"ruled_out"`
	Remediation string   `json:"remediation"`
	Timeline    []string `json:"timeline"`
}

func fromRecord(lr plog.LogRecord) incident {
	a := lr.Attributes()
	return incident{
		ID: str(a, schema.IncidentID), State: str(a, schema.IncidentState),
		First: str(a, schema.IncidentFirstRequest), Last: str(a, schema.IncidentLastRequest),
		Namespace: str(a, schema.TargetNamespace), Service: str(a, schema.TargetService),
		Pod: str(a, schema.TargetPod), Address: str(a, schema.TargetAddress),
		Cause: str(a, schema.Cause), Confidence: str(a, schema.CauseConfidence),
		Requests: num(a, schema.IncidentCount), Failed: num(a, schema.IncidentFailed),
		Recovered: num(a, schema.IncidentRecovered), Truncated: num(a, schema.IncidentTruncated),
		Statuses: nums(a, schema.IncidentStatuses), Samples: strs(a, schema.IncidentSamples),
		Evidence: strs(a, schema.Evidence), RuledOut: strs(a, schema.RuledOut),
		Remediation: str(a, schema.Remediation), Timeline: strs(a, schema.IncidentTimeline),
	}
}

// newestFirst orders incidents by their last request, newest first.
func newestFirst(recs []plog.LogRecord) []incident {
	out := make([]incident, 0, len(recs))
	for _, lr := range recs {
		out = append(out, fromRecord(lr))
	}
	slices.SortStableFunc(out, func(a, b incident) int { return strings.Compare(b.Last, a.Last) })
	return out
}

func printJSON(w io.Writer, recs []plog.LogRecord) error {
	enc := json.NewEncoder(w)
	for _, inc := range newestFirst(recs) {
		if err := enc.Encode(inc); err != nil {
			return err
		}
	}
	return nil
}

// printTable prints one row per incident and its fix below it. The rows are
// aligned by a tabwriter; the fixes are not in it, so a long command does
// not widen every column.
func printTable(w io.Writer, recs []plog.LogRecord) {
	incs := newestFirst(recs)
	var rows strings.Builder
	tw := tabwriter.NewWriter(&rows, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WINDOW (UTC)\tSERVICE\tPOD / ADDRESS\tCAUSE\tREQUESTS failed/rescued/truncated")
	for _, inc := range incs {
		svc := "-"
		if inc.Service != "" {
			svc = inc.Namespace + "/" + inc.Service
		}
		where := inc.Pod
		if where == "" {
			where = orDash(inc.Address)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s (%s)\t%d  %d/%d/%d\n", window(inc.First, inc.Last), svc, where,
			inc.Cause, inc.Confidence, inc.Requests, inc.Failed, inc.Recovered, inc.Truncated)
	}
	tw.Flush()
	lines := strings.Split(strings.TrimSuffix(rows.String(), "\n"), "\n")
	fmt.Fprintf(w, "   %s\n", lines[0])
	for i, inc := range incs {
		fmt.Fprintf(w, "   %s\n", lines[i+1])
		fix := strings.Split(orDash(inc.Remediation), "\n")
		fmt.Fprintf(w, "       fix: %s\n", fix[0])
		for _, l := range fix[1:] {
			fmt.Fprintf(w, "            %s\n", l)
		}
	}
}

func window(first, last string) string {
	f, err1 := time.Parse(time.RFC3339Nano, first)
	l, err2 := time.Parse(time.RFC3339Nano, last)
	if err1 != nil || err2 != nil {
		return first + " - " + last
	}
	if f.Truncate(time.Second).Equal(l.Truncate(time.Second)) {
		return f.Format("2006-01-02 15:04:05")
	}
	return f.Format("2006-01-02 15:04:05") + "-" + l.Format("15:04:05")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func str(m pcommon.Map, k string) string {
	if v, ok := m.Get(k); ok {
		return v.AsString()
	}
	return ""
}

func num(m pcommon.Map, k string) int64 {
	if v, ok := m.Get(k); ok && v.Type() == pcommon.ValueTypeInt {
		return v.Int()
	}
	return 0
}

func strs(m pcommon.Map, k string) []string {
	v, ok := m.Get(k)
	if !ok || v.Type() != pcommon.ValueTypeSlice {
		return nil
	}
	out := make([]string, v.Slice().Len())
	for i := range out {
		out[i] = v.Slice().At(i).AsString()
	}
	return out
}

func nums(m pcommon.Map, k string) []int64 {
	v, ok := m.Get(k)
	if !ok || v.Type() != pcommon.ValueTypeSlice {
		return nil
	}
	out := make([]int64, v.Slice().Len())
	for i := range out {
		out[i] = v.Slice().At(i).Int()
	}
	return out
}
