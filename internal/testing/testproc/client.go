package testproc

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testcri"
)

// WaitTimeout bounds every Wait* helper and Poll.
const WaitTimeout = 15 * time.Second

// Response is what the client got back from the proxy.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

// Send sends one request to Addr without counting it in Requests (a
// readiness probe, say). It is safe for concurrent use.
func (p *Proc) Send(method, host, path string, headers map[string]string) (Response, error) {
	return p.send(method, host, path, headers, false)
}

// Request sends one request to Addr with Host host; headers are set after
// Config.Headers. It is safe for concurrent use; errors are returned, not
// fatal.
func (p *Proc) Request(method, host, path string, headers map[string]string) (Response, error) {
	return p.send(method, host, path, headers, true)
}

func (p *Proc) send(method, host, path string, headers map[string]string, count bool) (Response, error) {
	req, err := http.NewRequest(method, "http://"+p.cfg.Addr+path, nil)
	if err != nil {
		return Response{}, err
	}
	req.Host = host
	for k, v := range p.cfg.Headers {
		req.Header.Set(k, v)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if count {
		p.requests.Add(1)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: string(body)}, err
}

// Do is Request that fails the test on a transport error. Call it from the
// test goroutine.
func (p *Proc) Do(t testing.TB, method, host, path string, headers map[string]string) Response {
	t.Helper()
	r, err := p.Request(method, host, path, headers)
	if err != nil {
		t.Fatalf("test%s: %s http://%s%s: %v", p.cfg.Name, method, host, path, err)
	}
	return r
}

// Requests counts the requests sent with Do/Request so far.
func (p *Proc) Requests() int { return int(p.requests.Load()) }

// Records parses the CRI file as written so far.
func (p *Proc) Records(t testing.TB) []testcri.Record {
	t.Helper()
	if p.cfg.CRI == nil {
		t.Fatalf("test%s: the output goes to %s, not to a CRI file", p.cfg.Name, p.cfg.LogFile)
	}
	recs, err := testcri.Read(p.cfg.CRI.Path)
	if err != nil {
		t.Fatalf("test%s: %v", p.cfg.Name, err)
	}
	return recs
}

// StdoutLines are the complete stdout lines so far.
func (p *Proc) StdoutLines(t testing.TB) []string {
	t.Helper()
	return testcri.Lines(p.Records(t), "stdout")
}

// StderrLines are the complete stderr lines so far.
func (p *Proc) StderrLines(t testing.TB) []string {
	t.Helper()
	return testcri.Lines(p.Records(t), "stderr")
}

// WaitStdout waits for a stdout line containing substr and returns it.
func (p *Proc) WaitStdout(t testing.TB, substr string) string {
	t.Helper()
	return p.waitLine(t, "stdout", substr)
}

// WaitStderr waits for a stderr line containing substr and returns it.
func (p *Proc) WaitStderr(t testing.TB, substr string) string {
	t.Helper()
	return p.waitLine(t, "stderr", substr)
}

func (p *Proc) waitLine(t testing.TB, stream, substr string) string {
	t.Helper()
	var hit string
	p.Poll(t, func() bool {
		for _, l := range testcri.Lines(p.Records(t), stream) {
			if strings.Contains(l, substr) {
				hit = l
				return true
			}
		}
		return false
	}, func() string { return fmt.Sprintf("a %s line containing %q", stream, substr) })
	return hit
}

// Poll calls done every 10ms until it returns true, failing the test after
// WaitTimeout with what() and the proxy's stderr. The proxy logs a request
// after answering it, so a client that got its response can be ahead of
// the log.
func (p *Proc) Poll(t testing.TB, done func() bool, what func() string) {
	t.Helper()
	deadline := time.Now().Add(WaitTimeout)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("test%s: timed out after %v waiting for %s in %s\nstderr:\n%s", p.cfg.Name, WaitTimeout, what(), p.LogPath(), strings.Join(p.StderrLines(t), "\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// WaitCount polls lines until it returns at least n of them and returns
// them all; what names them in the failure ("access lines").
func WaitCount[T any](t testing.TB, p *Proc, n int, what string, lines func() []T) []T {
	t.Helper()
	var got []T
	p.Poll(t, func() bool {
		got = lines()
		return len(got) >= n
	}, func() string { return fmt.Sprintf("%d %s, have %d", n, what, len(got)) })
	return got
}
