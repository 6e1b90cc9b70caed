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
	m  map[string]*judgement
}

// judgement is one key's diagnosis and the key of the incident it counts in
// (see incident.Request.Key), kept so records reusing it build neither.
type judgement struct {
	diagnose.Result
	incident string
}

// get returns the judgement of key, computing it with judge the first time.
// judge runs under the lock: two pipelines releasing the same key at once
// must not judge it twice. key is only read: a hit allocates nothing.
func (j *judgements) get(key []byte, judge func() diagnose.Result) *judgement {
	j.mu.Lock()
	defer j.mu.Unlock()
	if r, ok := j.m[string(key)]; ok {
		return r
	}
	if j.m == nil || len(j.m) >= maxJudgements {
		j.m = make(map[string]*judgement, 256)
	}
	r := judge()
	jd := &judgement{Result: r, incident: incidentTrackerKey(r)}
	j.m[string(key)] = jd
	return jd
}
