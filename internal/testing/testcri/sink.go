// Package testcri plays the container runtime for tests: it records a
// process's stdout and stderr into a kubelet CRI log file the way containerd
// writes it (lines longer than MaxLine split into P chunks, one record at a
// time across both streams), optionally also as a docker json-file, and
// reads such files back.
package testcri

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
	"unicode/utf8"
)

// MaxLine is containerd's default max_container_log_line_size; the kubelet
// log files our product tails are split at exactly this many bytes.
const MaxLine = 16384

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

// writeLine emits a line as CRI records: full MaxLine-sized P chunks and a
// final F. A line cut off by EOF (no newline) ends in P, as in containerd.
func (s *logSink) writeLine(stream string, line []byte, complete bool) {
	chunks := splitLine(line)
	for i, c := range chunks {
		last := i == len(chunks)-1
		s.writeRecord(stream, c, !(last && complete))
	}
}

// splitLine cuts a line the way containerd does: a chunk is only cut off
// once the line is longer than the limit, so a line of exactly MaxLine
// bytes stays one F record and the final chunk is never empty (unless the
// whole line is).
func splitLine(line []byte) [][]byte {
	if len(line) == 0 {
		return [][]byte{line}
	}
	var out [][]byte
	for len(line) > MaxLine {
		out = append(out, line[:MaxLine])
		line = line[MaxLine:]
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
