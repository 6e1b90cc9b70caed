// Package nginx parses nginx access and error logs as ingress-nginx (and any
// nginx with a custom log_format) writes them. It is one gateway like the
// others: parser.go reads a file's lines for the join, profile.go holds one
// gateway.Profile per nginx-based controller.
package nginx

import (
	"fmt"
	"strings"
)

// IngressNginxFormat is ingress-nginx's default log-format-upstream, unchanged
// from release-1.13 to main.
// F5NginxIngressFormat is F5 NGINX Ingress Controller's default "main"
// format (nginx.tmpl, used when the ConfigMap's log-format is empty). It
// logs no upstream variables: the error log names the upstream.
const F5NginxIngressFormat = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for"`

// KongFormat is Kong Gateway's kong_log_format (kong/templates/nginx_kong.lua),
// its proxy access log unless proxy_access_log names another: combined plus
// the request id Kong also appends to its error lines.
const KongFormat = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" kong_request_id: "$kong_request_id"`

// CombinedFormat is nginx's predefined "combined" format, what a plain
// nginx logs when access_log names no format.
const CombinedFormat = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`

// IngressNginxFormat is ingress-nginx's default log-format-upstream.
const IngressNginxFormat = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id`

// field is a variable the parser knows how to interpret.
type field uint8

const (
	fOther field = iota // captured to find the next delimiter, otherwise unused
	fRemoteAddr
	fRemoteUser
	fTimeLocal
	fTimeISO8601
	fMsec
	fRequest
	fMethod
	fRequestURI
	fURI
	fArgs
	fProtocol
	fStatus
	fBodyBytesSent
	fBytesSent
	fReferer
	fUserAgent
	fRequestLength
	fRequestTime
	fUpstreamName
	fUpstreamAltName
	fUpstreamAddr
	fUpstreamRespLength
	fUpstreamRespTime
	fUpstreamStatus
	fReqID
	fHost
	fProxyHost
	numFields
)

var variables = map[string]field{
	"remote_addr":                     fRemoteAddr,
	"the_real_ip":                     fRemoteAddr, // older ingress-nginx formats
	"remote_user":                     fRemoteUser,
	"time_local":                      fTimeLocal,
	"time_iso8601":                    fTimeISO8601,
	"msec":                            fMsec,
	"request":                         fRequest,
	"request_method":                  fMethod,
	"request_uri":                     fRequestURI,
	"uri":                             fURI,
	"document_uri":                    fURI,
	"args":                            fArgs,
	"query_string":                    fArgs,
	"server_protocol":                 fProtocol,
	"status":                          fStatus,
	"body_bytes_sent":                 fBodyBytesSent,
	"bytes_sent":                      fBytesSent,
	"http_referer":                    fReferer,
	"http_user_agent":                 fUserAgent,
	"request_length":                  fRequestLength,
	"request_time":                    fRequestTime,
	"proxy_upstream_name":             fUpstreamName,
	"proxy_alternative_upstream_name": fUpstreamAltName,
	"upstream_addr":                   fUpstreamAddr,
	"upstream_response_length":        fUpstreamRespLength,
	"upstream_response_time":          fUpstreamRespTime,
	"upstream_status":                 fUpstreamStatus,
	"req_id":                          fReqID,
	"request_id":                      fReqID,
	"http_x_request_id":               fReqID,
	"kong_request_id":                 fReqID, // Kong's, 32 hex digits like $request_id
	"proxy_host":                      fProxyHost,
	"host":                            fHost,
	"http_host":                       fHost,
}

// multiValued fields hold one value per upstream attempt, joined by ", "
// (and " : " across internal redirects), so a space does not end them.
func (f field) multiValued() bool {
	switch f {
	case fUpstreamAddr, fUpstreamRespLength, fUpstreamRespTime, fUpstreamStatus:
		return true
	}
	return false
}

// Escape is nginx's log_format escape= parameter.
type Escape uint8

const (
	EscapeDefault Escape = iota // \xHH for ", \ and bytes outside 0x20-0x7e
	EscapeJSON                  // JSON string escapes
	EscapeNone                  // raw bytes
)

// ParseEscape maps a config value to an Escape. "" means: JSON when the
// format looks like a JSON object, else nginx's default.
func ParseEscape(s, format string) (Escape, error) {
	switch s {
	case "":
		if strings.HasPrefix(strings.TrimSpace(format), "{") {
			return EscapeJSON, nil
		}
		return EscapeDefault, nil
	case "default":
		return EscapeDefault, nil
	case "json":
		return EscapeJSON, nil
	case "none":
		return EscapeNone, nil
	}
	return 0, fmt.Errorf("unknown escape %q (want default, json or none)", s)
}

