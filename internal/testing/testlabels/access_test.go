package testlabels

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Lines as the suite's nginx writes them (ingress-nginx's format); the
// upstream fields are copied from real nginx 1.22 output.
func TestParseAccess(t *testing.T) {
	const head = `203.0.113.7 - - [07/Dec/2026:19:09:17 +0000] "GET /api/x/items/1 HTTP/1.1" 502 150 "-" "Go-http-client/1.1" 120 0.003 [shop-recommend-80] [] `
	for _, c := range []struct {
		name, rest      string
		peers, statuses []string
		failed          []string
	}{{
		name:  "three refused",
		rest:  `127.0.0.71:1, 127.0.0.72:1, 127.0.0.73:1 0, 0, 0 0.000, 0.000, 0.000 502, 502, 502 req-1`,
		peers: []string{"127.0.0.71:1", "127.0.0.72:1", "127.0.0.73:1"}, statuses: []string{"502", "502", "502"},
		failed: []string{"127.0.0.71:1", "127.0.0.72:1", "127.0.0.73:1"},
	}, {
		name:  "two refused, then no live upstreams",
		rest:  `127.0.0.74:1, 127.0.0.75:1, ups2_shop-c-80 0, 0, 0 0.000, 0.000, 0.000 502, 502, 502 req-2`,
		peers: []string{"127.0.0.74:1", "127.0.0.75:1", "ups2_shop-c-80"}, statuses: []string{"502", "502", "502"},
		failed: []string{"127.0.0.74:1", "127.0.0.75:1"},
	}, {
		name:  "rescued",
		rest:  `127.0.0.63:1, 127.0.0.1:18099 0, 2 0.001, 0.000 502, 200 req-3`,
		peers: []string{"127.0.0.63:1", "127.0.0.1:18099"}, statuses: []string{"502", "200"},
		failed: []string{"127.0.0.63:1"},
	}, {
		name:  "no endpoint (the Lua 503)",
		rest:  `- - - - req-4`,
		peers: []string{"-"}, statuses: []string{"-"},
	}, {
		name:  "internal redirect",
		rest:  `127.0.0.9:80 : 127.0.0.10:80 0 : 15 0.001 : 0.002 504 : 200 req-5`,
		peers: []string{"127.0.0.9:80", "127.0.0.10:80"}, statuses: []string{"504", "200"},
		failed: []string{"127.0.0.9:80"},
	}} {
		t.Run(c.name, func(t *testing.T) {
			a, err := ParseAccess(head + c.rest)
			require.NoError(t, err)
			assert.Equal(t, c.peers, a.Peers)
			assert.Equal(t, c.statuses, a.Statuses)
			assert.Equal(t, c.failed, a.Failed())
			assert.Regexp(t, `^req-\d$`, a.RequestID)
		})
	}
}

func TestParseAccessRejects(t *testing.T) {
	for _, line := range []string{
		"no brackets at all",
		`1.2.3.4 - - [x] "GET / HTTP/1.1" 502 0 "-" "-" 1 0 [a] [] 127.0.0.1:1 0 0.000 502`,                 // no request id
		`1.2.3.4 - - [x] "GET / HTTP/1.1" 502 0 "-" "-" 1 0 [a] [] 127.0.0.1:1, 127.0.0.2:1 0 0.000 502 id`, // peers without statuses
	} {
		_, err := ParseAccess(line)
		assert.Error(t, err, line)
	}
}
