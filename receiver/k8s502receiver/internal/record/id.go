package record

import (
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/container"
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
	var h hash128
	h.init()
	h.writeString(stream(at.Path))
	h.writeByte(0)
	var num [20]byte
	if t, ok := container.ParseTime([]byte(at.Time)); ok {
		// Parsed, so the same instant written by CRI or docker hashes alike.
		h.write(strconv.AppendInt(num[:0], t.UnixNano(), 10))
	} else {
		h.writeString(at.Path)
		h.writeByte(0)
		h.write(strconv.AppendInt(num[:0], at.Offset, 10))
	}
	h.writeByte(0)
	h.writeString(msg)
	return h.hex()
}

// hash128 is two FNV-1a 64 hashes with different offset bases: 128 bits
// without the allocations of hash.Hash and []byte(string) conversions.
type hash128 struct{ a, b uint64 }

const (
	fnvPrime  = 1099511628211
	fnvOffset = 14695981039346656037
	fnvOther  = 0x9ae16a3b2f90404f // a second basis: any odd 64-bit constant
)

func (h *hash128) init() { h.a, h.b = fnvOffset, fnvOther }

func (h *hash128) writeByte(c byte) {
	h.a = (h.a ^ uint64(c)) * fnvPrime
	h.b = (h.b ^ uint64(c)) * fnvPrime
}

func (h *hash128) writeString(s string) {
	for i := 0; i < len(s); i++ {
		h.writeByte(s[i])
	}
}

func (h *hash128) write(p []byte) {
	for _, c := range p {
		h.writeByte(c)
	}
}

func (h *hash128) hex() string {
	var sum [16]byte
	for i := range 8 {
		sum[i] = byte(h.a >> (56 - 8*i))
		sum[8+i] = byte(h.b >> (56 - 8*i))
	}
	return hex.EncodeToString(sum[:])
}

// stream names a file's log stream by its two parent directories
// ("<ns>_<pod>_<uid>/<container>" under /var/log/pods): the same whatever
// the node's mount point, and whatever the file is called after rotation.
// The paths come clean from fileconsumer's glob, so slicing at '/' is
// enough; it allocates nothing and needs no cache.
func stream(path string) string {
	dir := path[:max(strings.LastIndexByte(path, '/'), 0)]
	i := strings.LastIndexByte(dir, '/')
	if i < 0 {
		return dir
	}
	return dir[strings.LastIndexByte(dir[:i], '/')+1:]
}
