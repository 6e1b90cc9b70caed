// Package podpath reads a container's identity from where the kubelet (or
// Docker) keeps its log file. The path is the only identity a DaemonSet
// tailing the node's files has without asking the API server.
package podpath

import (
	"path/filepath"
	"strings"
)

// Identity is what a log file's path says about its container.
type Identity struct {
	Namespace, Pod, UID, Container string
	ContainerID                    string // docker json-file layout only
	// Key identifies the log stream for the join: the pod directory, or
	// the file's directory for files outside the kubelet's layout.
	Key string
}

// Parse reads .../<namespace>_<pod>_<uid>/<container>/<n>.log[.rotated]
// (mounted anywhere, so only the tail of the path is used) and
// .../containers/<id>/<id>-json.log.
func Parse(path string) Identity {
	dir := filepath.Dir(path)
	id := Identity{Key: dir}
	container := filepath.Base(dir)
	podDir := filepath.Dir(dir)
	if parts := strings.Split(filepath.Base(podDir), "_"); len(parts) == 3 && parts[0] != "" && parts[1] != "" && parts[2] != "" {
		// Namespace and pod names are DNS labels/subdomains: no '_', so the
		// split is exact.
		id.Namespace, id.Pod, id.UID, id.Container = parts[0], parts[1], parts[2], container
		id.Key = podDir
		return id
	}
	base := filepath.Base(path)
	if strings.HasSuffix(base, "-json.log") && strings.TrimSuffix(base, "-json.log") == container {
		id.ContainerID = container
	}
	return id
}
