package join

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Kong names the request on its error lines: when the same client sends
// the same request line twice at once, each error line goes to the access
// line with its id, whatever order they come in; an error line without an
// id (stock nginx) still joins by client and request line.
func TestRequestIDSeparatesIdenticalRequests(t *testing.T) {
	j, s := newJoiner(100)
	e1, e2 := refused(""), refused("")
	e1.RequestID, e1.Message = "aaaa", "first"
	e2.RequestID, e2.Message = "bbbb", "second"
	j.failure("pod", key, t0, wall, e1)
	j.failure("pod", key, t0, wall, e2)
	second := access(502)
	second.Access.RequestID, second.Access.UpstreamUnlogged = "bbbb", true
	first := access(502)
	first.Access.RequestID, first.Access.UpstreamUnlogged = "aaaa", true
	j.access("pod", key, t0, wall, second, true)
	j.access("pod", key, t0, wall, first, true)
	j.Flush()
	require.Len(t, s.got, 2)
	for _, r := range s.got {
		require.Len(t, r.Errors, 1, r.Access.RequestID)
		want := map[string]string{"aaaa": "first", "bbbb": "second"}[r.Access.RequestID]
		assert.Equal(t, want, r.Errors[0].Message, r.Access.RequestID)
	}

	j, s = newJoiner(100)
	j.failure("pod", key, t0, wall, refused(""))
	a := access(502)
	a.Access.RequestID, a.Access.UpstreamUnlogged = "cccc", true
	j.access("pod", key, t0, wall, a, true)
	j.Flush()
	require.Len(t, s.got, 1)
	assert.Len(t, s.got[0].Errors, 1, "no id on the error line: joined by key")
}
