package correlate502processor // import "github.com/k8s502/otelcol-k8s502/processor/correlate502processor"

import (
	"sync"

	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/diagnose"
)

// maxJudgements bounds the shared judgements. A storm has a handful of keys
// per second; when distinct keys pile up the whole map is dropped, which
// only costs judging some keys again.
const maxJudgements = 20000

// judgements remembers the diagnosis of each incident key (see incidentKey),
// so every record of an incident second gets the same verdict, judged once.
type judgements struct {
	mu sync.Mutex
	m  map[string]diagnose.Result
}

// get returns the judgement of key, computing it with judge the first time.
// judge runs under the lock: two pipelines releasing the same key at once
// must not judge it twice.
func (j *judgements) get(key string, judge func() diagnose.Result) diagnose.Result {
	j.mu.Lock()
	defer j.mu.Unlock()
	if r, ok := j.m[key]; ok {
		return r
	}
	if j.m == nil || len(j.m) >= maxJudgements {
		j.m = make(map[string]diagnose.Result, 256)
	}
	r := judge()
	j.m[key] = r
	return r
}
