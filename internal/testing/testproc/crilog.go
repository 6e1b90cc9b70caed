package testproc

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// MaxCRILine is containerd's default max_container_log_line_size; the kubelet
// log files our product tails are split at exactly this many bytes.
const MaxCRILine = 16384

// logSink plays the container runtime: it owns the CRI file (and optionally a
// docker json-file) that both of a proxy's streams are written into. One mutex
// per record, not per line, so a record of the other stream can land between
// the P and F chunks of a long line, as it does under containerd.
type logSink struct {
	mu     sync.Mutex
	cri    *os.File
	docker *os.File
}

// copyStream reads one stream until EOF and writes each line the
// moment it is read.
func (s *logSink) copyStream(stream string, r io.Reader) {
	br := bufio.NewReaderSize(r, 64*1024)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			complete := line[len(line)-1] == '\n'
			if complete {
				line = line[:len(line)-1]
				// containerd drops the CR of a CRLF ending too.
				line = bytes.TrimSuffix(line, []byte{'\r'})
			}
			s.writeLine(stream, line, complete)
		}
		if err != nil {
			return
		}
	}
}

// writeLine emits a line as CRI records: full MaxCRILine-sized P chunks and a
// final F. A line cut off by EOF (no newline) ends in P, as in containerd.
func (s *logSink) writeLine(stream string, line []byte, complete bool) {
	chunks := splitLine(line)
	for i, c := range chunks {
		last := i == len(chunks)-1
		s.writeRecord(stream, c, !(last && complete))
	}
}

// splitLine cuts a line the way containerd does: a chunk is only cut off
// once the line is longer than the limit, so a line of exactly MaxCRILine
// bytes stays one F record and the final chunk is never empty (unless the
// whole line is).
func splitLine(line []byte) [][]byte {
	if len(line) == 0 {
		return [][]byte{line}
	}
	var out [][]byte
	for len(line) > MaxCRILine {
		out = append(out, line[:MaxCRILine])
		line = line[MaxCRILine:]
	}
	return append(out, line)
}

func (s *logSink) writeRecord(stream string, msg []byte, partial bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now().UTC()
	tag := "F"
	if partial {
		tag = "P"
	}
	var b bytes.Buffer
	b.WriteString(now.Format(time.RFC3339Nano))
	b.WriteString(" " + stream + " " + tag + " ")
	b.Write(msg)
	b.WriteByte('\n')
	// Write errors are ignored on purpose: like the runtime, keep draining
	// the pipe so the proxy never blocks on a full pipe.
	_, _ = s.cri.Write(b.Bytes())
	if s.docker == nil {
		return
	}
	b.Reset()
	b.WriteString(`{"log":`)
	body := msg
	if !partial {
		body = append(append([]byte(nil), msg...), '\n')
	}
	writeMobyString(&b, body)
	b.WriteString(`,"stream":"` + stream + `","time":"` + now.Format(time.RFC3339Nano) + "\"}\n")
	_, _ = s.docker.Write(b.Bytes())
}

// writeMobyString JSON-quotes s with moby's json-file escaping, which differs
// from encoding/json: HTML characters are \u-escaped and tab becomes \u0009.
func writeMobyString(b *bytes.Buffer, s []byte) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for len(s) > 0 {
		r, size := utf8.DecodeRune(s)
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\ufffd`)
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteByte(byte(r))
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == '<' || r == '>' || r == '&':
			b.WriteString(`\u00`)
			b.WriteByte(hex[r>>4])
			b.WriteByte(hex[r&0xf])
		case r == '\u2028' || r == '\u2029':
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			b.Write(s[:size])
		}
		s = s[size:]
	}
	b.WriteByte('"')
}

func (s *logSink) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	_ = s.cri.Close()
	if s.docker != nil {
		_ = s.docker.Close()
	}
}

// CRILog is the container runtime's side of one container's log: every
// stream copied into it lands in one containerd CRI file (and, optionally,
// a docker json-file).
type CRILog struct {
	// Path is <root>/var/log/pods/<ns>_<pod>_<uid>/<container>/0.log, the
	// path the kubelet gives a container's first log file.
	Path string
	// DockerPath is <root>/var/lib/docker/containers/<id>/<id>-json.log, ""
	// unless asked for.
	DockerPath string
	sink       *logSink
}

// CreateCRILog creates (truncating) the CRI file of a container, and with
// dockerJSON its docker json-file too; uid "" makes a random pod UID.
func CreateCRILog(root, namespace, pod, uid, container string, dockerJSON bool) (*CRILog, error) {
	if uid == "" {
		uid = RandomUUID()
	}
	dir := filepath.Join(root, "var", "log", "pods", namespace+"_"+pod+"_"+uid, container)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	l := &CRILog{Path: filepath.Join(dir, "0.log"), sink: &logSink{}}
	var err error
	if l.sink.cri, err = os.OpenFile(l.Path, flags, 0o640); err != nil {
		return nil, err
	}
	if dockerJSON {
		id := randomHex(32)
		dir := filepath.Join(root, "var", "lib", "docker", "containers", id)
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
func (l *CRILog) Copy(stream string, r io.Reader) { l.sink.copyStream(stream, r) }

// Close closes the files; call it after every Copy has returned.
func (l *CRILog) Close() { l.sink.close() }

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

// Record is one line of a CRI log file.
type Record struct {
	Time    time.Time
	Stream  string // "stdout" or "stderr"
	Partial bool   // tag P
	Msg     string
}

// ReadCRI parses a CRI log file written by the harness (or any runtime).
func ReadCRI(path string) ([]Record, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var recs []Record
	for i, line := range strings.SplitAfter(string(data), "\n") {
		if line == "" {
			continue
		}
		if !strings.HasSuffix(line, "\n") {
			// A record still being written; the caller will poll again.
			break
		}
		parts := strings.SplitN(strings.TrimSuffix(line, "\n"), " ", 4)
		if len(parts) != 4 || (parts[2] != "P" && parts[2] != "F") {
			return nil, fmt.Errorf("%s:%d: not a CRI record: %.80q", path, i+1, line)
		}
		ts, err := time.Parse(time.RFC3339Nano, parts[0])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, i+1, err)
		}
		recs = append(recs, Record{Time: ts, Stream: parts[1], Partial: parts[2] == "P", Msg: parts[3]})
	}
	return recs, nil
}

// Lines joins the P chunks of one stream with their F record and returns the
// stream's complete lines in order; a trailing unfinished line is left out.
func Lines(recs []Record, stream string) []string {
	var out []string
	var cur strings.Builder
	for _, r := range recs {
		if r.Stream != stream {
			continue
		}
		cur.WriteString(r.Msg)
		if !r.Partial {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	return out
}
