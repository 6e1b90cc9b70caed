package traefik

import "bytes"

// Traefik's JSON lines are flat objects (logrus/zerolog output); only the
// startup "Configuration received" line nests. encoding/json would allocate
// a map per line, and the parser only needs a dozen members of a few lines,
// so members are walked in place and values left escaped until used.

// member is one "key":value of an object. val excludes the quotes of a
// string; str says it was one.
type member struct {
	key, val []byte
	str      bool
}

// walkObject calls fn for each top-level member of the object b. It
// reports false (and may have called fn for a prefix) when b is not a
// well-formed object; bytes after the closing brace are ignored.
func walkObject(b []byte, fn func(m member)) bool {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return true
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return false
		}
		ks, ke, next, ok := scanString(b, i)
		if !ok {
			return false
		}
		i = skipSpace(b, next)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipSpace(b, i+1)
		if i >= len(b) {
			return false
		}
		m := member{key: b[ks:ke]}
		switch b[i] {
		case '"':
			vs, ve, n, ok := scanString(b, i)
			if !ok {
				return false
			}
			m.val, m.str, i = b[vs:ve], true, n
		case '{', '[':
			n, ok := skipNested(b, i)
			if !ok {
				return false
			}
			m.val, i = b[i:n], n
		default:
			j := i
			for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ' ' && b[j] != '\t' {
				j++
			}
			if j == i {
				return false
			}
			m.val, i = b[i:j], j
		}
		fn(m)
		i = skipSpace(b, i)
		if i >= len(b) {
			return false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return true
		default:
			return false
		}
	}
}

// scanString reads the string whose opening quote is at b[i]: its content
// is b[start:end] and next is the index after the closing quote.
func scanString(b []byte, i int) (start, end, next int, ok bool) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return i + 1, j, j + 1, true
		}
	}
	return 0, 0, 0, false
}

// skipNested skips the object or array that opens at b[i].
func skipNested(b []byte, i int) (int, bool) {
	depth := 0
	for j := i; j < len(b); j++ {
		switch b[j] {
		case '"':
			_, _, n, ok := scanString(b, j)
			if !ok {
				return 0, false
			}
			j = n - 1
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return j + 1, true
			}
		}
	}
	return 0, false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// numberAfter reads the integer value of the first "key": in b without
// walking the object: the hot path's look at DownstreamStatus. A quoted
// key cannot occur inside a JSON string (its quotes would be escaped), so
// the first match is the member.
func numberAfter(b, key []byte) (int64, bool) {
	i := bytes.Index(b, key)
	if i < 0 {
		return 0, false
	}
	i = skipSpace(b, i+len(key))
	j := i
	for j < len(b) && isDigit(b[j]) {
		j++
	}
	return atoi(b[i:j])
}
