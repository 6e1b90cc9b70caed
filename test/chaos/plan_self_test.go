//go:build chaos

package chaos

import (
	"math/rand/v2"
	"testing"
	"time"
)

// Every mode's schedule has its kills, half per tier, inside the run and
// outside the quiet stretches; the gateway is never killed while away.
func TestPlanKeepsQuietStretches(t *testing.T) {
	for _, m := range modes {
		for targets := 1; targets <= 2; targets++ {
			for s := uint64(0); s < 200; s++ {
				f := plan(rand.New(rand.NewPCG(s, 1)), m, targets, true)
				if len(f.kills) != m.kills {
					t.Fatalf("%s/%d: %d kills, want %d", m.name, targets, len(f.kills), m.kills)
				}
				per := map[int]int{}
				for i, at := range f.kills {
					per[f.target[i]]++
					if at < time.Second || at >= m.run-time.Second {
						t.Fatalf("%s/%d seed %d: kill at %v outside the run", m.name, targets, s, at)
					}
					if in(at, window{f.outage.from - time.Second, f.outage.from + 6*time.Second}) ||
						(!f.diskFull.zero() && in(at, window{f.diskFull.from - time.Second, f.diskFull.to + 2*time.Second})) {
						t.Fatalf("%s/%d seed %d: kill at %v in a quiet stretch", m.name, targets, s, at)
					}
					if f.target[i] == 1 && !f.gatewayAway.zero() && in(at, window{f.gatewayAway.from - time.Second, f.gatewayAway.to}) {
						t.Fatalf("%s seed %d: gateway kill at %v while it is away %v", m.name, s, at, f.gatewayAway)
					}
				}
				if targets == 2 && per[0] != per[1] {
					t.Fatalf("%s seed %d: kills per tier %v", m.name, s, per)
				}
			}
		}
	}
}

func in(at time.Duration, w window) bool { return at >= w.from && at < w.to }
