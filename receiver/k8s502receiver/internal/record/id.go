package record

import (
	"encoding/hex"
	"hash/fnv"
	"path/filepath"
	"strconv"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/container"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/join"
)

// ID is a record's deterministic identity (k8s502.record.id): the same line
// read again, after a crash or from a rotated file under another name, gives
// the same ID, so repeats can be dropped by it at every hop and in the
// backend.
//
// It hashes the log stream (pod and container), the container runtime's
// nanosecond timestamp and the line's bytes: runtimes stamp every line, so
// two identical requests in the same second still differ, and the hash does
// not depend on the file's name, which rotation changes. Plain files carry no
// runtime timestamp; there the file and the byte offset take its place.
func ID(r *join.Request) string {
	at, msg := r.Line, r.AccessRaw
	if r.Access == nil && len(r.Errors) > 0 {
		at, msg = r.Errors[0].Line, r.Errors[0].Raw
	}
	return lineID(at, msg)
}

func lineID(at event.Line, msg string) string {
	h := fnv.New128a()
	h.Write([]byte(stream(at.Path)))
	h.Write([]byte{0})
	if t, ok := container.ParseTime([]byte(at.Time)); ok {
		// Parsed, so the same instant written by CRI or docker hashes alike.
		h.Write(strconv.AppendInt(nil, t.UnixNano(), 10))
	} else {
		h.Write([]byte(at.Path))
		h.Write([]byte{0})
		h.Write(strconv.AppendInt(nil, at.Offset, 10))
	}
	h.Write([]byte{0})
	h.Write([]byte(msg))
	var sum [16]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}

// stream names a file's log stream by its two parent directories
// ("<ns>_<pod>_<uid>/<container>" under /var/log/pods): the same whatever
// the node's mount point, and whatever the file is called after rotation.
func stream(path string) string {
	dir := filepath.Dir(path)
	return filepath.Join(filepath.Base(filepath.Dir(dir)), filepath.Base(dir))
}
