//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testcluster"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testcri"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testlabels"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testnginx"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testotlp"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testproc"
)

// TestLabeled makes every scenario of labeledScenarios fail for real
// behind real nginx, labels each failed request with the cause and pods it
// really had, and scores the built collector's verdicts in three states:
// live (watching the API server through the incident), dump (a `kubectl
// get -A -o yaml` dump taken after recovery, judged with auth_type none),
// and restarted (SIGKILLed mid-incident with every record still held in
// file_storage, started again after recovery). It writes the tables to
// $K8S502_LABELED_REPORT and fails on a record missing or doubled, on a
// wrong verdict at high confidence, and on a score below
// testdata/labeled-floor.json.
func TestLabeled(t *testing.T) {
	bin := collectorBinary(t)
	testnginx.Require(t)
	began := time.Now()
	c := testcluster.Start(t)
	c.GrantCollector(t, testcluster.CollectorRules(t))
	admin := c.AdminClient(t)
	_, err := admin.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: scenarioNS}}, metav1.CreateOptions{})
	require.NoError(t, err)
	s := newSuite(t, admin)
	scens := labeledScenarios()
	for _, sc := range scens {
		sc.app = sc.setup(s)
	}

	dir := t.TempDir()
	gateway := filepath.Join(dir, "gateway")
	require.NoError(t, os.Mkdir(gateway, 0o700))
	glob := filepath.Join(gateway, "var", "log", "pods", "*", "*", "*.log")
	t.Setenv("KUBECONFIG", c.WriteKubeconfig(t, c.Collector))
	sinks := map[string]*testotlp.Backend{stateLive: testotlp.Start(t), stateDump: testotlp.Start(t), stateRestarted: testotlp.Start(t)}
	startLabeledCollector(t, bin, filepath.Join(dir, stateLive), liveConfig(glob, sinks[stateLive].LogsEndpoint()), true)
	metricsPort := testproc.FreePort(t)
	restartCfg := restartConfig(glob, sinks[stateRestarted].LogsEndpoint(), filepath.Join(dir, "storage"), metricsPort)
	doomed := startLabeledCollector(t, bin, filepath.Join(dir, stateRestarted), restartCfg, true)

	// History, then quiet for over a minute: a pod Ready again is blamed
	// for a restart within the minute before a request, and the twins'
	// restarts must be older than that.
	historyAt := time.Now()
	for step := 0; ; step++ {
		ran := false
		for _, sc := range scens {
			if step < len(sc.history) {
				sc.history[step](s, sc.app, time.Now())
				ran = true
			}
		}
		if !ran {
			break
		}
		time.Sleep(2 * time.Second)
	}
	time.Sleep(time.Until(historyAt.Add(65 * time.Second)))

	incidentAt := time.Now()
	var locs []testnginx.Location
	for _, sc := range scens {
		l := sc.incident(s, sc.app, incidentAt)
		l.Host, l.Path, l.UpstreamName = scenarioHost, "/api/"+sc.name+"/", scenarioNS+"-"+sc.app.name+"-80"
		locs = append(locs, l)
	}
	changed := time.Now()
	ng := testnginx.Start(t, testnginx.Config{Container: testcri.Container{Root: gateway}, Locations: locs})
	// API times are whole seconds: the requests come in a later one.
	time.Sleep(time.Until(incidentAt.Truncate(time.Second).Add(1500 * time.Millisecond)))
	statuses := sendLabeled(t, ng, scens)
	labels, unlabeled := labelRequests(t, ng, scens, statuses, s.owner)
	ids := make([]string, len(labels))
	for i, l := range labels {
		ids[i] = l.RequestID
	}
	t.Logf("%d scenarios, %d failed requests labeled (%d answered by a first attempt, unlabeled), %s after the start",
		len(scens), len(labels), len(unlabeled), time.Since(began).Round(time.Second))

	// (c) The gateway dies holding every labeled record, after the 15 s
	// write of its history that follows the incident's changes (what
	// changed since the last write is lost in a kill, so a kill at another
	// instant would score a different state each run).
	time.Sleep(time.Until(changed.Add(16 * time.Second)))
	metrics := fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort)
	require.Eventually(t, func() bool {
		n, err := recordsPending(metrics)
		return err == nil && int(n) >= len(labels)
	}, 30*time.Second, 100*time.Millisecond, "the collector to be killed never held all %d labeled records", len(labels))
	require.Zero(t, sinks[stateRestarted].Has(ids), "records were judged before the kill: raise restartConfig's decision_wait")
	doomed.Kill()

	// (a) Judged live, before anything recovers.
	waitArrived(t, sinks[stateLive], stateLive, ids, 60*time.Second)

	recoverAt := time.Now()
	for _, sc := range scens {
		if sc.recovery != nil {
			sc.recovery(s, sc.app, recoverAt)
		}
	}

	// (b) The dump, judged alone; (c) the gateway back.
	snapshot := dumpCluster(t, c.Admin, dir)
	startLabeledCollector(t, bin, filepath.Join(dir, stateDump), dumpConfig(copyLog(t, gateway, filepath.Join(dir, "bundle")), sinks[stateDump].LogsEndpoint(), snapshot), false)
	startLabeledCollector(t, bin, filepath.Join(dir, stateRestarted+"-again"), restartCfg, true)
	waitArrived(t, sinks[stateDump], stateDump, ids, 90*time.Second)
	waitArrived(t, sinks[stateRestarted], stateRestarted, ids, 90*time.Second)
	time.Sleep(2 * time.Second) // a record sent twice would arrive by now

	states := []string{stateLive, stateDump, stateRestarted}
	var scores []testlabels.Score
	for _, st := range states {
		tally := sinks[st].Tally()
		for _, id := range ids {
			assert.Equal(t, 1, tally.Counts[id], "%s: records for labeled request %s", st, id)
		}
		for _, id := range unlabeled {
			assert.Zero(t, tally.Counts[id], "%s: a record for %s, which its first attempt answered", st, id)
		}
		scores = append(scores, testlabels.Judge(st, labels, verdictsOf(sinks[st].Verdicts())))
	}
	report := testlabels.Markdown(scores)
	path := os.Getenv("K8S502_LABELED_REPORT")
	if path == "" {
		path = filepath.Join(t.TempDir(), "labeled-report.md")
	}
	require.NoError(t, os.WriteFile(path, []byte(report), 0o644))
	t.Logf("labeled suite, %s in all; report in %s:\n\n%s", time.Since(began).Round(time.Second), path, report)

	for i, sc := range scores {
		logWrong(t, sc, sinks[states[i]].Verdicts())
		assert.Empty(t, sc.WrongHigh, "%s: wrong verdicts at high confidence", sc.State)
	}
	floor, err := testlabels.ReadFloor(filepath.Join("testdata", "labeled-floor.json"))
	require.NoError(t, err)
	above, err := floor.Check(scores)
	assert.NoError(t, err)
	if len(above) > 0 {
		t.Logf("scores above testdata/labeled-floor.json (raise it to keep them): %s", strings.Join(above, "; "))
	}
}

