package join

import (
	"slices"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"
)

// Kept is one line the join holds (or a request it emitted holds): what the
// receiver writes to storage with its file offsets, and replays after a
// restart so the join starts where it stood.
type Kept struct {
	Source string     `json:"source"`
	At     event.Line `json:"at"`
	Msg    string     `json:"msg"`
}

// Lines lists the lines a request is made of, the access line first.
func (r *Request) Lines() []Kept {
	var out []Kept
	if r.Access != nil {
		out = append(out, Kept{Source: r.Source, At: r.Line, Msg: r.AccessRaw})
	}
	for i := range r.Errors {
		e := &r.Errors[i]
		if e.Raw == "" || (r.Access != nil && e.Line == r.Line && e.Raw == r.AccessRaw) {
			continue // a line that states its own failure is its access line
		}
		out = append(out, Kept{Source: r.Source, At: e.Line, Msg: e.Raw})
	}
	return out
}

// Snapshot returns every line the join holds now, in arrival order, and
// calls also (under the join's lock) so the caller can add what it took
// from the join but has not sent, in one consistent view.
func (j *Joiner) Snapshot(also func() []Kept) []Kept {
	j.mu.Lock()
	defer j.mu.Unlock()
	var items []*item
	for _, s := range j.sources {
		for _, it := range s.errs {
			if !it.done {
				items = append(items, it)
			}
		}
		for _, it := range s.held {
			if !it.done {
				items = append(items, it)
			}
		}
	}
	slices.SortFunc(items, func(a, b *item) int {
		switch {
		case a.seq < b.seq:
			return -1
		case a.seq > b.seq:
			return 1
		}
		return 0
	})
	var out []Kept
	for _, it := range items {
		if it.req != nil {
			out = append(out, it.req.Lines()...)
		} else {
			out = append(out, Kept{Source: it.src, At: it.err.Line, Msg: it.err.Raw})
		}
	}
	if also != nil {
		out = append(out, also()...)
	}
	return out
}
