// Package series keeps a cumulative count per attribute set, bounded.
//
// At most max distinct sets are kept; a record whose set is new once the table
// is full is counted in a single overflow count instead. Sets are never evicted
// (the counts are cumulative since start, and dropping one would make its
// counter reset), so max is also the memory bound: one Key and one counter per
// set. A Table is not safe for concurrent use; its owner locks.
package series // import "github.com/k8s502/otelcol-k8s502/connector/k8s502metricsconnector/internal/series"

import "strings"

// Key is the attribute set of one series. A struct of strings hashes without
// allocating, which keeps counting a record free of allocations.
type Key struct {
	Namespace string
	Service   string
	Cause     string
	Gateway   string
	Outcome   string
}

// clone copies the strings so that a kept key never points into a record's
// memory (pdata may share it with a larger buffer that would then stay alive).
func (k Key) clone() Key {
	return Key{
		Namespace: strings.Clone(k.Namespace),
		Service:   strings.Clone(k.Service),
		Cause:     strings.Clone(k.Cause),
		Gateway:   strings.Clone(k.Gateway),
		Outcome:   strings.Clone(k.Outcome),
	}
}

// Table holds the counts. Keys are kept in the order first seen, so what is
// emitted comes out in a stable order and a snapshot can share them.
type Table struct {
	max      int
	index    map[Key]int
	keys     []Key
	counts   []int64
	overflow int64
}

// New returns a table that keeps at most max attribute sets (max >= 1).
func New(max int) *Table {
	return &Table{max: max, index: map[Key]int{}}
}

// Inc counts one for k. It reports false when k was new and the table full,
// that is when the count went to the overflow series.
func (t *Table) Inc(k Key) bool {
	if i, ok := t.index[k]; ok {
		t.counts[i]++
		return true
	}
	if len(t.keys) >= t.max {
		t.overflow++
		return false
	}
	k = k.clone()
	t.index[k] = len(t.keys)
	t.keys = append(t.keys, k)
	t.counts = append(t.counts, 1)
	return true
}

// Snapshot is the table's state at one moment.
type Snapshot struct {
	// Keys is shared with the table: elements are never changed once added,
	// so it may be read after the owner's lock is released.
	Keys []Key
	// Counts[i] is the count of Keys[i]; it is a copy.
	Counts []int64
	// Overflow counts records whose set did not fit.
	Overflow int64
}

// Empty reports whether nothing was counted.
func (s Snapshot) Empty() bool { return len(s.Keys) == 0 && s.Overflow == 0 }

// Snapshot copies the counts; the caller may build its output from it
// without holding the lock that guards the table.
func (t *Table) Snapshot() Snapshot {
	n := len(t.keys)
	return Snapshot{
		Keys:     t.keys[:n:n],
		Counts:   append([]int64(nil), t.counts...),
		Overflow: t.overflow,
	}
}
