package join

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"
)

const (
	window = time.Minute
	hold   = 2 * time.Second
	client = "10.0.0.1"
	req    = "GET /api/orders/1 HTTP/1.1"
)

var (
	t0   = time.Date(2026, 11, 25, 8, 47, 21, 0, time.UTC) // event time
	wall = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)     // arrival (wall) time
)

type sink struct{ got []Request }

func (s *sink) emit(r Request) { s.got = append(s.got, r) }

func newJoiner(maxPending int) (*Joiner, *sink) {
	s := &sink{}
	return New(Config{Window: window, Hold: hold, MaxPending: maxPending}, s.emit), s
}

func upErr(peer, kind string, lvl event.Level) event.UpstreamError {
	e := event.UpstreamError{Level: lvl, Kind: kind, Client: client, Request: req, Message: kind}
	if peer != "" {
		e.Upstream = "http://" + peer + "/api/orders/1"
	}
	return e
}

func refused(peer string) event.UpstreamError {
	return upErr(peer, schema.ErrConnectRefused, event.LevelError)
}

func access(status int, peers ...string) Request {
	a := &event.Access{Status: status, Client: client, RequestLine: req}
	for _, p := range peers {
		a.Attempts = append(a.Attempts, event.Attempt{Addr: p, Status: "502"})
	}
	return Request{Source: "pod", Time: t0, Access: a, AccessRaw: "raw"}
}

func upstreams(r Request) []string {
	var out []string
	for _, e := range r.Errors {
		out = append(out, e.Upstream)
	}
	return out
}

var key = keyOf(client, req)

func TestErrorBeforeAccess(t *testing.T) {
	j, s := newJoiner(100)
	assert.False(t, j.anyErrorWaiting())
	j.failure("pod", key, t0, wall, refused("10.1.0.1:80"))
	assert.True(t, j.anyErrorWaiting())
	assert.True(t, j.waiting("pod", key))
	assert.False(t, j.waiting("other-pod", key), "sources do not share errors")
	assert.False(t, j.waiting("pod", keyOf(client, "GET /other HTTP/1.1")))

	assert.True(t, j.access("pod", key, t0.Add(time.Second), wall, access(502, "10.1.0.1:80"), true))
	require.Len(t, s.got, 1)
	assert.Equal(t, []string{"http://10.1.0.1:80/api/orders/1"}, upstreams(s.got[0]))
	assert.False(t, j.anyErrorWaiting())
	assert.Equal(t, Stats{}, j.Stats())
}

func TestErrorJoinsEvenAnUnwatchedStatus(t *testing.T) {
	// A request that recovered (502 then 200) or whose body was cut is not
	// kept by status, but its error line still makes it a record.
	j, s := newJoiner(100)
	j.failure("pod", key, t0, wall, upErr("10.1.0.1:80", schema.ErrPrematureClose, event.LevelError))
	assert.True(t, j.access("pod", key, t0, wall, access(200, "10.1.0.1:80"), false))
	require.Len(t, s.got, 1)
	assert.Len(t, s.got[0].Errors, 1)
}

func TestAccessBeforeError(t *testing.T) {
	j, s := newJoiner(100)
	assert.True(t, j.access("pod", key, t0, wall, access(502, "10.1.0.1:80"), true), "held")
	assert.Empty(t, s.got, "a failed access line waits for its error line")
	assert.Equal(t, 1, j.Stats().Pending)

	assert.False(t, j.attachToHeld("pod", key, refused("10.9.9.9:80")), "another peer")
	assert.False(t, j.attachToHeld("other-pod", key, refused("10.1.0.1:80")), "another source")
	assert.True(t, j.attachToHeld("pod", key, refused("10.1.0.1:80")))
	assert.False(t, j.attachToHeld("pod", key, refused("10.1.0.1:80")), "one attempt, one error")
	assert.Empty(t, s.got, "still held until Hold runs out")

	j.Tick(wall.Add(hold + time.Millisecond))
	require.Len(t, s.got, 1)
	assert.Len(t, s.got[0].Errors, 1)
	assert.Equal(t, Stats{}, j.Stats())
}

func TestAccessNotKept(t *testing.T) {
	j, s := newJoiner(100)
	assert.False(t, j.access("pod", key, t0, wall, access(200, "10.1.0.1:80"), false))
	j.Flush()
	assert.Empty(t, s.got)
}

