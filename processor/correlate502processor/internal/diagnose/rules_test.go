package diagnose

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

func TestUnknown(t *testing.T) {
	refA := "pod shop/" + podA
	run(t, schema.ErrConnectRefused, msgRefused, []testCase{
		{
			name: "refused by a healthy pod",
			want: want{
				cause: schema.CauseUnknown, confidence: schema.ConfidenceLow, target: &targetA,
				ruledOut: []string{
					"service shop/checkout had 2 of 2 endpoint(s) ready at " + rfc(t0),
					refA + " was not being deleted at " + rfc(t0),
					refA + " had no container restart",
					"deployment shop/checkout had no rollout",
					refA + " was Ready at " + rfc(t0),
					"no TLS error",
					"no upstream timeout",
					"no premature close or reset",
				},
				remediation: []string{"kubectl -n shop describe pod " + podA, "kubectl -n shop logs " + podA + " --since=15m"},
			},
		},
		{
			name: "nothing known about the upstream",
			facts: func(f *Facts) {
				f.UpstreamName, f.ErrorUpstream, f.Addresses = "default-nginx-80", "10.9.9.9:80", []string{"10.9.9.9:80"}
			},
			want: want{
				cause: schema.CauseUnknown, target: &Target{Address: "10.9.9.9:80"},
				remediation: []string{"no Service or pod matched this upstream", "default-nginx-80"},
			},
		},
	})
}

// The README's table of causes lists the rules in the order they run.
func TestRulesInREADMEOrder(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(b), "\n## Causes and their rules\n")
	require.True(t, ok, "the README's section on rules")
	section, _, _ = strings.Cut(section, "\n## ")
	var inREADME []string
	for _, line := range strings.Split(section, "\n") {
		// Rows naming a rule start with it in backquotes; the last row
		// (none claimed) names none.
		if cell, ok := strings.CutPrefix(line, "| `"); ok {
			name, _, _ := strings.Cut(cell, "`")
			inREADME = append(inREADME, name)
		}
	}
	var inTable []string
	for _, r := range rules {
		inTable = append(inTable, r.name)
	}
	assert.Equal(t, inTable, inREADME)
}
