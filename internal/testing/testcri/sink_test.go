package testcri

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSplitLineMatchesContainerd(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want []int
	}{
		{0, []int{0}},
		{MaxLine, []int{MaxLine}},
		{MaxLine + 1, []int{MaxLine, 1}},
		{2 * MaxLine, []int{MaxLine, MaxLine}},
	} {
		var got []int
		for _, c := range splitLine(make([]byte, tc.n)) {
			got = append(got, len(c))
		}
		if len(got) != len(tc.want) || got[0] != tc.want[0] || got[len(got)-1] != tc.want[len(tc.want)-1] {
			t.Errorf("len %d: chunks %v, want %v", tc.n, got, tc.want)
		}
	}
}

func TestSinkRecords(t *testing.T) {
	dir := t.TempDir()
	cri, err := os.Create(filepath.Join(dir, "0.log"))
	if err != nil {
		t.Fatal(err)
	}
	docker, err := os.Create(filepath.Join(dir, "json.log"))
	if err != nil {
		t.Fatal(err)
	}
	s := &logSink{cri: cri, docker: docker}
	long := strings.Repeat("x", MaxLine+5)
	s.copyStream("stdout", strings.NewReader("a <b> & \"c\"\t\\\r\n\n"+long+"\ntail"))
	s.close()

	recs, err := Read(cri.Name())
	if err != nil {
		t.Fatal(err)
	}
	tags := ""
	for _, r := range recs {
		tags += map[bool]string{true: "P", false: "F"}[r.Partial]
	}
	// "tail" has no newline at EOF, so containerd would tag it P.
	if tags != "FFPFP" || recs[0].Msg != "a <b> & \"c\"\t\\" || recs[1].Msg != "" {
		t.Fatalf("tags %s, first %q", tags, recs[0].Msg)
	}
	if got := Lines(recs, "stdout"); len(got) != 3 || got[2] != long {
		t.Errorf("Lines joined wrong: %d lines", len(got))
	}
	data, _ := os.ReadFile(docker.Name())
	first := string(bytes.SplitN(data, []byte("\n"), 2)[0])
	want := `{"log":"a \u003cb\u003e \u0026 \"c\"\u0009\\\n","stream":"stdout","time":"`
	if !strings.HasPrefix(first, want) {
		t.Errorf("docker record:\n got %s\nwant prefix %s", first, want)
	}
}
