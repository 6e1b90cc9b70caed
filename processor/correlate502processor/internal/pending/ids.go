package pending

// idWindow remembers record identities: those held now, and those of the
// most recently released batches up to max identities. Memory is bounded by
// max plus what is held (itself bounded by MaxRecords).
type idWindow struct {
	max      int
	set      map[string]struct{}
	released []releasedGroup // oldest first
	count    int             // identities in released
}

type releasedGroup struct {
	seq uint64
	ids []string
}

func newIDWindow(max int) *idWindow {
	return &idWindow{max: max, set: map[string]struct{}{}}
}

func (w *idWindow) has(id string) bool {
	_, ok := w.set[id]
	return ok
}

func (w *idWindow) hold(id string) { w.set[id] = struct{}{} }

// release moves a batch's identities to the released window and returns the
// sequence numbers of the groups evicted to stay within max.
func (w *idWindow) release(seq uint64, ids []string) (evicted []uint64) {
	if len(ids) == 0 {
		return nil
	}
	w.released = append(w.released, releasedGroup{seq: seq, ids: ids})
	w.count += len(ids)
	for w.count > w.max && len(w.released) > 1 {
		g := w.released[0]
		w.released[0] = releasedGroup{}
		w.released = w.released[1:]
		w.count -= len(g.ids)
		for _, id := range g.ids {
			delete(w.set, id)
		}
		evicted = append(evicted, g.seq)
	}
	return evicted
}
