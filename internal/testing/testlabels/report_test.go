package testlabels

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMarkdown(t *testing.T) {
	labels := []Label{
		{RequestID: "a1", Scenario: "crash", Class: "base", Cause: "pod_crash", Pods: []string{"cart-0"}},
		{RequestID: "c1", Scenario: "selector", Class: "base", Cause: "no_endpoints"},
	}
	live := Judge("live", labels, map[string]Verdict{
		"a1": {Cause: "pod_crash", Confidence: "high", Pod: "cart-0"},
		"c1": {Cause: "no_endpoints", Confidence: "high"},
	})
	dump := Judge("dump", labels, map[string]Verdict{
		"a1": {Cause: "unknown", Confidence: "low", Pod: "cart-0"},
	})
	md := Markdown([]Score{live, dump})
	for _, want := range []string{
		"| live | 2 | 2 | 2/2 (100%) | 1/1 (100%) | 0/1 (0%) | 0/1 (0%) | 2/2 (100%) | 0 |",
		"| dump | 2 | 1 | 0/2 (0%) | 1/1 (100%) | 0/1 (0%) | 0/1 (0%) | 0/2 (0%) | 0 |",
		"| cause | support | live precision | live recall | dump precision | dump recall |",
		"| pod_crash | 1 | 100% | 100% | — | 0% |",
		"| unknown | 0 | — | — | 0% | — |",
		"| high | 2/2 (100%) | — |",
		"| low | — | 0/1 (0%) |",
		"| crash | base | 1 | 1 (high 1) | 0 (low 1) |",
		"| selector | base | 1 | 1 (high 1) | 0 (no record) |",
		"| dump | a1 | pod_crash | cart-0 | unknown | low | cart-0 |",
		"| dump | c1 | no_endpoints | — | (no record) | — | — |",
	} {
		assert.Contains(t, md, want)
	}
	// Every table row has as many cells as its header.
	var cols int
	for _, line := range strings.Split(md, "\n") {
		switch {
		case !strings.HasPrefix(line, "|"):
			cols = 0
		case cols == 0:
			cols = strings.Count(line, "|")
		default:
			assert.Equal(t, cols, strings.Count(line, "|"), line)
		}
	}
}
