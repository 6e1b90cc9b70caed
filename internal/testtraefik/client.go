package testtraefik

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/testnginx"
)

// WaitTimeout bounds every Wait* helper.
const WaitTimeout = 15 * time.Second

// Response is what the client got back from Traefik.
type Response = testnginx.Response

func (tr *Traefik) send(method, host, path string, headers map[string]string) (Response, error) {
	req, err := http.NewRequest(method, "http://"+tr.Addr+path, nil)
	if err != nil {
		return Response{}, err
	}
	req.Host = host
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := tr.client.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: string(body)}, err
}

// Request sends one request to the entryPoint "web". It is safe for
// concurrent use; errors are returned, not fatal.
func (tr *Traefik) Request(method, host, path string, headers map[string]string) (Response, error) {
	tr.requests.Add(1)
	return tr.send(method, host, path, headers)
}

// Do is Request that fails the test on a transport error. Call it from the
// test goroutine.
func (tr *Traefik) Do(t testing.TB, method, host, path string, headers map[string]string) Response {
	t.Helper()
	r, err := tr.Request(method, host, path, headers)
	if err != nil {
		t.Fatalf("testtraefik: %s http://%s%s: %v", method, host, path, err)
	}
	return r
}

// Requests counts the requests sent with Do/Request so far; each one is
// logged as one access line.
func (tr *Traefik) Requests() int { return int(tr.requests.Load()) }

// Records parses the CRI file as written so far.
func (tr *Traefik) Records(t testing.TB) []testnginx.Record {
	t.Helper()
	recs, err := testnginx.ReadCRI(tr.CRIPath)
	if err != nil {
		t.Fatalf("testtraefik: %v", err)
	}
	return recs
}

// StdoutLines are the complete stdout lines so far: the access log and the
// general log share stdout.
func (tr *Traefik) StdoutLines(t testing.TB) []string {
	t.Helper()
	return testnginx.Lines(tr.Records(t), "stdout")
}

// StderrLines are whatever Traefik wrote to stderr (nothing, normally).
func (tr *Traefik) StderrLines(t testing.TB) []string {
	t.Helper()
	return testnginx.Lines(tr.Records(t), "stderr")
}

// Access is one line of the JSON access log, the fields the tests read.
type Access struct {
	RequestHost       string
	RequestPath       string
	DownstreamStatus  int
	OriginStatus      int
	RouterName        string
	ServiceName       string // absent when no server was chosen
	ServiceAddr       string
	ServiceURL        string
	Duration          int64 // nanoseconds
	OriginContentSize int64
	Line              string `json:"-"`
}

// ParseAccess reads an access line; ok is false for general-log lines
// (those have no DownstreamStatus).
func ParseAccess(line string) (Access, bool) {
	if !strings.Contains(line, `"DownstreamStatus"`) {
		return Access{}, false
	}
	var a Access
	if err := json.Unmarshal([]byte(line), &a); err != nil {
		return Access{}, false
	}
	a.Line = line
	return a, true
}

// AccessLines are the access lines so far, without those of the ready
// route.
func (tr *Traefik) AccessLines(t testing.TB) []Access {
	t.Helper()
	var out []Access
	for _, l := range tr.StdoutLines(t) {
		if a, ok := ParseAccess(l); ok && a.RequestHost != ReadyHost {
			out = append(out, a)
		}
	}
	return out
}

// WaitRequests waits for one access line per request sent so far and
// returns the access lines.
func (tr *Traefik) WaitRequests(t testing.TB) []Access {
	t.Helper()
	want := tr.Requests()
	var got []Access
	tr.poll(t, func() bool {
		got = tr.AccessLines(t)
		return len(got) >= want
	}, func() string { return fmt.Sprintf("%d access lines, have %d", want, len(got)) })
	return got
}

// WaitStdout waits for a stdout line containing substr and returns it.
func (tr *Traefik) WaitStdout(t testing.TB, substr string) string {
	t.Helper()
	var hit string
	tr.poll(t, func() bool {
		for _, l := range tr.StdoutLines(t) {
			if strings.Contains(l, substr) {
				hit = l
				return true
			}
		}
		return false
	}, func() string { return fmt.Sprintf("a stdout line containing %q", substr) })
	return hit
}

func (tr *Traefik) poll(t testing.TB, done func() bool, what func() string) {
	t.Helper()
	deadline := time.Now().Add(WaitTimeout)
	for {
		if done() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("testtraefik: timed out after %s waiting for %s", WaitTimeout, what())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
