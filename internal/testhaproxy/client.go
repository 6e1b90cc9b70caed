package testhaproxy

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/testnginx"
)

// WaitTimeout bounds every Wait* helper. It covers a health check: the
// first one runs within inter (2s) of the start.
const WaitTimeout = 15 * time.Second

// Response is what the client got back from HAProxy.
type Response = testnginx.Response

// Request sends one request through HAProxy's http frontend. It is safe for
// concurrent use; errors are returned, not fatal.
func (h *HAProxy) Request(method, host, path string, headers map[string]string) (Response, error) {
	req, err := http.NewRequest(method, "http://"+h.Addr+path, nil)
	if err != nil {
		return Response{}, err
	}
	req.Host = host
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	h.requests.Add(1)
	resp, err := h.client.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: string(body)}, err
}

// Do is Request that fails the test on a transport error. Call it from the
// test goroutine.
func (h *HAProxy) Do(t testing.TB, method, host, path string, headers map[string]string) Response {
	t.Helper()
	r, err := h.Request(method, host, path, headers)
	if err != nil {
		t.Fatalf("testhaproxy: %s http://%s%s: %v", method, host, path, err)
	}
	return r
}

// Requests counts the requests sent with Do/Request so far; each one is
// logged as one traffic line.
func (h *HAProxy) Requests() int { return int(h.requests.Load()) }

// Records parses the CRI file as written so far.
func (h *HAProxy) Records(t testing.TB) []testnginx.Record {
	t.Helper()
	recs, err := testnginx.ReadCRI(h.CRIPath)
	if err != nil {
		t.Fatalf("testhaproxy: %v", err)
	}
	return recs
}

// StdoutLines are the complete stdout lines so far: traffic lines and the
// log target's copies of server state changes ("Server b/s is DOWN, ...").
func (h *HAProxy) StdoutLines(t testing.TB) []string {
	t.Helper()
	return testnginx.Lines(h.Records(t), "stdout")
}

// StderrLines are HAProxy's own console messages so far.
func (h *HAProxy) StderrLines(t testing.TB) []string {
	t.Helper()
	return testnginx.Lines(h.Records(t), "stderr")
}

// IsTraffic tells a traffic line of LogFormat ("ip:port [date] ...") from
// the other lines the log target gets.
func IsTraffic(line string) bool {
	addr, rest, ok := strings.Cut(line, " ")
	return ok && strings.Contains(addr, ":") && strings.HasPrefix(rest, "[")
}

// TrafficLines are the stdout traffic lines so far.
func (h *HAProxy) TrafficLines(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, l := range h.StdoutLines(t) {
		if IsTraffic(l) {
			out = append(out, l)
		}
	}
	return out
}

// WaitRequests waits for one traffic line per request sent so far and
// returns the traffic lines. HAProxy logs when the transaction ends, so a
// client that got its response can be ahead of the log.
func (h *HAProxy) WaitRequests(t testing.TB) []string {
	t.Helper()
	want := h.Requests()
	var got []string
	h.poll(t, func() bool {
		got = h.TrafficLines(t)
		return len(got) >= want
	}, func() string { return fmt.Sprintf("%d traffic lines, have %d", want, len(got)) })
	return got
}

// WaitStdout waits for a stdout line containing substr (a health check's
// "Server <backend>/SRV_1 is DOWN", say) and returns it.
func (h *HAProxy) WaitStdout(t testing.TB, substr string) string {
	t.Helper()
	var hit string
	h.poll(t, func() bool {
		for _, l := range h.StdoutLines(t) {
			if strings.Contains(l, substr) {
				hit = l
				return true
			}
		}
		return false
	}, func() string { return fmt.Sprintf("a stdout line containing %q", substr) })
	return hit
}

func (h *HAProxy) poll(t testing.TB, done func() bool, what func() string) {
	t.Helper()
	deadline := time.Now().Add(WaitTimeout)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("testhaproxy: timed out after %v waiting for %s in %s\nstderr:\n%s", WaitTimeout, what(), h.CRIPath, strings.Join(h.StderrLines(t), "\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