func TestRetries(t *testing.T) {
	j, s := newJoiner(100)
	// nginx logs one error per failed attempt, and a warning when it marks
	// a peer down; the warning does not count as an attempt.
	j.failure("pod", key, t0, wall, refused("10.1.0.1:80"))
	j.failure("pod", key, t0, wall, upErr("10.1.0.1:80", schema.ErrUpstreamDisabled, event.LevelWarn))
	j.failure("pod", key, t0.Add(time.Second), wall, refused("10.1.0.2:80"))
	j.failure("pod", key, t0.Add(2*time.Second), wall, refused("10.1.0.3:80"))
	assert.True(t, j.access("pod", key, t0.Add(2*time.Second), wall, access(502, "10.1.0.1:80", "10.1.0.2:80", "10.1.0.3:80"), true))
	require.Len(t, s.got, 1)
	assert.Equal(t, []string{
		"http://10.1.0.1:80/api/orders/1", "http://10.1.0.1:80/api/orders/1",
		"http://10.1.0.2:80/api/orders/1", "http://10.1.0.3:80/api/orders/1",
	}, upstreams(s.got[0]))
	assert.Equal(t, Stats{}, j.Stats())
}

func TestRetriesSameRequestTwice(t *testing.T) {
	// The same client sends the same request twice; each attempt's error
	// goes to the access line that logged that attempt, oldest first.
	j, s := newJoiner(100)
	e1, e2 := refused("10.1.0.1:80"), refused("10.1.0.1:80")
	e1.Message, e2.Message = "first", "second"
	j.failure("pod", key, t0, wall, e1)
	j.failure("pod", key, t0, wall, e2)
	j.access("pod", key, t0, wall, access(502, "10.1.0.1:80"), true)
	j.access("pod", key, t0, wall, access(502, "10.1.0.1:80"), true)
	require.Len(t, s.got, 2)
	assert.Equal(t, "first", s.got[0].Errors[0].Message)
	assert.Equal(t, "second", s.got[1].Errors[0].Message)
}

func TestRateLimitJoinsOnlyRequestsWithoutUpstream(t *testing.T) {
	j, s := newJoiner(100)
	j.failure("pod", key, t0, wall, upErr("", schema.ErrRateLimited, event.LevelError))
	// A request that passed the limiter (same client, same request line)
	// must not take the error of the one that was rejected.
	assert.False(t, j.access("pod", key, t0, wall, access(201, "10.1.0.1:80"), false))
	assert.Empty(t, s.got)
	assert.True(t, j.access("pod", key, t0, wall, access(503), true))
	require.Len(t, s.got, 1)
	require.Len(t, s.got[0].Errors, 1)
	assert.Equal(t, schema.ErrRateLimited, s.got[0].Errors[0].Kind)
}

func TestTruncatedRequestPrefix(t *testing.T) {
	j, s := newJoiner(100)
	full := "GET /search?q=" + string(make([]byte, 100)) + " HTTP/1.1"
	e := refused("")
	e.Request, e.Truncated = full[:30], true
	j.failure("pod", keyOf(client, e.Request), t0, wall, e)
	assert.True(t, j.anyErrorWaiting())
	assert.True(t, j.waiting("pod", keyOf(client, full)), "prefix match")
	assert.False(t, j.waiting("pod", keyOf("10.0.0.2", full)), "another client")
	assert.False(t, j.waiting("pod", keyOf(client, "GET /other HTTP/1.1")))

	assert.False(t, j.access("pod", keyOf("10.0.0.2", full), t0, wall, access(200, "10.1.0.1:80"), false))
	r := access(502, "10.1.0.1:80")
	assert.True(t, j.access("pod", keyOf(client, full), t0, wall, r, true))
	require.Len(t, s.got, 1)
	assert.True(t, s.got[0].Errors[0].Truncated)
	assert.False(t, j.anyErrorWaiting())
}

