package testlabels

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
)

// Floor is the least each state must score, in right verdicts, so that an
// improvement, once measured and committed, is kept: a change that loses
// one fails the suite. Counts, not ratios: the suite's requests are fixed.
type Floor struct {
	// Note says where the numbers come from; it is not read.
	Note   string                `json:"note,omitempty"`
	States map[string]StateFloor `json:"states"`
}

// StateFloor is one state's minimum counts (see Score).
type StateFloor struct {
	CauseRight int `json:"cause_right"`
	PodRight   int `json:"pod_right"`
	Right      int `json:"right"`
}

// ReadFloor reads a floor file; every state in it must be scored.
func ReadFloor(path string) (Floor, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Floor{}, err
	}
	var f Floor
	if err := json.Unmarshal(b, &f); err != nil {
		return Floor{}, fmt.Errorf("%s: %w", path, err)
	}
	if len(f.States) == 0 {
		return Floor{}, fmt.Errorf("%s: no states", path)
	}
	return f, nil
}

// Check returns what fell below the floor (nil when nothing did), and
// which counts rose above it, so the floor can be raised to them.
func (f Floor) Check(scores []Score) (above []string, err error) {
	byState := map[string]Score{}
	for _, s := range scores {
		byState[s.State] = s
	}
	var errs []error
	states := make([]string, 0, len(f.States))
	for st := range f.States {
		states = append(states, st)
	}
	sort.Strings(states)
	for _, st := range states {
		fl := f.States[st]
		s, ok := byState[st]
		if !ok {
			errs = append(errs, fmt.Errorf("state %s has a floor but was not scored", st))
			continue
		}
		for _, c := range []struct {
			name      string
			got, want int
		}{
			{"cause_right", s.CauseRight, fl.CauseRight},
			{"pod_right", s.PodRight, fl.PodRight},
			{"right", s.Right, fl.Right},
		} {
			switch {
			case c.got < c.want:
				errs = append(errs, fmt.Errorf("%s: %s %d is below the floor %d", st, c.name, c.got, c.want))
			case c.got > c.want:
				above = append(above, fmt.Sprintf("%s: %s %d > floor %d", st, c.name, c.got, c.want))
			}
		}
	}
	return above, errors.Join(errs...)
}
