package envoy

import (
	"errors"
	"fmt"
	"strings"
)

// field is an operator whose value the parser uses. Every other operator is
// fNone: read to find where the next one starts, then dropped.
type field uint8

const (
	fNone field = iota
	fStartTime
	fMethod
	fPath
	fProtocol
	fStatus
	fFlags
	fFlagsLong
	fDetails
	fTermination
	fTransport
	fBytesIn
	fBytesOut
	fDuration
	fServiceTime
	fXFF
	fUserAgent
	fRequestID
	fAuthority
	fUpstreamHost
	fCluster
	fClusterRaw
	fDownstreamRemote
	fSNI
	fRouteName
	numFields
)

// opField maps one operator to the field it fills.
func opField(cmd, arg string) field {
	switch cmd {
	case "START_TIME":
		return fStartTime
	case "REQ", "REQUEST_HEADER": // the long names are aliases (Envoy 1.37; Cilium's default format uses them)
		return headerField(arg)
	case "RESP", "RESPONSE_HEADER":
		if strings.EqualFold(headerName(arg), "x-envoy-upstream-service-time") {
			return fServiceTime
		}
	case "PROTOCOL":
		return fProtocol
	case "RESPONSE_CODE":
		return fStatus
	case "RESPONSE_FLAGS":
		return fFlags
	case "RESPONSE_FLAGS_LONG":
		return fFlagsLong
	case "RESPONSE_CODE_DETAILS":
		return fDetails
	case "CONNECTION_TERMINATION_DETAILS":
		return fTermination
	case "UPSTREAM_TRANSPORT_FAILURE_REASON":
		return fTransport
	case "BYTES_RECEIVED":
		return fBytesIn
	case "BYTES_SENT":
		return fBytesOut
	case "DURATION":
		return fDuration
	case "UPSTREAM_HOST":
		return fUpstreamHost
	case "UPSTREAM_CLUSTER":
		return fCluster
	case "UPSTREAM_CLUSTER_RAW":
		return fClusterRaw
	case "DOWNSTREAM_REMOTE_ADDRESS":
		return fDownstreamRemote
	case "REQUESTED_SERVER_NAME":
		return fSNI
	case "ROUTE_NAME":
		return fRouteName
	}
	return fNone
}

// headerName is the main header of "X?Y" (Y is only Envoy's fallback).
func headerName(arg string) string {
	if i := strings.IndexByte(arg, '?'); i >= 0 {
		return arg[:i]
	}
	return arg
}

func headerField(arg string) field {
	switch strings.ToLower(headerName(arg)) {
	case ":method":
		return fMethod
	case ":path", "x-envoy-original-path":
		return fPath
	case "x-forwarded-for":
		return fXFF
	case "user-agent":
		return fUserAgent
	case "x-request-id":
		return fRequestID
	case ":authority", "host":
		return fAuthority
	}
	return fNone
}

// token is one piece of a format string: literal text or an operator.
type token struct {
	lit string
	op  string // the operator as written, "%REQ(:METHOD)%"; empty for literals
	arg string // what is between the parentheses
	f   field
}

// tokenize splits an Envoy format string into literals and operators.
func tokenize(s string) ([]token, error) {
	var out []token
	var lit strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '%' {
			lit.WriteByte(s[i])
			i++
			continue
		}
		cmd, arg, n, err := readOp(s[i:])
		if err != nil {
			return nil, fmt.Errorf("at byte %d: %w", i, err)
		}
		if lit.Len() > 0 {
			out = append(out, token{lit: lit.String()})
			lit.Reset()
		}
		out = append(out, token{op: s[i : i+n], arg: arg, f: opField(cmd, arg)})
		i += n
	}
	if lit.Len() > 0 {
		out = append(out, token{lit: lit.String()})
	}
	return out, nil
}

// readOp reads "%COMMAND%", "%COMMAND(args)%" or either with ":maxlen".
func readOp(s string) (cmd, arg string, n int, err error) {
	j := 1
	for j < len(s) && (s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9' || s[j] == '_') {
		j++
	}
	if j == 1 {
		return "", "", 0, errors.New(`a "%" that does not start a %COMMAND% operator (operators are upper case, e.g. %RESPONSE_CODE%)`)
	}
	cmd = s[1:j]
	if j < len(s) && s[j] == '(' {
		k := strings.IndexByte(s[j:], ')')
		if k < 0 {
			return "", "", 0, fmt.Errorf("%%%s( has no closing parenthesis", cmd)
		}
		arg = s[j+1 : j+k]
		j += k + 1
	}
	if j < len(s) && s[j] == ':' {
		k := j + 1
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k == j+1 {
			return "", "", 0, fmt.Errorf("%%%s: the length after ':' must be a number", cmd)
		}
		j = k
	}
	if j >= len(s) || s[j] != '%' {
		return "", "", 0, fmt.Errorf("operator %%%s is not closed by a %%", cmd)
	}
	return cmd, arg, j + 1, nil
}

// trimFormat drops the newline Envoy formats end with (Istio appends one), as
// a real newline or as the two characters a YAML single-quoted string keeps.
func trimFormat(s string) string {
	s = strings.TrimSpace(s)
	for strings.HasSuffix(s, `\n`) {
		s = strings.TrimSpace(strings.TrimSuffix(s, `\n`))
	}
	return s
}

var errNoStatus = errors.New("the format has no %RESPONSE_CODE% operator: without the status no request can be judged")
