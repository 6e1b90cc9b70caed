package correlate502processor

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/diagnose"
)

// ciliumScenario is one failure of testdata/cilium (rendered from
// CiliumGatewayClassConfig's default text format, not captured) and what
// each cluster makes of it.
type ciliumScenario struct {
	path    string      // the record's url.path
	fc      failureCase // the Service and pod behind its address
	crash   verdict     // the pod crashed just before (crashCluster)
	healthy verdict     // nothing happened in the cluster (healthyCluster)
	noEP    verdict     // the Service selects no pod (noEndpointsCluster)
}

type verdict struct{ cause, confidence string }

// ciliumScenarios: Cilium's format has flags and the upstream host but no
// response code details and no transport failure reason. A UF or UC from a
// healthy pod therefore stays unknown (refused, connect timeout and TLS
// are one flag; a reused connection's race is not told from a close), and
// UH names neither host nor Service, so no_endpoints is at most medium.
// Only what the line or the cluster states outright is high: UT is Envoy's
// own route timeout, a status with a host and no flag is the app's own,
// a container termination is the pod's own record.
var ciliumScenarios = []ciliumScenario{
	{path: "/api/cart/items/42", fc: failureCase{service: "cart", port: 8080, target: 8080, podIP: "10.244.1.17"},
		crash: verdict{schema.CausePodCrash, schema.ConfidenceHigh}, healthy: verdict{schema.CauseUnknown, schema.ConfidenceLow}},
	{path: "/api/cart/items/43", fc: failureCase{service: "cart", port: 8080, target: 8080, podIP: "10.244.1.17"},
		crash: verdict{schema.CausePodCrash, schema.ConfidenceHigh}, healthy: verdict{schema.CauseUnknown, schema.ConfidenceLow}},
	{path: "/api/reports/monthly", fc: failureCase{service: "reports", port: 8080, target: 8080, podIP: "10.244.2.31"},
		healthy: verdict{schema.CauseUpstreamTimeout, schema.ConfidenceHigh}},
	{path: "/api/promotions/active", fc: failureCase{service: "promotions", port: 8080, target: 8080},
		noEP: verdict{schema.CauseNoEndpoints, schema.ConfidenceMedium}, healthy: verdict{schema.CauseNoEndpoints, schema.ConfidenceMedium}},
	{path: "/api/orders/7", fc: failureCase{service: "orders", port: 8080, target: 8080, podIP: "10.244.2.23"},
		crash: verdict{schema.CausePodCrash, schema.ConfidenceHigh}, healthy: verdict{schema.CauseUnknown, schema.ConfidenceLow}},
	{path: "/api/checkout/pay", fc: failureCase{service: "checkout", port: 8080, target: 8080, podIP: "10.244.3.14"},
		healthy: verdict{schema.CauseUpstreamAppError, schema.ConfidenceHigh}},
}

// TestCiliumScenarios judges every record of the Cilium golden output
// against each cluster around its own time: the cause per scenario where
// the table names one, and nowhere a high verdict without direct evidence.
func TestCiliumScenarios(t *testing.T) {
	ld, err := golden.ReadLogs(filepath.Join(receiverGolden, "gateway-cilium-documented-format.yaml"))
	require.NoError(t, err)
	byPath := map[string]record{}
	for _, r := range gatewayRecords(ld) {
		p, _ := r.lr.Attributes().Get(schema.URLPath)
		g, _ := r.lr.Attributes().Get(schema.Gateway)
		require.Equal(t, schema.GatewayCilium, g.AsString())
		byPath[p.AsString()] = r
	}
	require.Len(t, byPath, len(ciliumScenarios), "one record per scenario, nothing else")
	cfg := diagnose.Config{Lookback: 10 * time.Minute, After: 5 * time.Second}
	for _, sc := range ciliumScenarios {
		t.Run(strings.TrimPrefix(sc.path, "/api/"), func(t *testing.T) {
			r, ok := byPath[sc.path]
			require.True(t, ok, "no record for %s", sc.path)
			f := factsOf(r.res, r.lr)
			at := f.Time
			for _, c := range []struct {
				name  string
				build func(failureCase, time.Time, time.Time) *cluster.Store
				want  verdict
			}{{"crash", crashCluster, sc.crash}, {"healthy", healthyCluster, sc.healthy}, {"no endpoints", noEndpointsCluster, sc.noEP}} {
				res := diagnose.Diagnose(f, c.build(sc.fc, at, at), cfg)
				msg := c.name + ": evidence " + strings.Join(res.Evidence, " | ")
				if c.want.cause != "" {
					assert.Equal(t, c.want, verdict{res.Cause, res.Confidence}, msg)
				}
				if res.Confidence == schema.ConfidenceHigh {
					assert.True(t, directEvidence(f, res), "high %s without direct evidence (%s)", res.Cause, msg)
				}
				assert.NotEmpty(t, res.Remediation)
				assert.NotContains(t, res.Remediation, "nginx", "Cilium's remediations name Cilium's settings")
			}
		})
	}
}

// directEvidence: a high verdict on a Cilium record must rest on what the
// line states outright or on the cluster's own record of the target, since
// the line carries no reset reason to infer from.
func directEvidence(f diagnose.Facts, res diagnose.Result) bool {
	has := func(s string) bool {
		for _, e := range res.Evidence {
			if strings.Contains(e, s) {
				return true
			}
		}
		return false
	}
	switch res.Cause {
	case schema.CausePodCrash:
		return has("terminated") // the container's own termination
	case schema.CausePodTermination:
		return has("delet")
	case schema.CauseUpstreamTimeout:
		return strings.Contains(f.FailureSignal, "UT") // Envoy's own route timeout
	case schema.CauseUpstreamAppError:
		return f.Origin == schema.OriginUpstream && f.FailureSignal == "" // a host answered and Envoy flagged nothing
	case schema.CauseNoEndpoints:
		return res.Target.Service != "" // the Service's endpoints were looked at, not guessed from UH
	}
	return false // TLS, network policy, keep-alive race, target port: need the reason Cilium does not log
}
