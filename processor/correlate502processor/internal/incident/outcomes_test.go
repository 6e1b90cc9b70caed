package incident

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Each reported outcome has its own count; the rest are counted apart.
func TestOutcomesCountEachOutcome(t *testing.T) {
	tr := New(0, 10)
	var inc *Incident
	for _, o := range []string{"failed", "recovered", "recovered", "truncated", "truncated", "truncated", "unmatched", ""} {
		_, opened, _ := tr.Observe(req("c", "p", t0, o, ""), t0)
		if opened != nil {
			inc = opened
		}
	}
	incs := tr.Expired(t0, true)
	assert.Len(t, incs, 1)
	assert.Equal(t, Outcomes{Failed: 1}, inc.Outcomes)
	assert.Equal(t, Outcomes{Failed: 1, Recovered: 2, Truncated: 3, Other: 2}, incs[0].Outcomes)
}
