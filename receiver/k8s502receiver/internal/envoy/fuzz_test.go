package envoy

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/gateway"
)

// fixtureMessages returns the messages of the fixture's CRI files (the
// wrapper's first three fields removed; split lines stay split).
func fixtureMessages(tb testing.TB) [][]byte {
	paths, _ := filepath.Glob(filepath.Join(fixtures, "var/log/pods/*/*/0.log"))
	cilium, _ := filepath.Glob(filepath.Join(ciliumFixtures, "var/log/pods/*/*/0.log"))
	paths = append(paths, cilium...)
	if len(paths) == 0 {
		tb.Fatal("no fixture files")
	}
	var out [][]byte
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		for _, l := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
			if f := bytes.SplitN(l, []byte(" "), 4); len(f) == 4 {
				out = append(out, f[3])
			}
		}
	}
	return out
}

var seedLines = []string{istioUF, istioTLS, istioUH, istioBodyCut, istioURXApp, istioSubset, istioInbound, istioBadStatus,
	envoyDocsExample, envoyUF, egUF, egEscaped, contourJSON, istioJSONUH, ciliumURXUF, ciliumUH, ciliumBodyCut, ciliumOwnLog}

// FuzzParse runs the auto-detecting parser, Cilium's default, a custom text
// format and a JSON template over arbitrary lines. Besides not panicking, a parser must not
// change its input, must answer the same for the same line, and may only
// keep an unwatched status when the line states a failure.
func FuzzParse(f *testing.F) {
	for _, l := range fixtureMessages(f) {
		if len(l) < 4096 {
			f.Add(l)
		}
	}
	for _, l := range seedLines {
		f.Add([]byte(l))
	}
	formats := []*Format{
		mustCompile(f, ""),
		mustCompile(f, CiliumTextFormat),
		mustCompile(f, `%START_TIME(%Y-%m-%d %H:%M:%S)% "%REQ(:PATH)%" %RESPONSE_CODE% %RESPONSE_CODE_DETAILS% %UPSTREAM_HOST% %UPSTREAM_CLUSTER%`),
		mustCompile(f, `{"c":"%RESPONSE_CODE%","f":"%RESPONSE_FLAGS_LONG%","d":"%RESPONSE_CODE_DETAILS%","h":"%UPSTREAM_HOST%","u":"%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%"}`),
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		in := bytes.Clone(line)
		for _, fm := range formats {
			pr := fm.NewParser()
			var p gateway.Parsed
			k := pr.Parse(line, false, watched, &p)
			if !bytes.Equal(in, line) {
				t.Fatal("input modified")
			}
			if k == gateway.Request {
				if !p.Keep {
					t.Fatal("a Request without Keep")
				}
				if !watched(p.Access.Status) && len(p.Errors) == 0 {
					t.Fatalf("unwatched status %d kept without a stated failure", p.Access.Status)
				}
			} else if len(p.Errors) > 0 || len(p.Access.Attempts) > 0 {
				t.Fatalf("kind %d filled the result", k)
			}
			p.Reset()
			if k2 := pr.Parse(line, false, watched, &p); k2 != k {
				t.Fatalf("kind %d, then %d for the same line", k, k2)
			}
			p.Reset()
			all := pr.Parse(line, false, func(int) bool { return true }, &p)
			if k == gateway.Uninteresting && all != gateway.Request && all != gateway.Malformed {
				t.Fatalf("uninteresting line is %d when every status is watched", all)
			}
		}
	})
}

// FuzzCompile compiles arbitrary format strings; whatever compiles must
// parse lines without panicking.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{"", IstioTextFormat, EnvoyDefaultFormat, `%RESPONSE_CODE% %START_TIME(%s %s)%`,
		`{"a":"%RESPONSE_CODE%","b":{"c":"%RESPONSE_FLAGS%"}}`, `%REQ(X?Y):10% %RESPONSE_CODE%`, `"%RESPONSE_CODE%"`} {
		f.Add(s, istioUF)
	}
	f.Add(EnvoyDefaultFormat, envoyDocsExample)
	f.Add(CiliumTextFormat, ciliumBodyCut)
	f.Add(`%RESPONSE_HEADER(X):3% %REQUEST_HEADER(:PATH)% %RESPONSE_CODE%`, `abc /x 503`)
	f.Add(`{"code":"%RESPONSE_CODE%"}`, `{"code":503}`)
	f.Fuzz(func(t *testing.T, format, line string) {
		fm, err := Compile(format)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		var p gateway.Parsed
		fm.NewParser().Parse([]byte(line), false, watched, &p)
	})
}
