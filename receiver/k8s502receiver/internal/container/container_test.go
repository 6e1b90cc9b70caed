package container

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const ts = "2026-11-25T08:46:50.978763584Z"

func TestUnwrapCRI(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		msg     string
		stream  Stream
		partial bool
		wantErr bool
	}{
		{name: "full stdout", line: ts + " stdout F hello world", msg: "hello world", stream: Stdout},
		{name: "partial stderr", line: ts + " stderr P chunk ", msg: "chunk ", stream: Stderr, partial: true},
		{name: "extra tags", line: ts + " stdout F:x:y tagged", msg: "tagged", stream: Stdout},
		{name: "partial with tags", line: ts + " stdout P:x chunk", msg: "chunk", stream: Stdout, partial: true},
		{name: "empty message", line: ts + " stdout F ", msg: "", stream: Stdout},
		{name: "no message field", line: ts + " stdout F", msg: "", stream: Stdout},
		{name: "message keeps inner spaces", line: ts + " stdout F  two  spaces ", msg: " two  spaces ", stream: Stdout},
		{name: "unknown stream", line: ts + " stdmid F x", wantErr: true},
		{name: "bad tag", line: ts + " stdout X x", wantErr: true},
		{name: "tag without colon", line: ts + " stdout FX x", wantErr: true},
		{name: "empty tag", line: ts + " stdout  x", wantErr: true},
		{name: "short time", line: "2026-11-25T08 stdout F x", wantErr: true},
		{name: "not a time", line: "hello world, this is not CRI at all", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, _, err := Unwrap(CRI, []byte(tt.line), nil)
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.msg, string(l.Msg))
			assert.Equal(t, ts, string(l.Time))
			assert.Equal(t, tt.stream, l.Stream)
			assert.Equal(t, tt.partial, l.Partial)
			assert.Equal(t, CRI, l.Format)
		})
	}
}

func TestUnwrapDocker(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		msg     string
		stream  Stream
		time    string
		partial bool
		wantErr bool
	}{
		{name: "plain", line: `{"log":"hello\n","stream":"stdout","time":"` + ts + `"}`, msg: "hello", stream: Stdout, time: ts},
		{name: "trailing newline of file", line: `{"log":"hello\n","stream":"stderr","time":"` + ts + `"}` + "\n", msg: "hello", stream: Stderr, time: ts},
		{name: "moby escapes", line: `{"log":"a \u003cb\u003e \u0026 \"q\" \\ /\n","stream":"stdout","time":"t"}`, msg: `a <b> & "q" \ /`, stream: Stdout, time: "t"},
		{name: "unicode", line: `{"log":"caf\u00e9 ✓\n","stream":"stdout","time":"t"}`, msg: "café ✓", stream: Stdout, time: "t"},
		{name: "surrogate pair", line: `{"log":"\ud83d\ude00\n","stream":"stdout","time":"t"}`, msg: "😀", stream: Stdout, time: "t"},
		{name: "lone surrogate", line: `{"log":"\ud83dx\n","stream":"stdout","time":"t"}`, msg: "\uFFFDx", stream: Stdout, time: "t"},
		{name: "escaped backslash before n", line: `{"log":"a\\n","stream":"stdout","time":"t"}`, msg: `a\n`, stream: Stdout, time: "t", partial: true},
		{name: "backslash then newline", line: `{"log":"a\\\n","stream":"stdout","time":"t"}`, msg: `a\`, stream: Stdout, time: "t"},
		{name: "partial without newline", line: `{"log":"16 KiB chunk","stream":"stdout","time":"t"}`, msg: "16 KiB chunk", stream: Stdout, time: "t", partial: true},
		{name: "CRLF", line: `{"log":"dos\r\n","stream":"stdout","time":"t"}`, msg: "dos", stream: Stdout, time: "t"},
		{name: "other key order", line: `{"time":"t","stream":"stderr","log":"x\n"}`, msg: "x", stream: Stderr, time: "t"},
		{name: "spaces", line: `{ "log" : "x\n" , "stream" : "stdout" }`, msg: "x", stream: Stdout},
		{name: "attrs object", line: `{"log":"x\n","stream":"stdout","attrs":{"tag":"a,b}","n":[1,{"m":2}]},"time":"t"}`, msg: "x", stream: Stdout, time: "t"},
		{name: "number value", line: `{"log":"x\n","n":12,"stream":"stdout"}`, msg: "x", stream: Stdout},
		{name: "empty log", line: `{"log":"\n","stream":"stdout","time":"t"}`, msg: "", stream: Stdout, time: "t"},
		{name: "no log key", line: `{"msg":"x\n","stream":"stdout"}`, wantErr: true},
		{name: "unterminated string", line: `{"log":"x}`, wantErr: true},
		{name: "no colon", line: `{"log" "x"}`, wantErr: true},
		{name: "not an object", line: `["log","x"]`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, _, err := Unwrap(Docker, []byte(tt.line), nil)
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.msg, string(l.Msg))
			assert.Equal(t, tt.time, string(l.Time))
			assert.Equal(t, tt.stream, l.Stream)
			assert.Equal(t, tt.partial, l.Partial)
			assert.Equal(t, Docker, l.Format)
		})
	}
}