func TestWindowByEventTime(t *testing.T) {
	j, s := newJoiner(100)
	j.failure("pod", key, t0, wall, refused("10.1.0.1:80"))
	other := keyOf(client, "GET /other HTTP/1.1")
	j.access("pod", other, t0.Add(window), wall, access(200), false)
	assert.Empty(t, s.got, "exactly Window old still waits")
	j.access("other-pod", other, t0.Add(10*window), wall, access(200), false)
	assert.Empty(t, s.got, "another source's clock does not expire this one's errors")
	j.access("pod", other, t0.Add(window+time.Second), wall, access(200), false)
	require.Len(t, s.got, 1)
	assert.Nil(t, s.got[0].Access)
	assert.Equal(t, t0, s.got[0].Time)
	assert.Equal(t, "pod", s.got[0].Source)
	assert.EqualValues(t, 1, j.Stats().Unmatched)
	assert.False(t, j.anyErrorWaiting())

	// An event clock that goes backwards changes nothing.
	j.failure("pod", key, t0.Add(window+time.Second), wall, refused("10.1.0.1:80"))
	j.access("pod", other, t0, wall, access(200), false)
	assert.Len(t, s.got, 1)
}

func TestHoldByEventTime(t *testing.T) {
	j, s := newJoiner(100)
	j.access("pod", key, t0, wall, access(502, "10.1.0.1:80"), true)
	other := keyOf(client, "GET /other HTTP/1.1")
	j.access("pod", other, t0.Add(hold), wall, access(200), false)
	assert.Empty(t, s.got)
	j.access("pod", other, t0.Add(hold+time.Millisecond), wall, access(200), false)
	require.Len(t, s.got, 1)
	assert.Equal(t, 502, s.got[0].Access.Status)
	assert.Empty(t, s.got[0].Errors)
	assert.Zero(t, j.Stats().Unmatched, "a held access line is not an unmatched error")
}

func TestTickByWallTime(t *testing.T) {
	j, s := newJoiner(100)
	j.failure("pod", key, t0, wall, refused("10.1.0.1:80"))
	j.access("pod", keyOf(client, "GET /held HTTP/1.1"), t0, wall.Add(time.Second), access(504, "10.1.0.1:80"), true)

	j.Tick(wall.Add(time.Second + hold))
	assert.Empty(t, s.got)
	j.Tick(wall.Add(time.Second + hold + time.Millisecond))
	require.Len(t, s.got, 1, "the held access line goes first")
	assert.Equal(t, 504, s.got[0].Access.Status)

	j.Tick(wall.Add(window))
	assert.Len(t, s.got, 1)
	j.Tick(wall.Add(window + time.Millisecond))
	require.Len(t, s.got, 2)
	assert.Nil(t, s.got[1].Access)
	assert.Equal(t, Stats{Unmatched: 1}, j.Stats())

	// An idle source is forgotten and comes back cleanly.
	j.Tick(wall.Add(10 * window))
	j.failure("pod", key, t0, wall.Add(10*window), refused("10.1.0.1:80"))
	assert.True(t, j.access("pod", key, t0, wall.Add(10*window), access(502, "10.1.0.1:80"), true))
	assert.Len(t, s.got, 3)
}

func TestMaxPendingReleasesOldest(t *testing.T) {
	j, s := newJoiner(2)
	j.access("pod", keyOf(client, "GET /held HTTP/1.1"), t0, wall, access(502, "10.1.0.1:80"), true)
	j.failure("other-pod", keyOf(client, "GET /a HTTP/1.1"), t0, wall, refused("10.1.0.1:80"))
	assert.Empty(t, s.got)
	j.failure("pod", keyOf(client, "GET /b HTTP/1.1"), t0, wall, refused("10.1.0.1:80"))
	require.Len(t, s.got, 1)
	assert.Equal(t, 502, s.got[0].Access.Status, "the oldest (held access line) went first")
	j.failure("pod", keyOf(client, "GET /c HTTP/1.1"), t0, wall, refused("10.1.0.1:80"))
	require.Len(t, s.got, 2)
	assert.Equal(t, "other-pod", s.got[1].Source, "then the oldest error, across sources")
	assert.Equal(t, Stats{Pending: 2, Overflow: 2, Unmatched: 1}, j.Stats())
	assert.True(t, j.waiting("pod", keyOf(client, "GET /b HTTP/1.1")))
	assert.False(t, j.waiting("other-pod", keyOf(client, "GET /a HTTP/1.1")))
}