// extra copies one more variable into a record attribute.
type extra struct {
	seg  int
	attr string
}

// segment is one variable and the literal text that precedes it.
type segment struct {
	lit   string
	litB  []byte // lit as bytes, so the hot path converts nothing
	field field
	name  string
}

// Format is a compiled log_format: parse it once at start, use it per line.
type Format struct {
	segs     []segment
	tail     string // literal after the last variable
	tailB    []byte
	escape   Escape
	has      [numFields]bool
	extras   []extra
	lastNeed int // index of the last segment the pre-filter needs
	// upstreamLate is set when $upstream_status comes after the segments
	// the pre-filter scans; the pre-filter then searches the rest of the
	// line for the watched codes instead of parsing it.
	upstreamLate bool
}

// Compile turns a log_format string into a parser. The string may start with
// "escape=json " as in the nginx directive. It fails when a variable is
// malformed, when two variables touch (nothing would tell where one ends),
// or when $status is missing (no status, nothing to select on).
func Compile(format string, escape Escape) (*Format, error) {
	if rest, ok := strings.CutPrefix(format, "escape="); ok {
		mode, after, _ := strings.Cut(rest, " ")
		e, err := ParseEscape(mode, after)
		if err != nil {
			return nil, err
		}
		escape, format = e, after
	}
	f := &Format{escape: escape}
	var lit strings.Builder
	for i := 0; i < len(format); {
		c := format[i]
		if c != '$' {
			lit.WriteByte(c)
			i++
			continue
		}
		name, n, err := readVariable(format[i:])
		if err != nil {
			return nil, fmt.Errorf("at byte %d: %w", i, err)
		}
		if lit.Len() == 0 && len(f.segs) > 0 {
			return nil, fmt.Errorf("at byte %d: $%s directly follows $%s; nothing separates them", i, name, f.segs[len(f.segs)-1].name)
		}
		fd := variables[name]
		f.segs = append(f.segs, segment{lit: lit.String(), litB: []byte(lit.String()), field: fd, name: name})
		f.has[fd] = true
		lit.Reset()
		i += n
	}
	f.tail = lit.String()
	if !f.has[fStatus] {
		return nil, fmt.Errorf("the format has no $status variable")
	}
	// The pre-filter needs the client, the request and the status; what
	// comes after is read only for lines it keeps.
	upstreamAt := -1
	for i, s := range f.segs {
		switch s.field {
		case fStatus, fRemoteAddr, fRequest:
			f.lastNeed = max(f.lastNeed, i)
		case fUpstreamStatus:
			upstreamAt = i
		}
	}
	if upstreamAt > f.lastNeed {
		f.upstreamLate = true
	}
	f.tailB = []byte(strings.TrimRight(f.tail, " "))
	return f, nil
}

func readVariable(s string) (name string, n int, err error) {
	// s[0] == '$'
	if len(s) > 1 && s[1] == '{' {
		end := strings.IndexByte(s, '}')
		if end < 0 {
			return "", 0, fmt.Errorf("unterminated ${ in variable")
		}
		name = s[2:end]
		if !validName(name) {
			return "", 0, fmt.Errorf("invalid variable name ${%s}", name)
		}
		return name, end + 1, nil
	}
	j := 1
	for j < len(s) && isNameByte(s[j]) {
		j++
	}
	if j == 1 {
		return "", 0, fmt.Errorf("'$' not followed by a variable name")
	}
	return s[1:j], j, nil
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) {
			return false
		}
	}
	return true
}

func isNameByte(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// Has reports whether the format logs the given nginx variable.
func (f *Format) Has(variable string) bool {
	for _, s := range f.segs {
		if s.name == variable {
			return true
		}
	}
	return false
}

// Variables lists the format's variables in order.
func (f *Format) Variables() []string {
	out := make([]string, len(f.segs))
	for i, s := range f.segs {
		out[i] = s.name
	}
	return out
}

// MapVariables makes Access copy each named variable (without '$') into the
// attribute it maps to. Every variable must be in the format.
func (f *Format) MapVariables(m map[string]string) error {
	f.extras = f.extras[:0]
	for v, attr := range m {
		idx := -1
		for i, s := range f.segs {
			if s.name == v {
				idx = i
				break
			}
		}
		if idx < 0 {
			return fmt.Errorf("variable %q is not in log_format", v)
		}
		if attr == "" {
			return fmt.Errorf("variable %q maps to an empty attribute name", v)
		}
		f.extras = append(f.extras, extra{seg: idx, attr: attr})
	}
	return nil
}
