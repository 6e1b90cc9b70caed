package correlate502processor

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// Batches of the same controller pod merge into one resource and scope;
// another pod stays apart; every record is kept, in order.
func TestMergerGroupsByResourceAndScope(t *testing.T) {
	m := newMerger()
	m.add(failedWithID(time.Now(), "a", "b"))
	m.add(failedWithID(time.Now(), "c"))
	other := failedWithID(time.Now(), "d")
	other.ResourceLogs().At(0).Resource().Attributes().PutStr("k8s.pod.name", "ingress-nginx-controller-other")
	m.add(other)
	assert.Equal(t, 2, m.out.ResourceLogs().Len())
	assert.Equal(t, 1, m.out.ResourceLogs().At(0).ScopeLogs().Len())
	assert.Equal(t, []string{"a", "b", "c", "d"}, recordIDs(m.out))
	assert.Equal(t, 4, m.out.LogRecordCount())
}