func TestFlush(t *testing.T) {
	j, s := newJoiner(100)
	cut := refused("")
	cut.Request, cut.Truncated = "GET /cut", true
	first, last := refused("10.1.0.1:80"), refused("10.1.0.1:80")
	first.Message, last.Message = "first", "last"
	j.failure("a", keyOf(client, "GET /1 HTTP/1.1"), t0, wall, first)
	j.access("b", key, t0, wall, access(503), true)
	j.failure("b", keyOf(client, cut.Request), t0, wall, cut)
	j.failure("a", keyOf(client, "GET /2 HTTP/1.1"), t0, wall, last)
	j.Flush()
	require.Len(t, s.got, 4)
	assert.Equal(t, "first", s.got[0].Errors[0].Message, "arrival order")
	assert.Equal(t, 503, s.got[1].Access.Status)
	assert.True(t, s.got[2].Errors[0].Truncated)
	assert.Equal(t, "last", s.got[3].Errors[0].Message)
	assert.Equal(t, Stats{Unmatched: 3}, j.Stats())
	assert.False(t, j.anyErrorWaiting())
	j.Flush()
	assert.Len(t, s.got, 4)
}

func TestCompatible(t *testing.T) {
	a1 := access(502, "10.1.0.1:80").Access
	a2 := access(502, "10.1.0.1:80", "10.1.0.2:80").Access
	none := access(503).Access
	rl := upErr("", schema.ErrRateLimited, event.LevelError)
	warn := upErr("10.1.0.1:80", schema.ErrUpstreamDisabled, event.LevelWarn)
	cut := refused("")
	tests := []struct {
		name string
		e    event.UpstreamError
		a    *event.Access
		n    int
		want bool
	}{
		{"no access", refused("10.1.0.1:80"), nil, 0, false},
		{"peer matches", refused("10.1.0.1:80"), a1, 0, true},
		{"peer matches second attempt", refused("10.1.0.2:80"), a2, 1, true},
		{"other peer", refused("10.1.0.9:80"), a1, 0, false},
		{"one error per attempt", refused("10.1.0.1:80"), a1, 1, false},
		{"warnings are not attempts", warn, a1, 1, true},
		{"no attempts counts as one", refused(""), none, 0, true},
		{"no attempts, second error", refused(""), none, 1, false},
		{"peer lost to truncation", cut, a1, 0, true},
		{"rate limit, no upstream", rl, none, 0, true},
		{"rate limit, upstream contacted", rl, a1, 0, false},
		{"group name as peer", refused("upstream_balancer"), access(502, "upstream_balancer").Access, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, compatible(&tt.e, tt.a, tt.n))
		})
	}
}

// keyOf builds the key the nginx parser gives both an error line and its
// access line: the client and the request line.
func keyOf(client, request string) []byte {
	return []byte(client + "\x00" + request)
}

// The runtime reads stdout and stderr through separate pipes: a retried
// request's access line can land between the errors of its two attempts.
// Seen in the bench fixture (shop-tax-8080, "502, 502").
func TestAccessBetweenRetryErrors(t *testing.T) {
	j, s := newJoiner(100)
	j.failure("pod", key, t0, wall, refused("10.1.0.2:80"))
	assert.True(t, j.access("pod", key, t0, wall, access(502, "10.1.0.2:80", "10.1.0.1:80"), true))
	assert.True(t, j.attachToHeld("pod", key, refused("10.1.0.1:80")), "the second attempt's error finds its access line")
	j.Flush()
	require.Len(t, s.got, 1)
	assert.Equal(t, []string{"http://10.1.0.2:80/api/orders/1", "http://10.1.0.1:80/api/orders/1"}, upstreams(s.got[0]))
	assert.Zero(t, j.Stats().Unmatched)
}

// A request whose every attempt has its error line is complete: it goes out
// at once instead of waiting for Hold.
func TestAllAttemptsExplainedEmitAtOnce(t *testing.T) {
	j, s := newJoiner(100)
	j.failure("pod", key, t0, wall, refused("10.1.0.1:80"))
	j.failure("pod", key, t0, wall, refused("10.1.0.2:80"))
	j.access("pod", key, t0, wall, access(502, "10.1.0.1:80", "10.1.0.2:80"), true)
	assert.Len(t, s.got, 1)
}

// Waiting runs for every dropped access line while any error waits; it must
// not allocate.
func TestWaitingDoesNotAllocate(t *testing.T) {
	j, _ := newJoiner(100)
	j.failure("pod", key, t0, wall, refused("10.1.0.1:80"))
	other := keyOf(client, "GET /api/some/other/path/that/is/long HTTP/1.1")
	assert.Zero(t, testing.AllocsPerRun(100, func() { j.waiting("ingress-nginx/ingress-nginx-controller-7d9f8b6c5d-x2x4z", other) }))
}
