package envoy

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"
)

// autoKeys are the JSON keys of the products' default JSON formats, all
// spellings at once: Istio's EnvoyJSONLogFormatIstio, Envoy Gateway's
// EnvoyJSONLogFields and Contour's DefaultAccessLogJSONFields (plus the two
// fields Contour users add to see failure causes).
var autoKeys = map[string]field{
	"start_time": fStartTime, "@timestamp": fStartTime,
	"method": fMethod,
	"path":   fPath, "x-envoy-origin-path": fPath,
	"protocol":                          fProtocol,
	"response_code":                     fStatus,
	"response_flags":                    fFlags,
	"response_code_details":             fDetails,
	"connection_termination_details":    fTermination,
	"upstream_transport_failure_reason": fTransport,
	"bytes_received":                    fBytesIn,
	"bytes_sent":                        fBytesOut,
	"duration":                          fDuration,
	"upstream_service_time":             fServiceTime, "x-envoy-upstream-service-time": fServiceTime,
	"x_forwarded_for": fXFF, "x-forwarded-for": fXFF,
	"user_agent": fUserAgent, "user-agent": fUserAgent,
	"request_id": fRequestID, "x-request-id": fRequestID,
	"authority": fAuthority, ":authority": fAuthority,
	"upstream_host":             fUpstreamHost,
	"upstream_cluster":          fCluster,
	"downstream_remote_address": fDownstreamRemote,
	"requested_server_name":     fSNI,
	"route_name":                fRouteName,
}

// compileJSONTemplate reads a json_format-style template. Only values that
// are exactly one operator are used; anything else cannot be mapped back.
func compileJSONTemplate(s string) (map[string]field, error) {
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("the format starts with '{' but is not a JSON object: %v", err)
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	keys := map[string]field{}
	status := false
	for _, k := range names {
		v, ok := m[k].(string)
		if !ok {
			continue
		}
		toks, err := tokenize(v)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k, err)
		}
		if len(toks) != 1 || toks[0].op == "" || toks[0].f == fNone {
			continue
		}
		keys[k] = toks[0].f
		status = status || toks[0].f == fStatus
	}
	if !status {
		return nil, errNoStatus
	}
	return keys, nil
}

type jsonResult uint8

const (
	jsonOK jsonResult = iota
	jsonBroken
	jsonUndecided // stopped early: status and flags say the line is not wanted
)

// scanJSON reads a flat JSON object into v, recording where each known
// key's value is. Nested values are skipped. When stop is set it returns
// jsonUndecided as soon as status and flags are known and say the line is
// not wanted, which is most lines. watched nil reads the whole line.
func scanJSON(line []byte, keys map[string]field, v *values, watched func(int) bool) jsonResult {
	i := skipWS(line, 1)
	if i < len(line) && line[i] == '}' {
		return jsonOK
	}
	for {
		if i >= len(line) || line[i] != '"' {
			return jsonBroken
		}
		ke, esc := strEnd(line, i+1)
		if ke < 0 {
			return jsonBroken
		}
		key := line[i+1 : ke]
		i = skipWS(line, ke+1)
		if i >= len(line) || line[i] != ':' {
			return jsonBroken
		}
		i = skipWS(line, i+1)
		if i >= len(line) {
			return jsonBroken
		}
		f := fNone
		if !esc {
			f = keys[string(key)]
		}
		var sp span
		switch c := line[i]; {
		case c == '"':
			e, vesc := strEnd(line, i+1)
			if e < 0 {
				return jsonBroken
			}
			sp = span{lo: int32(i + 1), hi: int32(e), set: true, esc: vesc}
			i = e + 1
		case c == '{' || c == '[':
			e := skipNested(line, i)
			if e < 0 {
				return jsonBroken
			}
			i = e
		default:
			e := i
			for e < len(line) && line[e] != ',' && line[e] != '}' && line[e] != ' ' && line[e] != '\t' {
				e++
			}
			if e == i {
				return jsonBroken
			}
			if string(line[i:e]) != "null" {
				sp = span{lo: int32(i), hi: int32(e), set: true}
			}
			i = e
		}
		if f != fNone && sp.set {
			if f == fStatus {
				if _, ok := event.ParseStatus(line[sp.lo:sp.hi]); !ok {
					return jsonBroken
				}
			}
			v[f] = sp
			if watched != nil && (f == fStatus || f == fFlags || f == fFlagsLong) &&
				v[fStatus].set && (v[fFlags].set || v[fFlagsLong].set) && !wanted(line, v, watched) {
				return jsonUndecided
			}
		}
		i = skipWS(line, i)
		if i >= len(line) {
			return jsonBroken
		}
		switch line[i] {
		case ',':
			i = skipWS(line, i+1)
		case '}':
			if skipWS(line, i+1) != len(line) {
				return jsonBroken
			}
			return jsonOK
		default:
			return jsonBroken
		}
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// strEnd finds the closing quote of a string body starting at i.
func strEnd(b []byte, i int) (end int, esc bool) {
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			return i, esc
		case '\\':
			esc = true
			i++
		}
	}
	return -1, esc
}

// skipNested returns the index after the object or array opening at i.
func skipNested(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return i + 1
			}
		case '"':
			e, _ := strEnd(b, i+1)
			if e < 0 {
				return -1
			}
			i = e
		}
	}
	return -1
}
