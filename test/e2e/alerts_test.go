//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testproc"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testvlogs"
)

// alertRule is one rule of examples/alerts/logsql-rules.yaml.
type alertRule struct {
	Record string `json:"record"`
	Alert  string `json:"alert"`
	Expr   string `json:"expr"`
}

func loadAlertRules(t *testing.T) map[string]alertRule {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testproc.RepoRoot(t), "examples", "alerts", "logsql-rules.yaml"))
	require.NoError(t, err)
	var f struct {
		Groups []struct {
			Name  string      `json:"name"`
			Type  string      `json:"type"`
			Rules []alertRule `json:"rules"`
		} `json:"groups"`
	}
	require.NoError(t, yaml.Unmarshal(b, &f))
	rules := map[string]alertRule{}
	for _, g := range f.Groups {
		require.Equal(t, "vlogs", g.Type, "group %s", g.Name)
		for _, r := range g.Rules {
			name := r.Record + r.Alert
			require.NotEmpty(t, name, "rule without record or alert in group %s", g.Name)
			require.NotEmpty(t, r.Expr, "rule %s", name)
			rules[name] = r
		}
	}
	return rules
}

// alertWant is what the records in VictoriaLogs must add up to: failed
// requests per cause, per "<namespace>/<service>", and the causes the
// burst alert must fire for (with their counts).
type alertWant struct {
	byCause, byService, burst map[string]int
}

// checkAlertRules runs every rule of examples/alerts/logsql-rules.yaml as
// vmalert would (stats_query over the last 5 minutes, the rule's interval)
// and compares the series with what was ingested.
func checkAlertRules(t *testing.T, vl *testvlogs.Server, want alertWant) {
	rules := loadAlertRules(t)
	total := 0
	for _, n := range want.byCause {
		total += n
	}
	require.Eventually(t, func() bool {
		_ = vl.Flush(t.Context())
		return count(t.Context(), t, vl, schema.Outcome+":="+schema.OutcomeFailed) >= total
	}, 60*time.Second, 250*time.Millisecond, "fewer than %d failed records in VictoriaLogs", total)
	series := func(name string) []statsSample {
		r, ok := rules[name]
		require.True(t, ok, "rule %s not in logsql-rules.yaml", name)
		return statsQuery(t, vl, "_time:5m "+r.Expr)
	}
	got := func(samples []statsSample, key func(map[string]string) string) map[string]int {
		m := map[string]int{}
		for _, s := range samples {
			m[key(s.Metric)] += s.Value
		}
		return m
	}
	cause := func(l map[string]string) string { return l[schema.Cause] }

	assert.Equal(t, want.byCause, got(series("k8s502_failed_requests_by_cause"), cause), "k8s502_failed_requests_by_cause")
	assert.Equal(t, want.byService, got(series("k8s502_failed_requests_by_target_service"), func(l map[string]string) string {
		return l[schema.TargetNamespace] + "/" + l[schema.TargetService]
	}), "k8s502_failed_requests_by_target_service")
	assert.Equal(t, want.burst, got(series("K8s502CauseBurst"), cause), "K8s502CauseBurst firing series")
}

type statsSample struct {
	Metric map[string]string
	Value  int
}

// statsQuery calls /select/logsql/stats_query, the API vmalert uses for
// type: vlogs rules, and returns the instant vector.
func statsQuery(t *testing.T, vl *testvlogs.Server, query string) []statsSample {
	t.Helper()
	require.NoError(t, vl.Flush(t.Context()))
	form := url.Values{"query": {query}}
	resp, err := http.PostForm(vl.URL+"/select/logsql/stats_query", form)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "stats_query %q: %s", query, body)
	var r struct {
		Status string `json:"status"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(body, &r), "stats_query %q: %s", query, body)
	require.Equal(t, "success", r.Status, "stats_query %q: %s", query, body)
	var out []statsSample
	for _, s := range r.Data.Result {
		n, err := strconv.ParseFloat(fmt.Sprint(s.Value[1]), 64)
		require.NoError(t, err, "stats_query %q: value %v", query, s.Value)
		out = append(out, statsSample{Metric: s.Metric, Value: int(n)})
	}
	t.Logf("%s\n  -> %v", query, out)
	return out
}
