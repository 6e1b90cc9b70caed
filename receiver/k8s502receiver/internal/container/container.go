// Package container removes the container runtime's framing from a log line:
// the kubelet CRI format written by containerd/CRI-O, Docker's json-file
// format, or no framing at all. It works on byte slices and allocates only
// when a Docker message carries JSON escapes.
package container

import (
	"bytes"
	"errors"
	"fmt"
)

// Format is a container log framing.
type Format uint8

const (
	Auto   Format = iota // detect per line
	CRI                  // <RFC3339Nano> <stream> <P|F> <message>
	Docker               // {"log":"…","stream":"…","time":"…"}
	Plain                // the application's own output
)

// ParseFormat maps a config value to a Format.
func ParseFormat(s string) (Format, error) {
	switch s {
	case "", "auto":
		return Auto, nil
	case "cri", "containerd", "crio":
		return CRI, nil
	case "docker", "json-file":
		return Docker, nil
	case "plain", "none":
		return Plain, nil
	}
	return Auto, fmt.Errorf("unknown wrapper %q (want auto, cri, docker or plain)", s)
}

func (f Format) String() string {
	switch f {
	case CRI:
		return "cri"
	case Docker:
		return "docker"
	case Plain:
		return "plain"
	}
	return "auto"
}

// Stream is the standard stream a line was written to.
type Stream uint8

const (
	StreamUnknown Stream = iota
	Stdout
	Stderr
)

// Line is one unwrapped record. Msg and Time alias the input or the scratch
// buffer passed to Unwrap; copy them before the next call.
type Line struct {
	Msg     []byte
	Time    []byte // the runtime's RFC3339Nano timestamp, nil for plain lines
	Format  Format // the framing actually found
	Stream  Stream
	Partial bool // the runtime split a long line; more of it follows
}

var (
	errNotCRI    = errors.New("not a CRI log line")
	errNotDocker = errors.New("not a docker json-file line")
)

// Unwrap removes the framing from line. With Auto, a line that looks like
// neither CRI nor Docker is returned as Plain. scratch is reused for Docker
// messages that need unescaping; the (possibly grown) buffer is returned.
func Unwrap(f Format, line, scratch []byte) (Line, []byte, error) {
	switch f {
	case CRI:
		l, err := unwrapCRI(line)
		return l, scratch, err
	case Docker:
		return unwrapDocker(line, scratch)
	case Plain:
		return Line{Msg: line, Format: Plain}, scratch, nil
	}
	if len(line) > 1 && line[0] == '{' && line[1] == '"' {
		if l, s, err := unwrapDocker(line, scratch); err == nil {
			return l, s, nil
		}
	} else if looksLikeCRITime(line) {
		if l, err := unwrapCRI(line); err == nil {
			return l, scratch, nil
		}
	}
	return Line{Msg: line, Format: Plain}, scratch, nil
}

func looksLikeCRITime(b []byte) bool {
	return len(b) > 20 && b[4] == '-' && b[7] == '-' && b[10] == 'T' && isDigit(b[0])
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func unwrapCRI(line []byte) (Line, error) {
	sp := bytes.IndexByte(line, ' ')
	if sp < 20 || !looksLikeCRITime(line) {
		return Line{}, errNotCRI
	}
	l := Line{Time: line[:sp], Format: CRI}
	rest := line[sp+1:]
	switch {
	case bytes.HasPrefix(rest, []byte("stdout ")):
		l.Stream = Stdout
	case bytes.HasPrefix(rest, []byte("stderr ")):
		l.Stream = Stderr
	default:
		return Line{}, errNotCRI
	}
	rest = rest[7:]
	// The tag field is "P" or "F", possibly followed by ":"-separated extra
	// tags; the plain one-letter tag is checked first.
	if len(rest) >= 2 && (rest[0] == 'F' || rest[0] == 'P') && rest[1] == ' ' {
		return Line{Time: l.Time, Format: CRI, Stream: l.Stream, Partial: rest[0] == 'P', Msg: rest[2:]}, nil
	}
	end := bytes.IndexByte(rest, ' ')
	tag := rest
	if end >= 0 {
		tag = rest[:end]
		rest = rest[end+1:]
	} else {
		rest = nil
	}
	if len(tag) == 0 || (tag[0] != 'P' && tag[0] != 'F') || (len(tag) > 1 && tag[1] != ':') {
		return Line{}, errNotCRI
	}
	l.Partial = tag[0] == 'P'
	l.Msg = rest
	return l, nil
}
