//go:build e2e

package e2e

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testcluster"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testnginx"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testupstream"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testvlogs"
)

// The pieces every real-proxy scenario test (nginx, F5, HAProxy, Traefik)
// runs the same way: the cluster, the crashed pod, the collector and the
// lookup of one request's record.

// startScenarioCluster starts the API server with the collector's RBAC,
// VictoriaLogs, and the scenario namespace, and returns an admin client.
func startScenarioCluster(t *testing.T) (*testcluster.Cluster, *testvlogs.Server, kubernetes.Interface) {
	t.Helper()
	c := testcluster.Start(t)
	c.GrantCollector(t, testcluster.CollectorRules(t))
	vl := testvlogs.Start(t)
	admin := c.AdminClient(t)
	_, err := admin.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: scenarioNS}}, metav1.CreateOptions{})
	require.NoError(t, err)
	return c, vl, admin
}

// crashLooping is the status of a pod OOMKilled 3 s ago after running two
// minutes, restarted three times and now in CrashLoopBackOff; its address
// refuses connections.
func crashLooping(st *corev1.PodStatus) {
	at := time.Now().Add(-3 * time.Second)
	notReady(st, at)
	cs := &st.ContainerStatuses[0]
	cs.RestartCount = 3
	cs.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}
	cs.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
		Reason: "OOMKilled", ExitCode: 137,
		StartedAt:  metav1.NewTime(at.Add(-2 * time.Minute)),
		FinishedAt: metav1.NewTime(at),
	}}
}

// startScenarioCollector runs the collector on a proxy's CRI file, with
// receiverLines (format, statuses; "" for ingress-nginx) added to the
// k8s502 receiver and a 10m lookback, as the collector identity, and
// returns once its informers have synced.
func startScenarioCollector(t *testing.T, c *testcluster.Cluster, bin, criPath, receiverLines string, vl *testvlogs.Server) {
	t.Helper()
	startCollector(t, c, bin, fmt.Sprintf(collectorConfig, criPath, receiverLines, "    lookback: 10m", vl.OTLPLogsEndpoint()))
}

// scenarioRecord waits for the record of one request in VictoriaLogs.
func scenarioRecord(t *testing.T, vl *testvlogs.Server, reqID string) map[string]any {
	t.Helper()
	return oneRecord(t, vl, fmt.Sprintf("%s:%q", schema.RequestID, reqID), schema.RequestID, reqID)
}

// pathRecord waits for the record of the one request to path, for formats
// that log no request id (haproxytech, F5's main, Traefik's).
func pathRecord(t *testing.T, vl *testvlogs.Server, path string) map[string]any {
	t.Helper()
	return oneRecord(t, vl, fmt.Sprintf("%s:=%q", schema.URLPath, path), schema.URLPath, path)
}

// oneRecord waits up to a minute for query to find records and requires
// exactly one, the one whose key is value.
func oneRecord(t *testing.T, vl *testvlogs.Server, query, key, value string) map[string]any {
	t.Helper()
	var rows []map[string]any
	require.Eventually(t, func() bool {
		_ = vl.Flush(t.Context())
		var err error
		rows, err = vl.Query(t.Context(), query)
		return err == nil && len(rows) > 0
	}, 60*time.Second, 250*time.Millisecond, "no record with %s=%s in VictoriaLogs", key, value)
	require.Len(t, rows, 1, "records for %s", value)
	return rows[0]
}

// fieldOf reads a record's fields as strings, "" for a missing one.
func fieldOf(row map[string]any) func(k string) string {
	return func(k string) string {
		if v, ok := row[k]; ok {
			return fmt.Sprint(v)
		}
		return ""
	}
}

// assertContainsAll asserts that field (named name) contains every want.
func assertContainsAll(t *testing.T, field string, wants []string, name string) {
	t.Helper()
	for _, want := range wants {
		assert.Contains(t, field, want, name)
	}
}

// nginxBackend is one scenario's backend behind nginx for the layouts whose
// access lines name no upstream (F5, NGF, Kong): the pod is found by the
// error line's peer address, the Service by the EndpointSlice listing it.
type nginxBackend struct {
	ip          int // the upstream listens on 127.0.0.<ip>
	backend     *backend
	behavior    testupstream.Behavior
	podStatus   func(st *corev1.PodStatus)
	noEndpoints bool               // the Service selects no pod: an empty slice, no server
	loc         testnginx.Location // Host, Path, ReadTimeout, UpstreamName
}

// start starts the upstream, creates the Service and the pod at its address,
// and the EndpointSlice controller's view of them: the pod (by targetRef and
// port) at the stand-in 10.244.0.<ip>, as the API server refuses 127/8. It
// returns the upstream and loc with the upstream as its server, unless the
// Service has no endpoints.
func (b nginxBackend) start(t *testing.T, admin kubernetes.Interface) (*testupstream.Upstream, testnginx.Location) {
	t.Helper()
	up := testupstream.Start(t, fmt.Sprintf("127.0.0.%d:0", b.ip), b.behavior)
	_, port, err := net.SplitHostPort(up.Addr)
	require.NoError(t, err)
	b.backend.addr = up.Addr
	b.backend.create(t, admin, b.podStatus)
	standIn := *b.backend
	standIn.addr = net.JoinHostPort(fmt.Sprintf("10.244.0.%d", b.ip), port)
	if b.noEndpoints {
		createEndpointSlice(t, admin, &standIn, false, true)
		return up, b.loc
	}
	// A crashed pod is not Ready, so the slice lists it not ready; the
	// controller has not yet caught up and still renders it.
	createEndpointSlice(t, admin, &standIn, b.podStatus == nil, false)
	b.loc.Servers = []string{up.Addr}
	return up, b.loc
}
