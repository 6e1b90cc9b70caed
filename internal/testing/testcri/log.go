package testcri

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Container says whose log a Log is and where the node keeps it. A harness
// holds one in its Config and fills in its controller's names.
type Container struct {
	// Root stands for the node's /: var/log/pods (and var/lib/docker) are
	// created under it.
	Root      string
	Namespace string
	Pod       string
	// PodUID "" makes Create pick a random one; a harness that may call
	// Create again (a retried start) fixes it first with RandomUUID.
	PodUID string
	// Name is the container's name.
	Name string
	// DockerJSON also writes both streams as a docker json-file.
	DockerJSON bool
}

// Log is the container runtime's side of one container's log: every
// stream copied into it lands in one containerd CRI file (and, optionally,
// a docker json-file).
type Log struct {
	// Path is <Root>/var/log/pods/<ns>_<pod>_<uid>/<name>/0.log, the path
	// the kubelet gives a container's first log file.
	Path string
	// DockerPath is <Root>/var/lib/docker/containers/<id>/<id>-json.log, ""
	// unless Container.DockerJSON.
	DockerPath string
	sink       *logSink
}

// Create creates (truncating) the CRI file of c, and its docker json-file
// if asked for.
func Create(c Container) (*Log, error) {
	if c.Root == "" || c.Namespace == "" || c.Pod == "" || c.Name == "" {
		return nil, errors.New("testcri: Container needs Root, Namespace, Pod and Name")
	}
	if c.PodUID == "" {
		c.PodUID = RandomUUID()
	}
	dir := filepath.Join(c.Root, "var", "log", "pods", c.Namespace+"_"+c.Pod+"_"+c.PodUID, c.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	l := &Log{Path: filepath.Join(dir, "0.log"), sink: &logSink{}}
	var err error
	if l.sink.cri, err = os.OpenFile(l.Path, flags, 0o640); err != nil {
		return nil, err
	}
	if c.DockerJSON {
		id := randomHex(32)
		dir := filepath.Join(c.Root, "var", "lib", "docker", "containers", id)
		l.DockerPath = filepath.Join(dir, id+"-json.log")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			_ = l.sink.cri.Close()
			return nil, err
		}
		if l.sink.docker, err = os.OpenFile(l.DockerPath, flags, 0o640); err != nil {
			_ = l.sink.cri.Close()
			return nil, err
		}
	}
	return l, nil
}

// Copy reads stream ("stdout" or "stderr") from r until EOF and writes each
// line as CRI records the moment it is read. Run one Copy per stream.
func (l *Log) Copy(stream string, r io.Reader) { l.sink.copyStream(stream, r) }

// Close closes the files; call it after every Copy has returned.
func (l *Log) Close() { l.sink.close() }

func randomHex(nbytes int) string {
	b := make([]byte, nbytes)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}

// RandomUUID is a version 4, RFC 4122 variant UUID, like a real pod UID.
func RandomUUID() string {
	h := randomHex(16)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}

// WithDefaults fills c's empty fields from d (DockerJSON stays c's).
func (c Container) WithDefaults(d Container) Container {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.Root, d.Root)
	def(&c.Namespace, d.Namespace)
	def(&c.Pod, d.Pod)
	def(&c.PodUID, d.PodUID)
	def(&c.Name, d.Name)
	return c
}
