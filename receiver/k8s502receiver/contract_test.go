package k8s502receiver

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pipeline"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/nginx"
)

// contractLines is how many requests each scenario logs. The receiver
// retries a refused batch with a backoff doubling from 10ms to 1s, and the
// checker waits 5s after the last line: a scenario fails only if one batch
// draws ten refusals in a row (2^-10), so the batches are kept few.
const contractLines = 1000

// TestConsumeContract checks that every record reaches the next consumer
// once: accepted, or dropped on a permanent error, never lost to a retryable
// one and never sent twice.
func TestConsumeContract(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(filepath.Join(dir, "*.log"))
	cfg.Wrapper = "cri"
	// The checker identifies records by a "test_id" attribute: log it as a
	// variable of its own and copy it over.
	cfg.LogFormat = nginx.IngressNginxFormat + ` $test_id`
	cfg.VariableAttributes = map[string]string{"test_id": receivertest.UniqueIDAttrName}
	require.NoError(t, cfg.Validate())

	receivertest.CheckConsumeContract(receivertest.CheckConsumeContractParams{
		T:             t,
		Factory:       NewFactory(),
		Signal:        pipeline.SignalLogs,
		Config:        cfg,
		Generator:     &lineGenerator{t: t, dir: dir},
		GenerateCount: contractLines,
	})
}

// lineGenerator plays nginx: each Generate appends one failed request (a
// 502 with no error line, so it waits join.hold) to the file the receiver
// tails. Each scenario gets a fresh file, removed
// once the scenario's receiver has shut down.
type lineGenerator struct {
	t   *testing.T
	dir string

	mu   sync.Mutex
	file *os.File
	run  int
	base int64 // seq before this run's first line
	seq  atomic.Int64
}

func (g *lineGenerator) Start() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.run++
	g.base = g.seq.Load()
	f, err := os.OpenFile(filepath.Join(g.dir, fmt.Sprintf("run-%d.log", g.run)), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	require.NoError(g.t, err)
	g.file = f
}

func (g *lineGenerator) Stop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	require.NoError(g.t, g.file.Close())
	require.NoError(g.t, os.Remove(g.file.Name()))
	g.file = nil
}

func (g *lineGenerator) Generate() []receivertest.UniqueIDAttrVal {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := g.seq.Add(1)
	id := fmt.Sprintf("r%d-%06d", g.run, n)
	// The second half of the run is logged a second later than the first,
	// so its first line releases the first half from the join: records
	// leave in a few batches (each batch is a draw of the checker's coin).
	now := t0
	if n-g.base > contractLines/2 {
		now = now.Add(time.Second)
	}
	line := now.Format(time.RFC3339Nano) + " stdout F " + fmt.Sprintf(
		`198.51.100.23 - - [%s] "GET /api/cart/%s HTTP/1.1" 502 150 "-" "curl/8.5.0" 98 0.001 [shop-cart-8080] [] 10.244.1.17:8080 0 0.001 502 %s %s`+"\n",
		now.Format("02/Jan/2006:15:04:05 -0700"), id, id, id)
	// One write per line, so concurrent generators never interleave.
	_, err := g.file.WriteString(line)
	require.NoError(g.t, err)
	return []receivertest.UniqueIDAttrVal{receivertest.UniqueIDAttrVal(id)}
}
