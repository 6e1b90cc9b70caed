//go:build chaos

package chaos

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The rotator keeps what the kubelet keeps: after each rotation 0.log, the
// newest rotated file plain, older ones gzipped, at most maxFiles in all,
// and no line lost or repeated among the files it keeps.
func TestRotatorKeepsWhatKubeletKeeps(t *testing.T) {
	log, err := createPodLog(t.TempDir(), controllerNS, controllerPod, controllerUID)
	if err != nil {
		t.Fatal(err)
	}
	defer log.close()
	r := &rotator{log: log, maxFiles: 5}
	var all []string
	for i := 0; i < 7; i++ {
		for j := 0; j < 3; j++ {
			line := fmt.Sprintf("line %d.%d\n", i, j)
			all = append(all, line)
			if _, err := log.write([]byte(line)); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.rotate(fmt.Sprintf("%s.20260101-0000%02d", log.path, i)); err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(log.path + "*")
		sort.Strings(files)
		if len(files) > 5 {
			t.Fatalf("rotation %d: %d files: %v", i, len(files), files)
		}
		for k, f := range files[1:] { // files[0] is 0.log
			plain := !strings.HasSuffix(f, ".gz")
			if newest := k == len(files)-2; plain != newest {
				t.Fatalf("rotation %d: %s: only the newest rotated file stays plain: %v", i, f, files)
			}
		}
	}
	files, _ := filepath.Glob(log.path + ".*")
	sort.Strings(files)
	var kept strings.Builder
	for _, f := range files {
		kept.WriteString(read(t, f))
	}
	// 4 rotated files of 3 lines each survive: the last 12 lines.
	if want := strings.Join(all[len(all)-12:], ""); kept.String() != want {
		t.Fatalf("kept:\n%s\nwant:\n%s", kept.String(), want)
	}
	if r.rotations != 7 || r.compressed != 6 || r.removed != 3 {
		t.Fatalf("rotations %d, compressed %d, removed %d", r.rotations, r.compressed, r.removed)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rd io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		rd = zr
	}
	b, err := io.ReadAll(rd)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
