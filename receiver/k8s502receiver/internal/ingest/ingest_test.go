package ingest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/container"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/gateway"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/join"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/nginx"
)

// parsers compiles a gateway profile's parsers with its defaults, as the
// receiver does when only format is set.
func parsers(t testing.TB, p gateway.Profile) func() gateway.Parser {
	t.Helper()
	np, err := p.Parsers(gateway.Options{ErrorZone: time.UTC})
	require.NoError(t, err)
	return np
}

func newIngest(t testing.TB, wrapper container.Format) (*Ingest, *[]join.Request) {
	var got []join.Request
	j := join.New(join.Config{Window: time.Minute, Hold: time.Second, MaxPending: 1000}, func(r join.Request) { got = append(got, r) })
	in := New(Config{Wrapper: wrapper, NewParser: parsers(t, nginx.IngressNginx), Watched: NewStatuses([]int{502, 503, 504}), MaxLineSize: 1 << 16}, j)
	t.Cleanup(j.Flush)
	return in, &got
}

func TestStatuses(t *testing.T) {
	s := NewStatuses([]int{502, -1, 1000, 999})
	assert.True(t, s.Has(502))
	assert.True(t, s.Has(999))
	assert.False(t, s.Has(503))
	assert.False(t, s.Has(-1))
	assert.False(t, s.Has(1000))
}

const (
	cri      = "2026-11-25T08:47:21.000000000Z "
	okLine   = `203.0.113.7 - - [25/Nov/2026:08:47:21 +0000] "GET /big HTTP/1.1" 200 4096 "-" "curl/8" 100 0.100 [shop-assets-8080] [] 127.0.0.1:9016 4096 0.100 200 aaa`
	bodyCut  = `2026/11/25 08:47:21 [error] 1#1: *9 upstream prematurely closed connection while reading upstream, client: 203.0.113.7, server: shop.example.com, request: "GET /big HTTP/1.1", upstream: "http://127.0.0.1:9016/big", host: "shop.example.com"`
	failLine = `203.0.113.7 - - [25/Nov/2026:08:47:21 +0000] "GET /fail HTTP/1.1" 502 150 "-" "curl/8" 100 0.000 [shop-inv-8080] [] 127.0.0.1:9001 0 0.000 502 bbb`
)

// An error line that reaches the log after its access line was dropped by
// the pre-filter (stdout won the pipe race) still finds it.
func TestErrorAfterDroppedAccess(t *testing.T) {
	in, got := newIngest(t, container.CRI)
	src := in.NewSource("pod")
	in.Lines(src, [][]byte{[]byte(cri + "stdout F " + okLine), []byte(cri + "stderr F " + bodyCut)}, time.Now())
	require.Len(t, *got, 1)
	r := (*got)[0]
	require.NotNil(t, r.Access)
	assert.Equal(t, 200, r.Access.Status)
	assert.Equal(t, okLine, r.AccessRaw)
	require.Len(t, r.Errors, 1)
	assert.Equal(t, "premature_close", r.Errors[0].Kind)

	// Each dropped line is found once.
	in.Lines(src, [][]byte{[]byte(cri + "stderr F " + bodyCut)}, time.Now())
	assert.Len(t, *got, 1, "the second error waits for its own access line")
}

func TestCounters(t *testing.T) {
	in, _ := newIngest(t, container.CRI)
	src := in.NewSource("pod")
	in.Lines(src, [][]byte{
		[]byte("not a CRI line"),
		[]byte(cri + "stdout F   Release:       v1.15.1"),
		[]byte(cri + `stderr F I1125 08:46:50.978811   32333 main.go:195] "Creating API client"`),
		[]byte(cri + "stderr F 2026/11/25 08:46:50 [notice] 1#1: start worker processes"),
		[]byte(cri + "stderr F something else on stderr"),
		[]byte(cri + "stderr F 2026/11/25 08:46:50 [error] 1#1: *1 client intended to send too large body, client: 1.2.3.4, server: _, request: \"POST / HTTP/1.1\", host: \"h\""),
		[]byte(cri + "stdout P " + failLine[:40]),
		[]byte(cri + "stdout F " + failLine[40:]),
		[]byte(cri + "stdout F " + okLine),
	}, time.Now())
	c := &in.Counters
	assert.EqualValues(t, 9, c.LinesRead.Load())
	assert.EqualValues(t, 1, c.WrapperFailed.Load())
	assert.EqualValues(t, 1, c.AccessFailed.Load())
	assert.EqualValues(t, 1, c.SkippedKlog.Load())
	assert.EqualValues(t, 1, c.SkippedNotice.Load())
	assert.EqualValues(t, 2, c.SkippedOther.Load())
	assert.EqualValues(t, 1, c.LinesMatched.Load())
}

