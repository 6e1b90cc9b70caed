package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// layOut copies the log into dst as kubelet lays pod logs out, so the
// receiver reads it as on a node and names the controller pod: a folder is
// copied as it is; a single file becomes <ns>_<pod>_replay/controller/0.log.
// It returns how many lines the collector has to read.
func layOut(src, dst, pod string) (int, error) {
	fi, err := os.Stat(src)
	if err != nil {
		return 0, err
	}
	if fi.IsDir() {
		return copyTree(src, dst)
	}
	ns, name, ok := strings.Cut(pod, "/")
	if !ok || ns == "" || name == "" {
		return 0, fmt.Errorf("-pod %q: want namespace/name", pod)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return 0, err
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		data = append(data, '\n')
	}
	dir := filepath.Join(dst, ns+"_"+name+"_replay", "controller")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	return bytes.Count(data, []byte("\n")), os.WriteFile(filepath.Join(dir, "0.log"), data, 0o644)
}

// copyTree copies a log tree so replays never touch the original files, and
// counts the lines the collector has to read.
func copyTree(src, dst string) (int, error) {
	lines := 0
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		lines += bytes.Count(data, []byte("\n"))
		return os.WriteFile(target, data, 0o644)
	})
	return lines, err
}
