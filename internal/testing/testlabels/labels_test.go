package testlabels

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestJudge(t *testing.T) {
	labels := []Label{
		{RequestID: "a1", Scenario: "crash", Cause: "pod_crash", Pods: []string{"cart-0"}},
		{RequestID: "a2", Scenario: "crash", Cause: "pod_crash", Pods: []string{"cart-0"}},
		{RequestID: "b1", Scenario: "gone", Cause: "pod_termination", Pods: []string{"orders-a", "orders-b"}},
		{RequestID: "b2", Scenario: "gone", Cause: "pod_termination", Pods: []string{"orders-a"}},
		{RequestID: "c1", Scenario: "selector", Cause: "no_endpoints"},
		{RequestID: "d1", Scenario: "app", Cause: "upstream_app_error", Pods: []string{"checkout-0"}},
	}
	verdicts := map[string]Verdict{
		"a1": {Cause: "pod_crash", Confidence: "high", Pod: "cart-0"},
		"a2": {Cause: "pod_crash", Confidence: "high", Pod: "cart-1"},           // right cause, wrong pod
		"b1": {Cause: "pod_termination", Confidence: "medium", Pod: "orders-b"}, // one of the labeled pods
		"b2": {Cause: "pod_termination", Confidence: "medium"},                  // no pod named: incomplete, still right
		"c1": {Cause: "pod_crash", Confidence: "low"},                           // wrong cause, no pod to score
		// d1: no record
	}
	s := Judge("live", labels, verdicts)
	assert.Equal(t, 6, s.Labeled)
	assert.Equal(t, 5, s.Judged)
	assert.Equal(t, 4, s.CauseRight)
	assert.Equal(t, 5, s.PodLabeled)
	assert.Equal(t, 2, s.PodRight)
	assert.Equal(t, 1, s.PodWrong)
	assert.Equal(t, 1, s.PodUnnamed)
	assert.Equal(t, 3, s.Right)
	assert.Equal(t, []string{"d1"}, s.Missing)
	assert.Equal(t, []string{"a2"}, s.WrongHigh)
	assert.Len(t, s.Wrong, 3)

	assert.Equal(t, []CauseRow{
		{Cause: "no_endpoints", Support: 1},
		{Cause: "pod_crash", Support: 2, Given: 3, TruePositive: 2},
		{Cause: "pod_termination", Support: 2, Given: 2, TruePositive: 2},
		{Cause: "upstream_app_error", Support: 1},
	}, s.Causes)
	p, ok := s.Causes[1].Precision()
	assert.True(t, ok)
	assert.InDelta(t, 2.0/3, p, 1e-9)
	_, ok = s.Causes[0].Precision()
	assert.False(t, ok, "never given: no precision")
	r, ok := s.Causes[0].Recall()
	assert.True(t, ok)
	assert.Zero(t, r)

	assert.Equal(t, []CalibrationRow{
		{Confidence: "high", Verdicts: 2, Right: 1},
		{Confidence: "medium", Verdicts: 2, Right: 2},
		{Confidence: "low", Verdicts: 1, Right: 0},
	}, s.Calibration)
	assert.Equal(t, []ScenarioRow{
		{Scenario: "crash", Requests: 2, Right: 1, Confidence: map[string]int{"high": 2}},
		{Scenario: "gone", Requests: 2, Right: 2, Confidence: map[string]int{"medium": 2}},
		{Scenario: "selector", Requests: 1, Confidence: map[string]int{"low": 1}},
		{Scenario: "app", Requests: 1, Confidence: map[string]int{}},
	}, s.Scenarios)
}

// A confidence outside the three levels (or none) is reported, not dropped.
func TestJudgeOddConfidence(t *testing.T) {
	s := Judge("x", []Label{{RequestID: "1", Cause: "unknown"}}, map[string]Verdict{"1": {Cause: "unknown"}})
	assert.Equal(t, []CalibrationRow{{Confidence: "", Verdicts: 1, Right: 1}}, s.Calibration)
}
