package join

import "hash/maphash"

// recentSize is how many dropped access lines a source remembers. The pipe
// race it covers lasts microseconds to milliseconds; 1024 lines is about a
// second of traffic at a busy controller's 1,000 requests/s, at about 400 KiB
// per file, and keeps the scan an error line pays short.
const recentSize = 1024

// recent remembers the latest Candidates nobody claimed (request lines the
// pre-filter dropped). A failure line that lost the stdout/stderr race (it
// reached the log after its request line) finds its request here instead
// of being emitted alone. It belongs to one file's Stream and, like it, is
// used by one goroutine at a time: it takes no lock on the hot path.
type recent struct {
	seed maphash.Seed
	ents [recentSize]recentEntry
	next int
	// live counts the unused entries per hash bucket, so an error line whose
	// request line is not here (the common case: it came first) is answered
	// without scanning all entries; in a storm, where every request failed,
	// that scan was most of what an error line cost.
	live [liveBuckets]uint16
}

// liveBuckets is a power of two several times recentSize: few lines share a
// bucket with another line's hash.
const liveBuckets = 8 * recentSize

func bucket(h uint64) int { return int(h & (liveBuckets - 1)) }

type recentEntry struct {
	hash   uint64
	used   bool
	msg    []byte // the line: the caller's token, or own
	time   []byte
	own    []byte // copies of unstable lines (message, then time); reused
	offset int64
}

func newRecent() *recent { return &recent{seed: maphash.MakeSeed()} }

// add remembers a line. A stable line (its bytes never change after the
// call: a fileconsumer token, which is a fresh copy each) is kept by
// reference; the copy was most of what a healthy line cost. Others (lines
// reassembled or unescaped into reused buffers) are copied into the entry's
// own buffer, which is never shared with a token.
func (r *recent) add(key, msg, time []byte, offset int64, stable bool) {
	e := &r.ents[r.next]
	r.next = (r.next + 1) % recentSize
	if e.msg != nil && !e.used {
		r.live[bucket(e.hash)]--
	}
	e.hash, e.used = maphash.Bytes(r.seed, key), false
	if stable {
		e.msg, e.time = msg, time
	} else {
		e.own = append(append(e.own[:0], msg...), time...)
		e.msg, e.time = e.own[:len(msg):len(msg)], e.own[len(msg):]
	}
	if e.msg != nil {
		r.live[bucket(e.hash)]++
	}
	e.offset = offset
}

// take finds the newest unused line whose key hashes like key and for which
// verify (given the line) confirms the match, and marks it used. verify
// must copy what it keeps: the buffers are reused.
func (r *recent) take(key []byte, verify func(msg, time []byte, offset int64) bool) bool {
	h := maphash.Bytes(r.seed, key)
	if r.live[bucket(h)] == 0 {
		return false
	}
	for i := 1; i <= recentSize; i++ {
		e := &r.ents[(r.next-i+recentSize)%recentSize]
		if e.hash != h || e.used || e.msg == nil {
			continue
		}
		if verify(e.msg, e.time, e.offset) {
			e.used = true
			r.live[bucket(h)]--
			return true
		}
	}
	return false
}
