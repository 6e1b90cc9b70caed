package traefik

import (
	"bytes"
	"encoding/json"
	"regexp"
	"testing"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/gateway"
)

var plainStatus = regexp.MustCompile(`^[1-9][0-9]{2}$`)

// FuzzParse runs Parse, the package's one entry point, on every fixture
// line and mutations of them: after a body-copy line (so the aborted-line
// path is live), with every status watched and with none.
func FuzzParse(f *testing.F) {
	for _, run := range []string{"text", "json"} {
		for _, l := range readStdout(f, run) {
			f.Add(l)
		}
	}
	f.Add([]byte(`{"DownstreamStatus":502,"OriginStatus":0,"ServiceAddr":"a:1","RouterName":"r@x"}`))
	f.Add([]byte(`{"message":"502 Bad Gateway","error":"dial tcp [::1]:80: connect: connection refused"}`))
	f.Add([]byte("2026-11-25T10:09:25Z DBG 502 Bad Gateway error=EOF"))
	f.Add([]byte(`1 - - [x] "" 502 - "" 1 "" "" 5ms`))
	f.Add([]byte(`1 - - [x] "GET / HTTP/1.1" 502 11 "-" "-" 1 "r" "-" ms`))
	all := func(int) bool { return true }
	none := func(int) bool { return false }
	f.Fuzz(func(t *testing.T, line []byte) {
		in := bytes.Clone(line)
		for _, watched := range []func(int) bool{all, none} {
			fm, _ := Compile("")
			p := fm.NewParser()
			var out gateway.Parsed
			p.Parse([]byte(jsonS2cBodyCopy), false, watched, &out)
			out.Reset()
			kind := p.Parse(line, false, watched, &out)
			check(t, kind, &out, line, watched)
			// A fresh parser reads the line the same way.
			var again gateway.Parsed
			if k := fm.NewParser().Parse(line, false, watched, &again); k != kind && kind != gateway.Request {
				t.Fatalf("kind %d, then %d", kind, k)
			}
		}
		if !bytes.Equal(in, line) {
			t.Fatal("input modified")
		}
	})
}

func check(t *testing.T, kind gateway.Kind, out *gateway.Parsed, line []byte, watched func(int) bool) {
	switch kind {
	case gateway.Other, gateway.Uninteresting, gateway.Malformed:
	case gateway.Failure:
		e := out.Error
		if len(out.Key) == 0 || e.Kind == "" || e.Level != event.LevelError {
			t.Fatalf("failure without key, kind or level: %+v", e)
		}
		code, ok := status3(out.Key)
		if !ok || !watched(code) {
			t.Fatalf("failure key %q is not a watched status", out.Key)
		}
		_ = e.Peer()
	case gateway.Request:
		a := &out.Access
		if !out.Keep {
			t.Fatal("a Request nobody keeps should be Uninteresting")
		}
		if a.Status < 100 || a.Status > 999 {
			t.Fatalf("status %d", a.Status)
		}
		if len(out.Key) > 0 && string(out.Key) != string(appendJoinKey(nil, a.Status)) {
			t.Fatalf("key %q for status %d", out.Key, a.Status)
		}
		if len(out.Errors) > 0 && len(out.Key) > 0 {
			t.Fatal("a line that states its failure must not wait for a join")
		}
		if len(a.Attempts) > 1 {
			t.Fatalf("%d attempts", len(a.Attempts))
		}
		for _, e := range out.Errors {
			if e.Kind == "" || e.Level != event.LevelError {
				t.Fatalf("line error without kind or level: %+v", e)
			}
		}
	default:
		t.Fatalf("kind %d", kind)
	}
	// A well-formed JSON access line with a plain status is never
	// Malformed, and its status is the one encoding/json reads.
	if len(line) == 0 || line[0] != '{' || !json.Valid(line) {
		return
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(line, &obj) != nil || bytes.Count(line, keyDownstreamStatus) != 1 {
		return
	}
	st, ok := obj["DownstreamStatus"]
	if !ok || !plainStatus.Match(st) {
		return
	}
	if kind == gateway.Malformed || kind == gateway.Other {
		t.Fatalf("valid access line read as %d", kind)
	}
	if kind == gateway.Request && string(appendJoinKey(nil, out.Access.Status)) != string(st) {
		t.Fatalf("status %d, encoding/json reads %s", out.Access.Status, st)
	}
}
