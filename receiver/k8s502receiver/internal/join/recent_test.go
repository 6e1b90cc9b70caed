package join

import (
	"bytes"
	"testing"
)

// A slot that held a stable line by reference and is then reused for a
// copied one must not write into the first line's bytes: they belong to the
// caller's token, which may still be in use elsewhere.
func TestRecentNeverWritesIntoATokenItKept(t *testing.T) {
	r := newRecent()
	token := []byte("10.0.0.1 GET /a 200 stable-line")
	keep := bytes.Clone(token)
	r.add([]byte("k0"), token, nil, 1, true)
	for i := 1; i < recentSize; i++ {
		r.add([]byte("filler"), []byte("x"), nil, int64(i), true)
	}
	reused := []byte("10.0.0.2 GET /b 200 copied")                        // shorter: fits in the token
	r.add([]byte("k1"), reused, []byte("2026-01-01T00:00:00Z"), 9, false) // the slot token held
	if !bytes.Equal(token, keep) {
		t.Fatalf("the kept token was overwritten: %q", token)
	}
	reused[0] = 'X' // the caller reuses its buffer: the copy must not change
	var got []byte
	if !r.take([]byte("k1"), func(msg, time []byte, _ int64) bool {
		got = append(bytes.Clone(msg), time...)
		return true
	}) {
		t.Fatal("copied line not found")
	}
	if want := "10.0.0.2 GET /b 200 copied2026-01-01T00:00:00Z"; string(got) != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// The per-bucket counts that let take skip the scan must match the entries
// exactly, through eviction and take: a count too low would hide a line a
// failure needs (its request emitted alone), one too high only costs a scan.
func TestRecentCountsMatchItsEntries(t *testing.T) {
	r := newRecent()
	check := func(when string) {
		t.Helper()
		var want [liveBuckets]uint16
		for _, e := range r.ents {
			if e.msg != nil && !e.used {
				want[bucket(e.hash)]++
			}
		}
		if want != r.live {
			t.Fatalf("%s: bucket counts differ from the entries", when)
		}
	}
	key := func(i int) []byte { return []byte{byte(i), byte(i >> 8), 'k'} }
	for i := 0; i < 3*recentSize; i++ {
		r.add(key(i%(recentSize/2)), []byte("line"), nil, int64(i), i%2 == 0)
		if i%3 == 0 && !r.take(key(i%(recentSize/2)), func(_, _ []byte, _ int64) bool { return true }) {
			t.Fatalf("line %d just added not found", i)
		}
	}
	check("after adds, takes and evictions")
	// Every remaining unused line is still found, and a key never added is not.
	for i := 0; i < recentSize/2; i++ {
		for r.take(key(i), func(_, _ []byte, _ int64) bool { return true }) {
		}
	}
	check("after taking everything")
	if r.live != [liveBuckets]uint16{} {
		t.Fatal("counts left after every line was taken")
	}
	if r.take([]byte("never"), func(_, _ []byte, _ int64) bool { return true }) {
		t.Fatal("found a line never added")
	}
}
