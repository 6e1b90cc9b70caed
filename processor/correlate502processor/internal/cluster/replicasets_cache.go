package cluster

import (
	"sync"

	appsv1 "k8s.io/api/apps/v1"
)

// ownedCache keeps, per Deployment, the list ReplicaSets computed: judging
// a record of a Deployment's pod asks for its ReplicaSets, which scanned
// the namespace's ReplicaSets, read each one's owner and sorted the result,
// the same answer for every record until a ReplicaSet of the namespace
// changes. Writers of replicaSets forget the namespace under the store's
// write lock, so no reader is computing a list from the old ReplicaSets.
type ownedCache struct {
	mu   sync.Mutex
	byNS map[string]map[string][]*appsv1.ReplicaSet // namespace → deployment → its ReplicaSets
}

func (c *ownedCache) get(ns, deployment string) ([]*appsv1.ReplicaSet, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	list, ok := c.byNS[ns][deployment]
	return list, ok
}

func (c *ownedCache) put(ns, deployment string, list []*appsv1.ReplicaSet) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byNS == nil {
		c.byNS = map[string]map[string][]*appsv1.ReplicaSet{}
	}
	byDep := c.byNS[ns]
	if byDep == nil {
		byDep = map[string][]*appsv1.ReplicaSet{}
		c.byNS[ns] = byDep
	}
	byDep[deployment] = list
}

// forget drops the namespace's lists (one of its ReplicaSets changed).
func (c *ownedCache) forget(ns string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.byNS, ns)
}
