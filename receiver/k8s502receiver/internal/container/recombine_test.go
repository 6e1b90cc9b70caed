package container

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

type step struct {
	stream    Stream
	msg       string
	partial   bool
	want      string // expected message when complete
	complete  bool
	truncated bool
}

func runSteps(t *testing.T, j *Joiner, steps []step) {
	t.Helper()
	for i, s := range steps {
		msg, complete, truncated := j.Add(Line{Stream: s.stream, Msg: []byte(s.msg), Partial: s.partial})
		assert.Equal(t, s.complete, complete, "step %d complete", i)
		assert.Equal(t, s.truncated, truncated, "step %d truncated", i)
		if s.complete {
			assert.Equal(t, s.want, string(msg), "step %d message", i)
		}
	}
}

func TestJoiner(t *testing.T) {
	tests := []struct {
		name    string
		maxSize int
		steps   []step
	}{
		{name: "single complete", steps: []step{{stream: Stdout, msg: "a", want: "a", complete: true}}},
		{name: "P then F", steps: []step{
			{stream: Stdout, msg: "ab", partial: true},
			{stream: Stdout, msg: "cd", partial: true},
			{stream: Stdout, msg: "ef", want: "abcdef", complete: true},
			{stream: Stdout, msg: "next", want: "next", complete: true},
		}},
		{name: "streams kept apart", steps: []step{
			{stream: Stdout, msg: "out1-", partial: true},
			{stream: Stderr, msg: "err-whole", want: "err-whole", complete: true},
			{stream: Stderr, msg: "err1-", partial: true},
			{stream: Stdout, msg: "out2", want: "out1-out2", complete: true},
			{stream: Stderr, msg: "err2", want: "err1-err2", complete: true},
		}},
		{name: "empty final", steps: []step{
			{stream: Stdout, msg: "abc", partial: true},
			{stream: Stdout, msg: "", want: "abc", complete: true},
		}},
		{name: "truncated at MaxSize", maxSize: 5, steps: []step{
			{stream: Stdout, msg: "abc", partial: true},
			{stream: Stdout, msg: "def", partial: true},
			{stream: Stdout, msg: "ghi", want: "abcde", complete: true, truncated: true},
			{stream: Stdout, msg: "after", want: "after", complete: true},
		}},
		{name: "exactly MaxSize is not truncated", maxSize: 6, steps: []step{
			{stream: Stdout, msg: "abc", partial: true},
			{stream: Stdout, msg: "def", want: "abcdef", complete: true},
		}},
		{name: "overflow on a full buffer", maxSize: 3, steps: []step{
			{stream: Stdout, msg: "abc", partial: true},
			{stream: Stdout, msg: "d", partial: true},
			{stream: Stdout, msg: "", want: "abc", complete: true, truncated: true},
		}},
		{name: "truncation of one stream spares the other", maxSize: 4, steps: []step{
			{stream: Stdout, msg: "123456", partial: true},
			{stream: Stderr, msg: "ab", partial: true},
			{stream: Stderr, msg: "cd", want: "abcd", complete: true},
			{stream: Stdout, msg: "7", want: "1234", complete: true, truncated: true},
		}},
		{name: "unknown stream (plain) joins too", steps: []step{
			{stream: StreamUnknown, msg: "a", partial: true},
			{stream: StreamUnknown, msg: "b", want: "ab", complete: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runSteps(t, &Joiner{MaxSize: tt.maxSize}, tt.steps)
		})
	}
}

func TestJoinerPending(t *testing.T) {
	j := &Joiner{MaxSize: 10}
	j.Add(Line{Stream: Stdout, Msg: []byte("abc"), Partial: true})
	j.Add(Line{Stream: Stderr, Msg: []byte("de"), Partial: true})
	assert.Equal(t, 5, j.Pending())
	j.Add(Line{Stream: Stdout, Msg: []byte("x")})
	assert.Equal(t, 2, j.Pending())
	j.Add(Line{Stream: Stderr, Msg: []byte("y")})
	assert.Equal(t, 0, j.Pending())
}

// The complete message is copied out of the input when it was reassembled,
// so later input reuse cannot change it until the next Add.
func TestJoinerCopiesPartials(t *testing.T) {
	j := &Joiner{}
	buf := []byte("abc")
	j.Add(Line{Stream: Stdout, Msg: buf, Partial: true})
	copy(buf, "xyz")
	msg, complete, _ := j.Add(Line{Stream: Stdout, Msg: []byte("!")})
	assert.True(t, complete)
	assert.Equal(t, "abc!", string(msg))
}
