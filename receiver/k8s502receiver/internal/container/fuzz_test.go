package container

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

const fixtures = "../../testdata/ingress-nginx/scenarios"

// seedLines adds every line of the files matching pattern to the corpus.
func seedLines(f *testing.F, pattern string) {
	files, err := filepath.Glob(filepath.Join(fixtures, pattern))
	if err != nil || len(files) == 0 {
		f.Fatalf("no fixture matches %s", pattern)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		for _, l := range bytes.SplitAfter(data, []byte("\n")) {
			if len(l) > 0 {
				f.Add(l)
			}
		}
	}
}

func within(outer, inner []byte) bool {
	if len(inner) == 0 {
		return true
	}
	return bytes.Contains(outer, inner)
}

func FuzzUnwrap(f *testing.F) {
	seedLines(f, "var/log/pods/*/controller/0.log")
	seedLines(f, "var/lib/docker/containers/*/*-json.log")
	for _, s := range []string{
		ts + " stdout F ", ts + " stderr P:x y", `{"log":"\ud83d\ude00\\\n","attrs":{"a":[1,"}"]}}`,
		`{"log":"a\u00`, `{"log":"\`, `{"":"","log":""}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		in := bytes.Clone(line)
		j := Joiner{MaxSize: 64}
		for _, format := range []Format{Auto, CRI, Docker, Plain} {
			l, scratch, err := Unwrap(format, line, nil)
			if !bytes.Equal(in, line) {
				t.Fatalf("%v: input modified", format)
			}
			if err != nil {
				if format == Auto || format == Plain {
					t.Fatalf("%v: %v", format, err)
				}
				continue
			}
			if format != Auto && l.Format != format {
				t.Fatalf("asked for %v, got %v", format, l.Format)
			}
			switch l.Format {
			case Plain:
				if !bytes.Equal(l.Msg, line) || l.Time != nil || l.Partial {
					t.Fatalf("plain line changed: %q", l.Msg)
				}
			case CRI:
				if !within(line, l.Msg) || !within(line, l.Time) || l.Stream == StreamUnknown {
					t.Fatalf("CRI fields not taken from the line: %+v", l)
				}
			case Docker:
				if !within(line, l.Time) {
					t.Fatalf("docker time not taken from the line: %q", l.Time)
				}
				if !within(line, l.Msg) && !within(scratch, l.Msg) {
					t.Fatalf("docker message neither in the line nor in scratch: %q", l.Msg)
				}
			default:
				t.Fatalf("unknown format %v", l.Format)
			}
			if msg, complete, truncated := j.Add(l); complete && truncated && len(msg) > j.MaxSize {
				t.Fatalf("truncated message of %d bytes beyond MaxSize %d", len(msg), j.MaxSize)
			}
		}
	})
}
