package nginx

import (
	"bytes"
	"errors"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"
)

// Why an error-log line is not turned into an UpstreamError.
var (
	ErrNotErrorLine = errors.New("not an nginx error-log line")
	ErrBelowWarn    = errors.New("below warn level") // notices: startup, reload, shutdown
	ErrNoRequest    = errors.New("no request context")
	ErrUnrelated    = errors.New("not about an upstream")
)

// LooksLikeErrorLine is the cheap shape test used to route a message:
// "YYYY/MM/DD HH:MM:SS [".
func LooksLikeErrorLine(b []byte) bool {
	return len(b) > 21 && b[4] == '/' && b[7] == '/' && b[10] == ' ' && b[13] == ':' && b[19] == ' ' && b[20] == '[' && isDigit(b[0])
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

var levels = map[string]event.Level{
	"debug": event.LevelDebug, "info": event.LevelInfo, "notice": event.LevelNotice,
	"warn": event.LevelWarn, "error": event.LevelError, "crit": event.LevelCrit,
	"alert": event.LevelAlert, "emerg": event.LevelEmerg,
}

// ParseError reads one error-log line. loc is the zone nginx wrote its
// timestamps in (error-log times carry none).
func ParseError(line []byte, loc *time.Location) (event.UpstreamError, error) {
	var e event.UpstreamError
	if !LooksLikeErrorLine(line) {
		return e, ErrNotErrorLine
	}
	end := bytes.IndexByte(line[21:], ']')
	if end < 0 {
		return e, ErrNotErrorLine
	}
	lvl, ok := levels[string(line[21:21+end])]
	if !ok {
		return e, ErrNotErrorLine
	}
	if lvl < event.LevelWarn {
		return e, ErrBelowWarn
	}
	rest := line[21+end+1:]
	// "<pid>#<tid>: *<conn> "; process-level lines have no connection number.
	colon := bytes.Index(rest, []byte(": "))
	if colon < 0 {
		return e, ErrNotErrorLine
	}
	rest = rest[colon+2:]
	if len(rest) == 0 || rest[0] != '*' {
		return e, ErrNoRequest
	}
	sp := bytes.IndexByte(rest, ' ')
	if sp < 0 {
		return e, ErrNoRequest
	}
	rest = rest[sp+1:]
	ctx := bytes.Index(rest, []byte(", client: "))
	if ctx < 0 {
		return e, ErrNoRequest
	}
	e.Level = lvl
	e.Message = string(rest[:ctx])
	e.Kind = Classify(e.Message)
	parseContext(rest[ctx+2:], &e)
	if e.Upstream == "" && !upstreamKind(e.Kind) {
		return e, ErrUnrelated
	}
	if t, ok := parseErrorTime(line[:19], loc); ok {
		e.Time = t
	}
	e.Raw = string(line)
	return e, nil
}

// upstreamKind lists the kinds that concern the upstream even when nginx
// names no peer (rate limits reject before one is chosen).
func upstreamKind(kind string) bool {
	return kind != schema.ErrOther
}

// contextKeys are the keys nginx writes after an error line's message, in
// order, and Kong's request_id, which lua-kong-nginx-module appends after
// them (lua_kong_error_log_request_id).
var contextKeys = []string{"client: ", "server: ", "request: ", "subrequest: ", "upstream: ", "host: ", "referrer: ", "request_id: "}

// parseContext reads `client: a, server: b, request: "…", upstream: "…",
// host: "…", referrer: "…"` and Kong's `, request_id: "…"`. nginx prints the
// request raw, so a quoted value ends only at `", <known key>` or at the end
// of the line.
func parseContext(b []byte, e *event.UpstreamError) {
	for len(b) > 0 {
		key := ""
		for _, k := range contextKeys {
			if bytes.HasPrefix(b, []byte(k)) {
				key = k
				break
			}
		}
		if key == "" {
			return
		}
		b = b[len(key):]
		var val []byte
		if len(b) > 0 && b[0] == '"' {
			end, closed := quotedEnd(b[1:])
			val = b[1 : 1+end]
			if !closed {
				// nginx cut the line at its error-string limit inside this value.
				e.Truncated = true
				if key != "request: " {
					val = nil // a partial peer or host would mislead the join
				}
				b = nil
			} else {
				b = b[1+end+1:]
			}
		} else {
			end := bytes.Index(b, []byte(", "))
			if end < 0 {
				end = len(b)
			}
			val, b = b[:end], b[end:]
		}
		b = bytes.TrimPrefix(b, []byte(", "))
		switch key {
		case "client: ":
			e.Client = string(val)
		case "server: ":
			e.Server = string(val)
		case "request: ":
			e.Request = string(val)
		case "upstream: ":
			e.Upstream = string(val)
		case "host: ":
			e.Host = string(val)
		case "request_id: ":
			e.RequestID = string(val)
		}
	}
}

// quotedEnd finds the closing quote of a raw quoted value: one followed by
// ", <known key>" or by the end of the line.
func quotedEnd(b []byte) (int, bool) {
	for from := 0; ; {
		k := bytes.IndexByte(b[from:], '"')
		if k < 0 {
			return len(b), false
		}
		i := from + k
		after := b[i+1:]
		if len(bytes.TrimRight(after, " \r")) == 0 {
			return i, true
		}
		if bytes.HasPrefix(after, []byte(", ")) {
			for _, key := range contextKeys {
				if bytes.HasPrefix(after[2:], []byte(key)) {
					return i, true
				}
			}
		}
		from = i + 1
	}
}

func parseErrorTime(b []byte, loc *time.Location) (time.Time, bool) {
	// YYYY/MM/DD HH:MM:SS
	num := func(s []byte) (int, bool) {
		n := 0
		for _, c := range s {
			if !isDigit(c) {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(b[0:4])
	mo, ok2 := num(b[5:7])
	d, ok3 := num(b[8:10])
	h, ok4 := num(b[11:13])
	mi, ok5 := num(b[14:16])
	s, ok6 := num(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return time.Time{}, false
	}
	if loc == nil {
		loc = time.UTC
	}
	return time.Date(y, time.Month(mo), d, h, mi, s, 0, loc), true
}