func TestTruncatedCounter(t *testing.T) {
	j := join.New(join.Config{Window: time.Minute, Hold: time.Second, MaxPending: 10}, func(join.Request) {})
	in := New(Config{Wrapper: container.CRI, NewParser: parsers(t, nginx.IngressNginx), Watched: NewStatuses([]int{502}), MaxLineSize: 50}, j)
	src := in.NewSource("pod")
	in.Lines(src, [][]byte{[]byte(cri + "stdout P " + failLine[:40]), []byte(cri + "stdout F " + failLine[40:])}, time.Now())
	assert.EqualValues(t, 1, in.Counters.Truncated.Load())
	assert.EqualValues(t, 1, in.Counters.AccessFailed.Load(), "a cut line does not parse")
}

// Lines the pre-filter drops must not allocate: they are nearly all lines.
func TestDroppedLinesDoNotAllocate(t *testing.T) {
	in, got := newIngest(t, container.Auto)
	src := in.NewSource("pod")
	batch := make([][]byte, 100)
	for i := range batch {
		batch[i] = []byte(cri + "stdout F " + okLine)
	}
	now := time.Now()
	for range 11 {
		in.Lines(src, batch, now) // fill the join's memory of 1024 dropped lines once
	}
	n := testing.AllocsPerRun(20, func() { in.Lines(src, batch, now) })
	assert.Zero(t, n)
	assert.Empty(t, *got)
}

// Lines 37698-37701 of the bench CRI file: the access line of a request
// retried on two dead peers lands between its two error lines.
func TestAccessBetweenRetryErrors(t *testing.T) {
	in, got := newIngest(t, container.Auto)
	src := in.NewSource("pod")
	in.Lines(src, [][]byte{
		[]byte(`2026-11-25T08:40:09.87896012Z stderr F 2026/11/25 08:40:09 [error] 6710#6710: *12921 connect() failed (111: Connection refused) while connecting to upstream, client: 10.14.113.191, server: shop.example.com, request: "GET /api/tax/calc/96070 HTTP/1.1", upstream: "http://127.0.0.1:9005/api/tax/calc/96070", host: "shop.example.com"`),
		[]byte(`2026-11-25T08:40:09.879622651Z stdout F 10.14.113.191 - - [25/Nov/2026:08:40:09 +0000] "GET /api/tax/calc/96070 HTTP/1.1" 502 150 "-" "curl/8.5.0" 116 0.000 [shop-tax-8080] [] 127.0.0.1:9005, 127.0.0.1:9004 0, 0 0.000, 0.000 502, 502 ed87f27cd770abc639de7bfb6958dbd5`),
		[]byte(`2026-11-25T08:40:09.87963757Z stderr F 2026/11/25 08:40:09 [error] 6710#6710: *12921 connect() failed (111: Connection refused) while connecting to upstream, client: 10.14.113.191, server: shop.example.com, request: "GET /api/tax/calc/96070 HTTP/1.1", upstream: "http://127.0.0.1:9004/api/tax/calc/96070", host: "shop.example.com"`),
	}, time.Now())
	in.joiner.Flush()
	require.Len(t, *got, 1, "one record, no error line left alone")
	r := (*got)[0]
	require.NotNil(t, r.Access)
	require.Len(t, r.Errors, 2)
	assert.Equal(t, "127.0.0.1:9005", r.Errors[0].Peer())
	assert.Equal(t, "127.0.0.1:9004", r.Errors[1].Peer())
}
