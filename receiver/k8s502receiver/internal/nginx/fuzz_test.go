package nginx

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func seedFixture(f *testing.F, names ...string) {
	for _, name := range names {
		for _, l := range readFixture(f, name) {
			f.Add(l)
		}
	}
}

// FuzzScanAccess runs the pre-filter scan, the full scan and Access on the
// ingress-nginx default format and on a JSON format.
func FuzzScanAccess(f *testing.F) {
	seedFixture(f, "scenarios/access.log", "scenarios-glibc/access.log")
	f.Add([]byte(`1.2.3.4 - - [25/Nov/2026:08:47:21 +0000] "GET / HTTP/1.1" 502 0 "-" "-" 1 0.1 [a] [] 1.1.1.1:80, 2.2.2.2:80 : 3.3.3.3:80 0, 0 : 0 0.1, 0.1 : 0.1 502, 502 : 502 x`))
	f.Add([]byte(`{"time":"2026-11-25T08:47:21+00:00","remote_addr":"1","request":"GET /\" HTTP/1.1","status":502,"ua":"\\","upstream_addr":"a, b","upstream_status":"502, 502","upstream_response_time":"1, 2","req_id":"r"}`))
	formats := []*Format{mustCompile(f, IngressNginxFormat), mustCompile(f, jsonFormat)}
	f.Fuzz(func(t *testing.T, line []byte) {
		in := bytes.Clone(line)
		for _, fm := range formats {
			var pre, full Fields
			preErr := fm.Scan(line, &pre, false)
			fullErr := fm.Scan(line, &full, true)
			if fullErr == nil && preErr != nil {
				t.Fatalf("full scan accepted what the pre-filter rejected: %v", preErr)
			}
			if preErr != nil {
				continue
			}
			ps, pok := pre.Status()
			_ = pre.AnyUpstreamStatus(func(int) bool { return false })
			key := fm.AppendJoinKey(nil, &pre)
			_ = fm.Access(&pre) // pre-filtered fields are a subset: still safe
			if fullErr != nil {
				continue
			}
			fs, fok := full.Status()
			if ps != fs || pok != fok {
				t.Fatalf("status %d/%v after the pre-filter, %d/%v after the full scan", ps, pok, fs, fok)
			}
			if fullKey := fm.AppendJoinKey(nil, &full); !bytes.Equal(key, fullKey) {
				t.Fatalf("join key %q after the pre-filter, %q after the full scan", key, fullKey)
			}
			a := fm.Access(&full)
			if fok && a.Status != fs {
				t.Fatalf("Access status %d, Scan status %d", a.Status, fs)
			}
			if a.RequestLine != "" && !strings.HasSuffix(string(key), a.RequestLine) {
				t.Fatalf("join key %q does not end in the request %q", key, a.RequestLine)
			}
		}
		if !bytes.Equal(in, line) {
			t.Fatal("input modified")
		}
	})
}

// FuzzParseError checks that ParseError never panics and that every text
// field it returns is copied from the line.
func FuzzParseError(f *testing.F) {
	seedFixture(f, "scenarios/error.log", "scenarios-glibc/error.log")
	f.Add([]byte(`2026/11/25 08:47:21 [error] 1#1: *1 x, client: a, server: b, request: "GET /"", c", upstream: "`))
	f.Add([]byte(`2026/11/25 08:47:21 [warn] 1#1: *1 x, client: , request: ", host: "`))
	f.Fuzz(func(t *testing.T, line []byte) {
		e, err := ParseError(line, time.UTC)
		if err != nil {
			return
		}
		s := string(line)
		if e.Raw != s {
			t.Fatalf("Raw %q is not the line", e.Raw)
		}
		for name, v := range map[string]string{
			"Message": e.Message, "Client": e.Client, "Server": e.Server,
			"Request": e.Request, "Upstream": e.Upstream, "Host": e.Host,
		} {
			if !strings.Contains(s, v) {
				t.Fatalf("%s %q is not in the line", name, v)
			}
		}
		if e.Kind != Classify(e.Message) {
			t.Fatalf("kind %q, Classify says %q", e.Kind, Classify(e.Message))
		}
		if e.Upstream == "" && e.Kind == "other" {
			t.Fatal("an unrelated line was accepted")
		}
		_ = e.Peer()
	})
}
