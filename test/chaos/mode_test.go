//go:build chaos

package chaos

import (
	"os"
	"strings"
	"testing"
	"time"
)

// mode is how long and how hard a run is. K8S502_CHAOS picks one: short
// (the default, for CI: the whole suite in about five minutes) or full (the
// issue's table: a minute per run, a gateway away for 30 s).
type mode struct {
	name string
	// baseline is how long the fault-free run of each topology writes: it
	// proves the harness counts exactly (0 lost, 0 doubled) before faults.
	baseline time.Duration
	// run is how long the faulted run writes; faults happen inside it.
	run          time.Duration
	kills        int
	rate         int // requests (access lines) per second
	failPermille int // failed requests per 1,000
	rotateBytes  int64
	rotateCheck  time.Duration // the kubelet's monitor period
	outage       time.Duration // backend refusing
	gatewayAway  time.Duration // topology b; 0 skips it
	diskFull     time.Duration // topology a, root only
	// After the writer stops: wait until every record arrived, then settle
	// for late duplicates; give up when nothing new arrived for quiet, or
	// after drain in total.
	settle, quiet, drain time.Duration
}

var modes = map[string]mode{
	"short": {
		name: "short", baseline: 10 * time.Second, run: 40 * time.Second, kills: 20,
		rate: 2000, failPermille: 20, rotateBytes: 1 << 20, rotateCheck: time.Second,
		outage: 10 * time.Second, diskFull: 6 * time.Second,
		settle: 8 * time.Second, quiet: 20 * time.Second, drain: 2 * time.Minute,
	},
	"full": {
		name: "full", baseline: 20 * time.Second, run: 60 * time.Second, kills: 20,
		rate: 2000, failPermille: 20, rotateBytes: 4 << 20, rotateCheck: time.Second,
		outage: 20 * time.Second, gatewayAway: 30 * time.Second, diskFull: 15 * time.Second,
		settle: 10 * time.Second, quiet: 45 * time.Second, drain: 2 * time.Minute,
	},
}

func chosenMode(t *testing.T) mode {
	t.Helper()
	name := os.Getenv("K8S502_CHAOS")
	if name == "" {
		name = "short"
	}
	m, ok := modes[name]
	if !ok {
		t.Fatalf("K8S502_CHAOS=%q: use short or full", name)
	}
	// K8S502_CHAOS_FAULTS keeps only the named faults (kill, outage, away,
	// disk), to tell which one loses records.
	if only := os.Getenv("K8S502_CHAOS_FAULTS"); only != "" {
		keep := map[string]bool{}
		for _, f := range strings.Split(only, ",") {
			keep[strings.TrimSpace(f)] = true
		}
		for f := range keep {
			if f != "kill" && f != "outage" && f != "away" && f != "disk" {
				t.Fatalf("K8S502_CHAOS_FAULTS: unknown fault %q (kill, outage, away, disk)", f)
			}
		}
		if !keep["kill"] {
			m.kills = 0
		}
		if !keep["outage"] {
			m.outage = 0
		}
		if !keep["away"] {
			m.gatewayAway = 0
		}
		if !keep["disk"] {
			m.diskFull = 0
		}
	}
	return m
}
