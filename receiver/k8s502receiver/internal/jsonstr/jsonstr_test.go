package jsonstr

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestAppendUnescaped(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "no escapes", in: "plain text", want: "plain text"},
		{name: "simple escapes", in: `\"\\\/\b\f\n\r\t`, want: "\"\\/\b\f\n\r\t"},
		{name: "moby html escapes", in: `\u003cb\u003e \u0026`, want: "<b> &"},
		{name: "two-byte rune", in: `caf\u00e9`, want: "café"},
		{name: "upper-case hex", in: `caf\u00E9`, want: "café"},
		{name: "surrogate pair", in: `\ud83d\ude00!`, want: "😀!"},
		{name: "lone high surrogate", in: `\ud83dx`, want: "\uFFFDx"},
		{name: "lone low surrogate", in: `\ude00`, want: "\uFFFD"},
		{name: "high then non-surrogate escape", in: `\ud83d\u0041`, want: "\uFFFDA"},
		{name: "two high surrogates", in: `\ud83d\ud83d\ude00`, want: "\uFFFD😀"},
		{name: "raw utf-8 kept", in: "é✓", want: "é✓"},
		{name: "unknown escape kept", in: `\q`, want: `\q`},
		{name: "short \\u kept", in: `\u12`, want: `\u12`},
		{name: "bad hex kept", in: `\u12g4`, want: `\u12g4`},
		{name: "trailing backslash kept", in: `abc\`, want: `abc\`},
		{name: "empty", in: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, string(AppendUnescaped(nil, []byte(tt.in))))
			assert.Equal(t, "pre:"+tt.want, string(AppendUnescaped([]byte("pre:"), []byte(tt.in))), "appends to dst")
		})
	}
}

func TestUnhex(t *testing.T) {
	for c := 0; c < 256; c++ {
		v, ok := Unhex(byte(c))
		switch {
		case c >= '0' && c <= '9':
			assert.True(t, ok)
			assert.Equal(t, byte(c-'0'), v)
		case c >= 'a' && c <= 'f':
			assert.True(t, ok)
			assert.Equal(t, byte(c-'a'+10), v)
		case c >= 'A' && c <= 'F':
			assert.True(t, ok)
			assert.Equal(t, byte(c-'A'+10), v)
		default:
			assert.False(t, ok, "%q", c)
		}
	}
}

func TestAppendUnescapedNoAllocWithRoom(t *testing.T) {
	src := []byte(`a\u0026b\n`)
	dst := make([]byte, 0, 64)
	n := testing.AllocsPerRun(100, func() { dst = AppendUnescaped(dst[:0], src) })
	assert.Zero(t, n)
}