func TestUnwrapScratchReuse(t *testing.T) {
	scratch := make([]byte, 0, 64)
	l, scratch, err := Unwrap(Docker, []byte(`{"log":"a\u0026b\n","stream":"stdout"}`), scratch[:0])
	require.NoError(t, err)
	assert.Equal(t, "a&b", string(l.Msg))
	// The unescaped message lives in scratch; unescaped lines alias the input.
	assert.Equal(t, "a&b", string(scratch))
	in := []byte(`{"log":"plain\n","stream":"stdout"}`)
	l, _, err = Unwrap(Docker, in, scratch[:0])
	require.NoError(t, err)
	assert.Equal(t, "plain", string(l.Msg))
	assert.Same(t, &in[8], &l.Msg[0], "a message without escapes is not copied")
}

func TestUnwrapAuto(t *testing.T) {
	tests := []struct {
		name   string
		line   string
		format Format
		msg    string
	}{
		{name: "cri", line: ts + " stdout F x", format: CRI, msg: "x"},
		{name: "docker", line: `{"log":"x\n","stream":"stdout"}`, format: Docker, msg: "x"},
		{name: "nginx access line", line: `203.0.113.7 - - [25/Nov/2026:08:46:52 +0000] "GET / HTTP/1.1" 200`, format: Plain},
		{name: "nginx error line", line: `2026/11/25 08:47:21 [error] 2007#2007: *1 x`, format: Plain},
		{name: "json that is not docker", line: `{"status":"502","log":7}`, format: Plain},
		{name: "broken docker", line: `{"log":"x`, format: Plain},
		{name: "cri-shaped time, broken rest", line: ts + " stdout Q x", format: Plain},
		{name: "short", line: "{", format: Plain},
		{name: "empty", line: "", format: Plain},
		{name: "binary garbage", line: "\x00\xff{\"\x01 2026-", format: Plain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, _, err := Unwrap(Auto, []byte(tt.line), nil)
			require.NoError(t, err)
			assert.Equal(t, tt.format, l.Format)
			if tt.format == Plain {
				assert.Equal(t, tt.line, string(l.Msg))
				assert.Nil(t, l.Time)
			} else {
				assert.Equal(t, tt.msg, string(l.Msg))
			}
		})
	}
}

func TestUnwrapPlain(t *testing.T) {
	l, _, err := Unwrap(Plain, []byte(ts+" stdout F x"), nil)
	require.NoError(t, err)
	assert.Equal(t, Plain, l.Format)
	assert.Equal(t, ts+" stdout F x", string(l.Msg))
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"": Auto, "auto": Auto, "cri": CRI, "containerd": CRI, "crio": CRI, "docker": Docker, "json-file": Docker, "plain": Plain, "none": Plain} {
		got, err := ParseFormat(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := ParseFormat("journald")
	assert.ErrorContains(t, err, "journald")
	for _, f := range []Format{Auto, CRI, Docker, Plain} {
		back, err := ParseFormat(f.String())
		require.NoError(t, err)
		assert.Equal(t, f, back)
	}
}

func TestParseTime(t *testing.T) {
	tm, ok := ParseTime([]byte(ts))
	require.True(t, ok)
	assert.Equal(t, 978763584, tm.Nanosecond())
	_, ok = ParseTime(nil)
	assert.False(t, ok)
	_, ok = ParseTime([]byte("yesterday"))
	assert.False(t, ok)
}
