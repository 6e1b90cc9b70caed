package testnginx

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// DefaultClientIP is sent as X-Forwarded-For when the caller sets none, so
// $remote_addr in access lines is never the loopback address.
const DefaultClientIP = "203.0.113.7"

// WaitTimeout bounds every Wait* helper.
const WaitTimeout = 15 * time.Second

// Response is what the client got back from nginx.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

// Request sends one request through nginx. headers may set X-Forwarded-For
// (the client IP nginx logs), X-Request-ID ($req_id), Referer, User-Agent
// and so on. It is safe for concurrent use; errors are returned, not fatal.
func (n *Nginx) Request(method, host, path string, headers map[string]string) (Response, error) {
	req, err := http.NewRequest(method, "http://"+n.Addr+path, nil)
	if err != nil {
		return Response{}, err
	}
	req.Host = host
	req.Header.Set("X-Forwarded-For", DefaultClientIP)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	n.requests.Add(1)
	resp, err := n.client.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: string(body)}, err
}

// Do is Request that fails the test on a transport error. Call it from the
// test goroutine.
func (n *Nginx) Do(t testing.TB, method, host, path string, headers map[string]string) Response {
	t.Helper()
	r, err := n.Request(method, host, path, headers)
	if err != nil {
		t.Fatalf("testnginx: %s http://%s%s: %v", method, host, path, err)
	}
	return r
}

// Requests counts the requests sent with Do/Request so far, which is how
// many access lines to wait for when every request hits a logged location.
func (n *Nginx) Requests() int { return int(n.requests.Load()) }

// Records parses the CRI file as written so far.
func (n *Nginx) Records(t testing.TB) []Record {
	t.Helper()
	recs, err := ReadCRI(n.CRIPath)
	if err != nil {
		t.Fatalf("testnginx: %v", err)
	}
	return recs
}

// AccessLines returns the complete stdout lines so far; with this config
// every stdout line is an access line.
func (n *Nginx) AccessLines(t testing.TB) []string {
	t.Helper()
	return Lines(n.Records(t), "stdout")
}

// ErrorLines returns the complete stderr lines so far.
func (n *Nginx) ErrorLines(t testing.TB) []string {
	t.Helper()
	return Lines(n.Records(t), "stderr")
}

// WaitAccessLines waits until the CRI file holds at least count access lines
// and returns them all. nginx logs after answering, so a client that got its
// response can be ahead of the log.
func (n *Nginx) WaitAccessLines(t testing.TB, count int) []string {
	t.Helper()
	var got []string
	n.poll(t, func() bool {
		got = n.AccessLines(t)
		return len(got) >= count
	}, func() string { return fmt.Sprintf("%d access lines, have %d", count, len(got)) })
	return got
}

// WaitRequests waits for one access line per request sent so far.
func (n *Nginx) WaitRequests(t testing.TB) []string {
	t.Helper()
	return n.WaitAccessLines(t, n.Requests())
}

// WaitStderr waits for a stderr line containing substr and returns it.
func (n *Nginx) WaitStderr(t testing.TB, substr string) string {
	t.Helper()
	var hit string
	n.poll(t, func() bool {
		for _, l := range n.ErrorLines(t) {
			if strings.Contains(l, substr) {
				hit = l
				return true
			}
		}
		return false
	}, func() string { return fmt.Sprintf("a stderr line containing %q", substr) })
	return hit
}

func (n *Nginx) poll(t testing.TB, done func() bool, what func() string) {
	t.Helper()
	deadline := time.Now().Add(WaitTimeout)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("testnginx: timed out after %v waiting for %s in %s", WaitTimeout, what(), n.CRIPath)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
