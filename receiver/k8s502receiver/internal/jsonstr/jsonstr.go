// Package jsonstr decodes the escapes of a JSON string body. Both Docker's
// json-file wrapper and nginx's escape=json need it on their hot paths, where
// encoding/json's reflection and allocations would dominate.
package jsonstr

import (
	"unicode/utf16"
	"unicode/utf8"
)

// AppendUnescaped appends src with its JSON escapes decoded. An invalid
// escape is kept verbatim rather than rejected: a log line is still worth
// reading when one byte of it is odd.
func AppendUnescaped(dst, src []byte) []byte {
	for i := 0; i < len(src); {
		c := src[i]
		if c != '\\' || i+1 >= len(src) {
			dst = append(dst, c)
			i++
			continue
		}
		switch e := src[i+1]; e {
		case '"', '\\', '/':
			dst = append(dst, e)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, n := decodeU(src[i:])
			if n == 0 {
				dst = append(dst, c, e)
				break
			}
			dst = utf8.AppendRune(dst, r)
			i += n
			continue
		default:
			dst = append(dst, c, e)
		}
		i += 2
	}
	return dst
}

// decodeU decodes \uXXXX, joining a UTF-16 surrogate pair when one follows.
func decodeU(b []byte) (rune, int) {
	r, ok := hex4(b)
	if !ok {
		return 0, 0
	}
	if utf16.IsSurrogate(r) {
		if r2, ok := hex4(b[6:]); ok {
			if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
				return d, 12
			}
		}
		return utf8.RuneError, 6
	}
	return r, 6
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range b[2:6] {
		v, ok := Unhex(c)
		if !ok {
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}

// Unhex decodes one hexadecimal digit.
func Unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
