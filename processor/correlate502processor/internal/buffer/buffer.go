// Package buffer holds records for decision_wait before they are judged, so
// evidence that arrives a little after the failure (a BackOff event, a
// restart metric) still counts. It is bounded: when full, the oldest entries
// leave early and the caller releases them unjudged — never dropped, never
// unbounded.
package buffer

import "time"

type entry[T any] struct {
	due time.Time
	v   T
}

// Buffer is a FIFO of values with a deadline each. Values arrive in time
// order, so deadlines are ordered too. Not safe for concurrent use.
type Buffer[T any] struct {
	wait  time.Duration
	max   int
	items []entry[T]
	head  int
}

// New returns a buffer holding values for wait, at most max at a time.
func New[T any](wait time.Duration, max int) *Buffer[T] {
	return &Buffer[T]{wait: wait, max: max}
}

// Add queues v and returns the values pushed out to make room.
func (b *Buffer[T]) Add(v T, now time.Time) (overflow []T) {
	for b.Len() >= b.max {
		overflow = append(overflow, b.pop())
	}
	b.items = append(b.items, entry[T]{due: now.Add(b.wait), v: v})
	return overflow
}

// Due removes and returns the values whose wait is over.
func (b *Buffer[T]) Due(now time.Time) []T {
	var out []T
	for b.Len() > 0 && !b.items[b.head].due.After(now) {
		out = append(out, b.pop())
	}
	return out
}

// Drain removes and returns everything.
func (b *Buffer[T]) Drain() []T {
	var out []T
	for b.Len() > 0 {
		out = append(out, b.pop())
	}
	return out
}

// Len is the number of values waiting.
func (b *Buffer[T]) Len() int { return len(b.items) - b.head }

func (b *Buffer[T]) pop() T {
	var zero entry[T]
	e := b.items[b.head]
	b.items[b.head] = zero
	b.head++
	// Compact once the dead prefix dominates, keeping Add amortized O(1).
	if b.head > 64 && b.head*2 > len(b.items) {
		n := copy(b.items, b.items[b.head:])
		clear(b.items[n:])
		b.items = b.items[:n]
		b.head = 0
	}
	return e.v
}
