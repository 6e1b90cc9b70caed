package haproxy

import "bytes"

// span is where one variable's value sits in the line; a < 0 when the line
// did not reach it.
type span struct{ a, b int }

// scanner delimits a line's values item by item, without copying, so that
// the status and termination state can be judged before anything is
// allocated. It is resumable: the line path scans up to the fields that
// decide and only reads the rest of a line it keeps.
type scanner struct {
	items []item
	sp    []span
	next  int // next item to scan
	pos   int
	// cut: the line ended before the format did. HAProxy truncates lines
	// at the log target's length (1024 bytes by default), which cuts the
	// request field, the last one in both defaults, without its quote.
	cut    bool
	failed int // item that did not match; -1 when none
	cutAt  int // item at which the line ended
}

func (s *scanner) reset(items []item) {
	s.items = items
	if cap(s.sp) < len(items) {
		s.sp = make([]span, len(items))
	}
	s.sp = s.sp[:len(items)]
	for i := range s.sp {
		s.sp[i] = span{-1, -1}
	}
	s.next, s.pos, s.cut, s.failed, s.cutAt = 0, 0, false, -1, -1
}

// run scans items up to and including index last. It reports false when
// the line does not match the format.
func (s *scanner) run(line []byte, last int) bool {
	for ; s.next <= last && s.next < len(s.items); s.next++ {
		if s.cut {
			continue
		}
		if !s.one(line, s.next) {
			s.failed = s.next
			return false
		}
		if s.cut {
			s.cutAt = s.next
		}
	}
	return true
}

func (s *scanner) one(line []byte, k int) bool {
	it := &s.items[k]
	pos := s.pos
	n := len(line)
	switch it.f {
	case fSep:
		for pos < n && line[pos] == ' ' {
			pos++
		}
		s.pos = pos
		if pos == n {
			s.cut = true
		}
		return true
	case fLiteral:
		rest := line[pos:]
		if len(rest) >= len(it.lit) && string(rest[:len(it.lit)]) == it.lit {
			s.pos = pos + len(it.lit)
			return true
		}
		if len(rest) < len(it.lit) && it.lit[:len(rest)] == string(rest) {
			s.pos, s.cut = n, true
			return true
		}
		return false
	}
	if pos == n {
		if it.f == fCapture {
			s.sp[k] = span{pos, pos}
			return true
		}
		s.cut = true
		return true
	}
	switch {
	case it.quoted:
		if line[pos] != '"' {
			return false
		}
		q := bytes.IndexByte(line[pos+1:], '"')
		if q < 0 {
			s.sp[k] = span{pos + 1, n}
			s.pos, s.cut = n, true
			return true
		}
		s.sp[k] = span{pos + 1, pos + 1 + q}
		s.pos = pos + q + 2
		return true
	case it.f == fCapture:
		if line[pos] != '{' {
			s.sp[k] = span{pos, pos}
			return true
		}
		q := bytes.IndexByte(line[pos:], '}')
		if q < 0 {
			s.sp[k] = span{pos + 1, n}
			s.pos, s.cut = n, true
			return true
		}
		s.sp[k] = span{pos + 1, pos + q}
		s.pos = pos + q + 1
		return true
	case it.stop == 0:
		s.sp[k] = span{pos, n}
		s.pos = n
		return true
	case it.lastColon:
		end := bytes.IndexByte(line[pos:], ' ')
		if end < 0 {
			end = n - pos
		}
		c := bytes.LastIndexByte(line[pos:pos+end], ':')
		if c < 0 {
			if pos+end == n {
				s.sp[k] = span{pos, n}
				s.pos, s.cut = n, true
				return true
			}
			return false
		}
		s.sp[k] = span{pos, pos + c}
		s.pos = pos + c
		return true
	case it.spaces:
		e := bytes.IndexByte(line[pos:], it.stop)
		if e < 0 {
			s.sp[k] = span{pos, n}
			s.pos, s.cut = n, true
			return true
		}
		s.sp[k] = span{pos, pos + e}
		s.pos = pos + e
		return true
	}
	for i := pos; i < n; i++ {
		switch line[i] {
		case it.stop:
			s.sp[k] = span{pos, i}
			s.pos = i
			return true
		case ' ':
			return false
		}
	}
	s.sp[k] = span{pos, n}
	s.pos, s.cut = n, true
	return true
}
