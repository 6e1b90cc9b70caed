package envoy

import (
	"bytes"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/jsonstr"
)

// span locates one field's value in the line, so lines that are dropped
// cost no copies.
type span struct {
	lo, hi int32
	set    bool
	esc    bool // a JSON string with escapes
}

// values are one line's fields.
type values [numFields]span

// setText records a text field. The status and the start time are checked
// here because they are what tells two formats (or an access line and
// Envoy's own log) apart.
func (v *values) setText(f field, line []byte, lo, hi int) bool {
	b := line[lo:hi]
	switch f {
	case fStatus:
		if _, ok := event.ParseStatus(b); !ok {
			return false
		}
	case fStartTime:
		if bytes.IndexByte(b, '[') >= 0 || bytes.IndexByte(b, ']') >= 0 {
			return false
		}
	}
	v[f] = span{lo: int32(lo), hi: int32(hi), set: true}
	return true
}

// raw returns the value as logged, nil for Envoy's "-" and JSON null.
func (v *values) raw(line []byte, f field) []byte {
	s := v[f]
	if !s.set {
		return nil
	}
	b := line[s.lo:s.hi]
	if len(b) == 1 && b[0] == '-' {
		return nil
	}
	return b
}

// str returns the value as a string, JSON escapes decoded.
func (v *values) str(line []byte, f field, scratch *[]byte) string {
	b := v.raw(line, f)
	if b == nil {
		return ""
	}
	if v[f].esc {
		*scratch = jsonstr.AppendUnescaped((*scratch)[:0], b)
		b = *scratch
	}
	return string(b)
}

// atoi64 reads a non-negative count; -1 when absent or not a number.
func atoi64(b []byte) int64 {
	if len(b) == 0 || len(b) > 18 {
		return -1
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int64(c-'0')
	}
	return n
}
