package container

// Joiner reassembles messages that the runtime split into partial records
// (CRI "P" lines, json-file 16 KiB chunks). One Joiner serves one file; the
// two streams are kept apart because the runtime interleaves them.
type Joiner struct {
	// MaxSize bounds a reassembled message; bytes beyond it are dropped and the
	// message is marked truncated, so one runaway writer cannot exhaust memory.
	MaxSize int
	buf     [3][]byte
	over    [3]bool
}

// Add feeds one unwrapped line. It returns the complete message when l ends
// one, and whether the message was cut at MaxSize. The returned slice is valid
// until the next call for the same stream.
func (j *Joiner) Add(l Line) (msg []byte, complete, truncated bool) {
	s := l.Stream
	if l.Partial {
		j.append(s, l.Msg)
		return nil, false, false
	}
	if len(j.buf[s]) == 0 && !j.over[s] {
		return l.Msg, true, false
	}
	j.append(s, l.Msg)
	msg, truncated = j.buf[s], j.over[s]
	j.buf[s] = j.buf[s][:0]
	j.over[s] = false
	return msg, true, truncated
}

// Pending reports how many bytes wait for the rest of their message.
func (j *Joiner) Pending() int {
	return len(j.buf[0]) + len(j.buf[1]) + len(j.buf[2])
}

func (j *Joiner) append(s Stream, b []byte) {
	room := j.MaxSize - len(j.buf[s])
	if j.MaxSize > 0 && len(b) > room {
		if room > 0 {
			j.buf[s] = append(j.buf[s], b[:room]...)
		}
		j.over[s] = true
		return
	}
	j.buf[s] = append(j.buf[s], b...)
}
