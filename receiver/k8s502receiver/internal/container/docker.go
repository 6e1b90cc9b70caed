package container

import (
	"bytes"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/jsonstr"
)

// unwrapDocker reads a json-file record. The writer emits the keys log,
// stream, time (and optionally attrs) but the reader accepts any order, since
// other log drivers and tools rewrite these files.
func unwrapDocker(line, scratch []byte) (Line, []byte, error) {
	line = bytes.TrimRight(line, "\r\n ")
	if len(line) < 2 || line[0] != '{' || line[len(line)-1] != '}' {
		return Line{}, scratch, errNotDocker
	}
	l := Line{Format: Docker}
	var haveLog bool
	i := 1
	for {
		i = skipSpace(line, i)
		if i >= len(line)-1 {
			break
		}
		if line[i] == ',' {
			i++
			continue
		}
		key, next, _, ok := scanString(line, i)
		if !ok {
			return Line{}, scratch, errNotDocker
		}
		i = skipSpace(line, next)
		if i >= len(line) || line[i] != ':' {
			return Line{}, scratch, errNotDocker
		}
		i = skipSpace(line, i+1)
		if i >= len(line) {
			return Line{}, scratch, errNotDocker
		}
		if line[i] != '"' {
			// A non-string value (attrs object, number): skip it.
			end, ok := skipValue(line, i)
			if !ok {
				return Line{}, scratch, errNotDocker
			}
			i = end
			continue
		}
		val, end, escaped, ok := scanString(line, i)
		if !ok {
			return Line{}, scratch, errNotDocker
		}
		i = end
		switch string(key) {
		case "log":
			haveLog = true
			// json-file ends every complete message with an escaped "\n"; a
			// 16 KiB partial has none. Checking the raw bytes keeps the
			// common line (no other escape) free of copies.
			complete := endsWithEscapedNewline(val)
			if complete {
				val = val[:len(val)-2]
				escaped = bytes.IndexByte(val, '\\') >= 0
			}
			if escaped {
				start := len(scratch)
				scratch = jsonstr.AppendUnescaped(scratch, val)
				val = scratch[start:]
			}
			l.Msg = val
			l.Partial = !complete
		case "stream":
			switch string(val) {
			case "stdout":
				l.Stream = Stdout
			case "stderr":
				l.Stream = Stderr
			}
		case "time":
			l.Time = val
		}
	}
	if !haveLog {
		return Line{}, scratch, errNotDocker
	}
	if n := len(l.Msg); !l.Partial && n > 0 && l.Msg[n-1] == '\r' {
		l.Msg = l.Msg[:n-1]
	}
	return l, scratch, nil
}

// endsWithEscapedNewline reports whether a raw JSON string body ends in the
// escape sequence \n (and not in an escaped backslash followed by 'n').
func endsWithEscapedNewline(raw []byte) bool {
	n := len(raw)
	if n < 2 || raw[n-1] != 'n' || raw[n-2] != '\\' {
		return false
	}
	slashes := 0
	for i := n - 2; i >= 0 && raw[i] == '\\'; i-- {
		slashes++
	}
	return slashes%2 == 1
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return i
}

// scanString reads the JSON string starting at b[i] == '"'. It returns the
// raw contents (escapes not decoded), the index after the closing quote, and
// whether any escape was seen.
func scanString(b []byte, i int) (val []byte, next int, escaped, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, i, false, false
	}
	start := i + 1
	for j := start; j < len(b); {
		k := bytes.IndexAny(b[j:], "\"\\")
		if k < 0 {
			return nil, i, false, false
		}
		j += k
		if b[j] == '"' {
			return b[start:j], j + 1, escaped, true
		}
		escaped = true
		j += 2
	}
	return nil, i, false, false
}

// skipValue skips a JSON number, literal, object or array starting at b[i].
func skipValue(b []byte, i int) (int, bool) {
	depth := 0
	for i < len(b) {
		switch c := b[i]; c {
		case '"':
			_, next, _, ok := scanString(b, i)
			if !ok {
				return i, false
			}
			i = next
			if depth == 0 {
				return i, true
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i, true
			}
			depth--
			if depth == 0 {
				return i + 1, true
			}
		case ',':
			if depth == 0 {
				return i, true
			}
		}
		i++
	}
	return i, depth == 0
}
