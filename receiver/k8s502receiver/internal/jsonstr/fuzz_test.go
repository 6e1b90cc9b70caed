package jsonstr

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

// FuzzAppendUnescaped checks that decoding never panics, only appends, and
// agrees with encoding/json on every valid JSON string body.
func FuzzAppendUnescaped(f *testing.F) {
	files, _ := filepath.Glob("../../testdata/ingress-nginx/scenarios/var/lib/docker/containers/*/*-json.log")
	if len(files) == 0 {
		f.Fatal("docker fixture not found")
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		f.Fatal(err)
	}
	// Seed with the raw "log" bodies of the docker fixture.
	for _, l := range bytes.Split(data, []byte("\n")) {
		body, ok := bytes.CutPrefix(l, []byte(`{"log":"`))
		if !ok {
			continue
		}
		if i := bytes.LastIndex(body, []byte(`","stream":"`)); i >= 0 {
			f.Add(body[:i])
		}
	}
	for _, s := range []string{`\ud83d\ude00`, `\ud83d`, `\ude00\ud83d`, `\u00`, `\`, `\\\"`, "\xff\\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		in := bytes.Clone(src)
		out := AppendUnescaped([]byte("pre"), src)
		if !bytes.Equal(src, in) {
			t.Fatal("input modified")
		}
		if !bytes.HasPrefix(out, []byte("pre")) {
			t.Fatal("dst prefix lost")
		}
		out = out[3:]
		if len(out) > len(src) {
			// Every escape decodes to at most as many bytes as it spells.
			t.Fatalf("output of %d bytes from %d", len(out), len(src))
		}
		if !utf8.Valid(src) {
			return
		}
		var want string
		if json.Unmarshal(append(append([]byte(`"`), src...), '"'), &want) != nil {
			return
		}
		if string(out) != want {
			t.Fatalf("AppendUnescaped(%q) = %q, encoding/json says %q", src, out, want)
		}
	})
}
