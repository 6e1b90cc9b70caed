package testcri

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestCreatePutsTheFilesWhereTheKubeletAndDockerDo(t *testing.T) {
	root := t.TempDir()
	c := Container{Root: root, Namespace: "ns", Pod: "pod-1", PodUID: "uid-1", Name: "ctr", DockerJSON: true}
	l, err := Create(c)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if want := filepath.Join(root, "var/log/pods/ns_pod-1_uid-1/ctr/0.log"); l.Path != want {
		t.Errorf("Path %s, want %s", l.Path, want)
	}
	dir, file := filepath.Split(l.DockerPath)
	id := filepath.Base(dir)
	if !strings.HasPrefix(l.DockerPath, filepath.Join(root, "var/lib/docker/containers")) || len(id) != 64 || file != id+"-json.log" {
		t.Errorf("DockerPath %s", l.DockerPath)
	}
	if _, err := Create(Container{Root: root, Namespace: "ns", Pod: "pod-1"}); err == nil {
		t.Error("Create without a container name: no error")
	}
}

func TestWithDefaultsKeepsWhatIsSet(t *testing.T) {
	got := Container{Pod: "mine", DockerJSON: true}.WithDefaults(Container{Root: "/r", Namespace: "ns", Pod: "theirs", Name: "ctr"})
	if want := (Container{Root: "/r", Namespace: "ns", Pod: "mine", Name: "ctr", DockerJSON: true}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
