package correlate502processor

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/diagnose"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/incident"
)

// The summary names the target by Service (and pod), else by address, else
// says it is unknown; the fix is only there when there is one.
func TestIncidentSummaryTargets(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	inc := &incident.Incident{ID: "0123456789abcdef01234567", Count: 12, First: t0, Last: t0.Add(90 * time.Second)}
	for _, tc := range []struct {
		target diagnose.Target
		fix    string
		want   string
	}{
		{diagnose.Target{Namespace: "shop", Service: "cart", Pod: "cart-1", Address: "10.0.0.9:80"}, "scale up",
			"open incident 0123456789abcdef01234567: 12 request(s) to shop/cart (pod cart-1) failed between 2026-01-02T03:04:05Z and 2026-01-02T03:05:35Z; cause c (high confidence); fix: scale up"},
		{diagnose.Target{Namespace: "shop", Service: "cart"}, "",
			"open incident 0123456789abcdef01234567: 12 request(s) to shop/cart failed between 2026-01-02T03:04:05Z and 2026-01-02T03:05:35Z; cause c (high confidence)"},
		{diagnose.Target{Address: "10.0.0.9:80"}, "",
			"open incident 0123456789abcdef01234567: 12 request(s) to 10.0.0.9:80 failed between 2026-01-02T03:04:05Z and 2026-01-02T03:05:35Z; cause c (high confidence)"},
		{diagnose.Target{}, "",
			"open incident 0123456789abcdef01234567: 12 request(s) to an unknown upstream failed between 2026-01-02T03:04:05Z and 2026-01-02T03:05:35Z; cause c (high confidence)"},
	} {
		r := diagnose.Result{Target: tc.target, Cause: "c", Confidence: "high", Remediation: tc.fix}
		assert.Equal(t, tc.want, incidentSummary(inc, r, "open"))
	}
}

// An event message in the timeline is one line of at most 200 bytes.
func TestAppendOneLine(t *testing.T) {
	assert.Equal(t, "x: a b  c", string(appendOneLine([]byte("x: "), "a\nb\n\nc")))
	long := strings.Repeat("ab\n", 100)
	want := strings.ReplaceAll(long, "\n", " ")[:200] + "…"
	assert.Equal(t, want, string(appendOneLine(nil, long)))
	assert.Equal(t, strings.Repeat("z", 200), string(appendOneLine(nil, strings.Repeat("z", 200))))
}
