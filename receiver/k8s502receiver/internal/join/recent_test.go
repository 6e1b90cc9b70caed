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
