package haproxy

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/gateway"
)

func seedFixtures(f *testing.F) {
	for _, flavor := range []string{"haproxytech", "haproxy-ingress"} {
		for _, name := range []string{"stdout.log", "stderr.log"} {
			for _, l := range readLines(f, filepath.Join(fixtures, flavor, name)) {
				f.Add([]byte(l))
			}
		}
	}
}

// customFormat exercises the paths the defaults do not: addresses, the
// unique id, sample fetches with spaces, an unquoted request at the end.
const customFormat = `%ci:%cp [%t] %ft %b/%s(%si:%sp) %Tw/%Tc/%Tr/%Tt %ST %B %U %tsc %rc %ID "%[req.hdr(host)]" "%[req.fhdr(user-agent)]" %r`

// FuzzParse feeds one parser a stream of lines (so the health-check state
// is exercised too) under both default formats and a custom one. Besides
// not panicking, every value copied from the line must be in the line, and
// Keep must follow the documented rule.
func FuzzParse(f *testing.F) {
	seedFixtures(f)
	f.Add([]byte(`2001:db8::7:51234 [25/Nov/2026:09:58:05.755] http a_svc_b_c/S(10.0.0.7:8080) 0/1/-1/5 502 209 512 SH-- +2 id "h:1" "ua x" GET http://h/p?q HTTP/1.1`))
	f.Add([]byte(`1:2 [25/Nov/2026:09:58:05.7] f b/<NOSRV> 0/-1/-1/-1/0 503 0 - - SC-- 0/0/0/0/99999999999 0/0 {a|b} {c} "GET`))
	defaults, err := Compile("")
	if err != nil {
		f.Fatal(err)
	}
	custom, err := Compile(customFormat)
	if err != nil {
		f.Fatal(err)
	}
	parsers := []gateway.Parser{defaults.NewParser(), custom.NewParser()}
	f.Fuzz(func(t *testing.T, line []byte) {
		in := bytes.Clone(line)
		for _, p := range parsers {
			for _, stderr := range []bool{false, true} {
				var out gateway.Parsed
				k := p.Parse(line, stderr, watched, &out)
				var all gateway.Parsed
				kAll := p.Parse(line, stderr, func(int) bool { return true }, &all)
				switch k {
				case gateway.Uninteresting:
					// Under "all" the rest of the line is read too, and may
					// turn out broken: the drop happened before that.
					if kAll == gateway.Request && (watched(all.Access.Status) || len(all.Errors) > 0) || kAll != gateway.Request && kAll != gateway.Malformed {
						t.Fatalf("dropped a line that is watched or failed: %v %+v", kAll, all)
					}
				case gateway.Request:
					checkParsed(t, line, &out)
					if kAll != gateway.Request {
						t.Fatalf("kept under the watched set, %v under all", kAll)
					}
				case gateway.Failure:
					t.Fatal("HAProxy has no failure lines")
				}
				if k != gateway.Request && k != gateway.Uninteresting && kAll != k {
					t.Fatalf("kind %v depends on the watched set (%v)", k, kAll)
				}
			}
		}
		if !bytes.Equal(in, line) {
			t.Fatal("input modified")
		}
	})
}

func checkParsed(t *testing.T, line []byte, out *gateway.Parsed) {
	a := &out.Access
	s := string(line)
	for name, v := range map[string]string{
		"RequestLine": a.RequestLine, "Client": a.Client, "UpstreamName": a.UpstreamName, "Method": a.Method,
		"Query": a.Query, "RequestID": a.RequestID, "UserAgent": a.UserAgent, "FailureSignal": a.FailureSignal,
		"Host": a.Host,
	} {
		if !strings.Contains(s, v) {
			t.Fatalf("%s %q is not in the line", name, v)
		}
	}
	if want := watched(a.Status) || len(out.Errors) > 0; out.Keep != want {
		t.Fatalf("Keep %v, want %v", out.Keep, want)
	}
	if len(out.Errors) > 1 {
		t.Fatalf("%d errors for one line", len(out.Errors))
	}
	for _, e := range out.Errors {
		if e.Kind == "" || e.Message == "" || e.Request != a.RequestLine {
			t.Fatalf("incomplete error %+v", e)
		}
	}
	if len(a.Attempts) > maxAttempts {
		t.Fatalf("%d attempts", len(a.Attempts))
	}
}

// FuzzCompile checks that any format string either compiles or is refused
// with a message, and that a compiled one reads a fixture line safely.
func FuzzCompile(f *testing.F) {
	f.Add(HTTPLogFormat)
	f.Add(HAProxyTechFormat)
	f.Add(customFormat)
	f.Add(`%{+Q,+E}r %[ base ] \\x %% %ST`)
	line := []byte(`198.51.100.23:56558 [25/Nov/2026:09:58:05.755] http shop_svc_inventory_8080/<NOSRV> 0/-1/-1/-1/0 503 217 - - SC-- 2/2/0/0/0 0/0 "GET shop.example.com/api/inventory/items/SKU-14429 HTTP/1.1"`)
	f.Fuzz(func(t *testing.T, format string) {
		c, err := Compile(format)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		var out gateway.Parsed
		if c.NewParser().Parse(line, false, watched, &out) == gateway.Request {
			checkParsed(t, line, &out)
		}
	})
}
