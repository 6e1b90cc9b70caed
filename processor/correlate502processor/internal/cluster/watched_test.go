package cluster

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestWatchedWindows(t *testing.T) {
	s := NewStore(time.Hour)
	assert.False(t, s.Watched(at(0)), "a snapshot is never watched")
	s.StartWatching(at(100))
	s.StartWatching(at(150)) // already open
	assert.False(t, s.Watched(at(99)))
	assert.True(t, s.Watched(at(100)))
	assert.True(t, s.Watched(at(10000)))
	s.StopWatching(at(200))
	assert.False(t, s.Watched(at(200)))

	// A restart: the earlier run's windows come back from storage; the one
	// it left open (killed) ends where its history ends.
	r := NewStore(time.Hour)
	r.StartWatching(at(500))
	r.RestoreWatched([]Window{{From: at(10), To: at(50)}, {From: at(100)}}, at(300))
	assert.Equal(t, []Window{{From: at(10), To: at(50)}, {From: at(100), To: at(300)}, {From: at(500)}}, r.WatchedWindows())
	assert.True(t, r.Watched(at(299)))
	assert.False(t, r.Watched(at(300)), "the gateway was down")
	assert.False(t, r.Watched(at(499)))
	assert.True(t, r.Watched(at(500)))

	r.Prune(at(60).Add(time.Hour))
	assert.Equal(t, []Window{{From: at(100), To: at(300)}, {From: at(500)}}, r.WatchedWindows())
}
