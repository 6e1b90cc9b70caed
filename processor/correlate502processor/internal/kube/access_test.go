package kube

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
)

// Required is exactly the list and watch requests Start makes, for all
// namespaces and for a set of them: cmd/k8s502-doctor asks the API server
// about this list, so a new informer must show up in it.
func TestRequiredIsWhatStartAsks(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for _, namespaces := range [][]string{nil, {"shop", "payments"}} {
		c := newFakeCluster()
		w := start(t, c, cluster.NewStore(time.Hour), namespaces...)
		n := max(len(namespaces), 1)
		require.Eventually(t, func() bool { return c.watching() == watches(n) }, waitFor, tick)
		stop(t, w)

		c.mu.Lock()
		var asked []Access
		for _, a := range c.calls {
			r := a.GetResource()
			asked = append(asked, Access{Verb: a.GetVerb(), Group: r.Group, Resource: r.Resource, Namespace: a.GetNamespace()})
		}
		c.mu.Unlock()
		key := func(a Access) string { return a.Verb + " " + a.Group + "/" + a.Resource + " " + a.Namespace }
		sortCompact := func(as []Access) []string {
			var out []string
			for _, a := range as {
				out = append(out, key(a))
			}
			slices.Sort(out)
			return slices.Compact(out)
		}
		want := Required(namespaces)
		assert.Len(t, want, 2*(7*n+1))
		assert.Equal(t, sortCompact(want), sortCompact(asked), "namespaces %v", namespaces)
	}
}
