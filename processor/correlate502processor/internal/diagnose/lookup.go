package diagnose

// A judgement's rules ask the store the same questions in turn (the judged
// Service's endpoints, the judged pod's events and readiness), each through
// the store's lock and a search. lookup keeps the last answer for the
// judgement (it lives in the judge, so it starts empty for each one) and
// asks the store again only for another object.
type lookup[V any] struct {
	key objKey
	val V
	ok  bool
}

// objKey names the object a lookup answered for.
type objKey struct{ ns, name string }

func (l *lookup[V]) get(k objKey, ask func() V) V {
	if !l.ok || l.key != k {
		l.key, l.val, l.ok = k, ask(), true
	}
	return l.val
}