// sendLabeled sends each scenario's requests, one after the other (nginx
// picks peers round robin), the scenarios side by side, and returns the
// status each request id got.
func sendLabeled(t *testing.T, ng *testnginx.Nginx, scens []*lscenario) map[string]int {
	t.Helper()
	var mu sync.Mutex
	got := map[string]int{}
	errs := make([]error, len(scens))
	var wg sync.WaitGroup
	for i, sc := range scens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range sc.requests {
				id := fmt.Sprintf("labeled-%s-%d", sc.name, n+1)
				r, err := ng.Request("GET", scenarioHost, "/api/"+sc.name+"/items/"+fmt.Sprint(n+1), map[string]string{"X-Request-ID": id})
				if err != nil {
					errs[i] = err
					return
				}
				mu.Lock()
				got[id] = r.Status
				mu.Unlock()
				if r.Status != sc.status {
					errs[i] = fmt.Errorf("%s: %s got %d, the scenario makes %d (%q)", sc.name, id, r.Status, sc.status, r.Body)
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	ng.WaitRequests(t)
	return got
}

// labelRequests labels every request that met a failure: a failed status,
// or an attempt nginx logged as failed before a retry answered. The pods
// are the owners of the failed attempts' addresses, as nginx logged them;
// when it contacted none, the scenario's. Requests a first attempt
// answered are returned apart: they must have no record.
func labelRequests(t *testing.T, ng *testnginx.Nginx, scens []*lscenario, statuses map[string]int, owner map[string]string) (labels []testlabels.Label, unlabeled []string) {
	t.Helper()
	attempts := map[string]testlabels.Attempts{}
	for _, line := range ng.AccessLines(t) {
		a, err := testlabels.ParseAccess(line)
		require.NoError(t, err)
		attempts[a.RequestID] = a
	}
	for _, sc := range scens {
		var shapes []string
		before := len(labels)
		for n := range sc.requests {
			id := fmt.Sprintf("labeled-%s-%d", sc.name, n+1)
			a, ok := attempts[id]
			require.True(t, ok, "no access line for %s", id)
			failed := a.Failed()
			shapes = append(shapes, peerShape(a))
			if statuses[id] < 500 && len(failed) == 0 {
				unlabeled = append(unlabeled, id)
				continue
			}
			l := testlabels.Label{RequestID: id, Scenario: sc.name, Class: sc.class, Cause: sc.cause}
			for _, addr := range failed {
				require.Contains(t, owner, addr, "%s: no pod held %s", id, addr)
				if !slices.Contains(l.Pods, owner[addr]) {
					l.Pods = append(l.Pods, owner[addr])
				}
			}
			if len(l.Pods) == 0 && sc.pods != nil {
				l.Pods = sc.pods(sc.app)
			}
			labels = append(labels, l)
		}
		t.Logf("%s: peers per request: %s", sc.name, strings.Join(shapes, " | "))
		require.GreaterOrEqual(t, len(labels)-before, 2, "%s: the scenario must fail several requests", sc.name)
		if sc.shapes != nil {
			require.Equal(t, sc.shapes, shapes, "%s: the peers nginx logged per request", sc.name)
		}
	}
	return labels, unlabeled
}

// peerShape is what nginx logged as a request's peers: "ip" for an
// address, "group" for the upstream's name, "-" for none.
func peerShape(a testlabels.Attempts) string {
	var out []string
	for _, p := range a.Peers {
		switch {
		case p == "-":
			out = append(out, "-")
		case strings.Contains(p, ":"):
			out = append(out, "ip")
		default:
			out = append(out, "group")
		}
	}
	return strings.Join(out, ", ")
}

func verdictsOf(in map[string]testotlp.Verdict) map[string]testlabels.Verdict {
	out := make(map[string]testlabels.Verdict, len(in))
	for id, v := range in {
		out[id] = testlabels.Verdict{Cause: v.Cause, Confidence: v.Confidence, Pod: v.Pod}
	}
	return out
}

// logWrong shows the evidence behind each wrong verdict, for whoever
// improves the rules.
func logWrong(t *testing.T, s testlabels.Score, verdicts map[string]testotlp.Verdict) {
	t.Helper()
	for _, m := range s.Wrong {
		v := verdicts[m.Label.RequestID]
		t.Logf("%s %s: labeled %s %v, got %s (%s) pod %q; evidence: %s", s.State, m.Label.RequestID, m.Label.Cause, m.Label.Pods,
			v.Cause, v.Confidence, v.Pod, v.Evidence)
	}
}
