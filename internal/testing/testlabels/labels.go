// Package testlabels scores the correlate502 processor against ground
// truth: each failed request of a labeled suite carries the cause and the
// pods it really failed on (known from how the test made it fail), and the
// processor's verdicts, per way of judging (watched live, from a dump
// taken after recovery, after a restart), are counted against them:
// precision and recall per cause, pod accuracy, and how often each
// confidence level was right. The e2e suite (test/e2e, TestLabeled) makes
// the failures; this package only counts, so the counting has unit tests
// of its own.
package testlabels

import (
	"slices"
	"sort"
)

// Label is the ground truth for one failed request.
type Label struct {
	RequestID string
	// Scenario names the failure that was made (one scenario, several
	// requests); Class groups scenarios in the report.
	Scenario, Class string
	Cause           string
	// Pods are the pods whose failure the request met: those its failed
	// attempts hit, or the ones the scenario broke when the gateway
	// contacted none. A verdict naming any of them names the right pod.
	// Empty: no pod was involved (a selector matching nothing), and the
	// pod is not scored.
	Pods []string
}

// Verdict is what the processor said about one request.
type Verdict struct {
	Cause, Confidence, Pod string
}

// Confidence levels, best first, as k8s502.cause.confidence has them.
var levels = []string{"high", "medium", "low"}

// Score is one way of judging, counted against the labels.
type Score struct {
	State string
	// Labeled requests, and how many of them got a verdict.
	Labeled, Judged int
	// CauseRight: verdicts with the labeled cause. PodLabeled: labels
	// naming pods; of their verdicts, PodRight name one of them, PodWrong
	// another pod, PodUnnamed none.
	CauseRight, PodLabeled, PodRight, PodWrong, PodUnnamed int
	// Right: the cause right and no wrong pod named. A verdict that names
	// no pod (it could not tell which) is incomplete, not misleading; one
	// that names another pod sends the reader to the wrong place.
	// Calibration and WrongHigh count this.
	Right int
	// Causes has a row for every cause labeled or given, sorted by name.
	Causes []CauseRow
	// Calibration has a row per confidence level given, best first.
	Calibration []CalibrationRow
	// Scenarios has a row per scenario, in label order.
	Scenarios []ScenarioRow
	// Missing are labeled requests without a verdict; WrongHigh those
	// whose verdict was wrong at high confidence; Wrong every wrong one.
	Missing, WrongHigh []string
	Wrong              []Miss
}

// CauseRow is one cause: Support labels have it, Given verdicts say it,
// TruePositive verdicts say it of requests labeled with it.
type CauseRow struct {
	Cause                        string
	Support, Given, TruePositive int
}

// Precision is TruePositive/Given; ok is false when the cause was never given.
func (r CauseRow) Precision() (float64, bool) { return ratio(r.TruePositive, r.Given) }

// Recall is TruePositive/Support; ok is false when no label has the cause.
func (r CauseRow) Recall() (float64, bool) { return ratio(r.TruePositive, r.Support) }

// CalibrationRow is how often verdicts at one confidence level were right.
type CalibrationRow struct {
	Confidence      string
	Verdicts, Right int
}

// ScenarioRow counts one scenario's requests and right verdicts, and its
// verdicts per confidence level.
type ScenarioRow struct {
	Scenario, Class string
	Requests, Right int
	Confidence      map[string]int
}

// Miss is a wrong verdict beside its label.
type Miss struct {
	Label   Label
	Verdict Verdict
}

func ratio(n, d int) (float64, bool) {
	if d == 0 {
		return 0, false
	}
	return float64(n) / float64(d), true
}

// Judge scores the verdicts (keyed by request id) of one state. A label
// without a verdict counts as wrong everywhere except calibration, which
// only counts verdicts given.
func Judge(state string, labels []Label, verdicts map[string]Verdict) Score {
	s := Score{State: state, Labeled: len(labels)}
	causes := map[string]*CauseRow{}
	row := func(c string) *CauseRow {
		if causes[c] == nil {
			causes[c] = &CauseRow{Cause: c}
		}
		return causes[c]
	}
	calib := map[string]*CalibrationRow{}
	scen := map[string]*ScenarioRow{}
	var scenOrder []string
	for _, l := range labels {
		row(l.Cause).Support++
		sr := scen[l.Scenario]
		if sr == nil {
			sr = &ScenarioRow{Scenario: l.Scenario, Class: l.Class, Confidence: map[string]int{}}
			scen[l.Scenario] = sr
			scenOrder = append(scenOrder, l.Scenario)
		}
		sr.Requests++
		if len(l.Pods) > 0 {
			s.PodLabeled++
		}
		v, ok := verdicts[l.RequestID]
		if !ok {
			s.Missing = append(s.Missing, l.RequestID)
			s.Wrong = append(s.Wrong, Miss{Label: l})
			continue
		}
		s.Judged++
		sr.Confidence[v.Confidence]++
		row(v.Cause).Given++
		causeRight := v.Cause == l.Cause
		podWrong := false
		if len(l.Pods) > 0 {
			switch {
			case v.Pod == "":
				s.PodUnnamed++
			case slices.Contains(l.Pods, v.Pod):
				s.PodRight++
			default:
				s.PodWrong++
				podWrong = true
			}
		}
		if causeRight {
			s.CauseRight++
			row(v.Cause).TruePositive++
		}
		c := calib[v.Confidence]
		if c == nil {
			c = &CalibrationRow{Confidence: v.Confidence}
			calib[v.Confidence] = c
		}
		c.Verdicts++
		if causeRight && !podWrong {
			s.Right++
			c.Right++
			sr.Right++
			continue
		}
		s.Wrong = append(s.Wrong, Miss{Label: l, Verdict: v})
		if v.Confidence == "high" {
			s.WrongHigh = append(s.WrongHigh, l.RequestID)
		}
	}
	for _, r := range causes {
		s.Causes = append(s.Causes, *r)
	}
	sort.Slice(s.Causes, func(i, j int) bool { return s.Causes[i].Cause < s.Causes[j].Cause })
	for _, lv := range levels {
		if c := calib[lv]; c != nil {
			s.Calibration = append(s.Calibration, *c)
			delete(calib, lv)
		}
	}
	// A level outside high/medium/low (or none at all) is shown, not hidden.
	var other []string
	for lv := range calib {
		other = append(other, lv)
	}
	sort.Strings(other)
	for _, lv := range other {
		s.Calibration = append(s.Calibration, *calib[lv])
	}
	for _, name := range scenOrder {
		s.Scenarios = append(s.Scenarios, *scen[name])
	}
	return s
}
