package incident

import "github.com/k8s502/otelcol-k8s502/internal/schema"

// Outcomes counts an incident's requests by k8s502.outcome. Fields, not a
// map: an incident record reports three of them, and two maps per incident
// (the live one and its opening copy) were a good part of what opening one
// allocated, with every record distinct.
type Outcomes struct {
	Failed, Recovered, Truncated int
	Other                        int // unmatched, or anything else
}

func (o *Outcomes) add(outcome string) {
	switch outcome {
	case schema.OutcomeFailed:
		o.Failed++
	case schema.OutcomeRecovered:
		o.Recovered++
	case schema.OutcomeTruncated:
		o.Truncated++
	default:
		o.Other++
	}
}
