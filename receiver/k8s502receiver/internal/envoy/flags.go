package envoy

import (
	"bytes"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"
)

// flag is one %RESPONSE_FLAGS% code (source/common/stream_info/utility.h),
// with what it means for the record.
type flag struct {
	short, long string
	// kind is the error kind when this flag is the cause; empty for flags
	// that are not an upstream failure.
	kind    string
	origin  string // who made the status when this flag is the cause
	meaning string // for the error message, in words an SRE knows
	// failure marks flags that state a failure worth a record even when
	// the status is not watched (a 200 whose body was cut by UC).
	failure bool
}

// flags lists the codes in the order a cause is chosen: the most specific
// upstream failure first, URX last since Envoy only adds it to the cause of
// the final attempt.
var flags = []flag{
	{"UH", "NoHealthyUpstream", schema.ErrNoLiveUpstreams, schema.OriginGateway, "no healthy upstream host in the cluster (no endpoints, or all of them unhealthy or ejected)", true},
	{"UF", "UpstreamConnectionFailure", schema.ErrConnectRefused, schema.OriginGateway, "upstream connection failure", true},
	{"UO", "UpstreamOverflow", schema.ErrOverflow, schema.OriginGateway, "upstream overflow: a circuit breaker limit (connections, pending or active requests) refused the request", true},
	{"UT", "UpstreamRequestTimeout", schema.ErrReadTimeout, schema.OriginGateway, "upstream request timeout: no complete response within the route timeout", true},
	{"UMSDR", "UpstreamMaxStreamDurationReached", schema.ErrReadTimeout, schema.OriginGateway, "upstream request reached its maximum stream duration", true},
	{"UC", "UpstreamConnectionTermination", schema.ErrPrematureClose, schema.OriginGateway, "upstream closed the connection before a full response", true},
	{"UR", "UpstreamRemoteReset", schema.ErrConnectionReset, schema.OriginGateway, "upstream reset the stream", true},
	{"LR", "LocalReset", schema.ErrConnectionReset, schema.OriginGateway, "the upstream stream was reset locally by Envoy", true},
	{"UPE", "UpstreamProtocolError", schema.ErrProtocol, schema.OriginGateway, "upstream response was not valid HTTP", true},
	{"DF", "DnsResolutionFailed", schema.ErrOther, schema.OriginGateway, "DNS resolution of the upstream failed", true},
	{"NC", "NoClusterFound", schema.ErrOther, schema.OriginLocal, "the route names an upstream cluster that does not exist", true},
	{"RL", "RateLimited", schema.ErrRateLimited, schema.OriginLocal, "rate limited by Envoy", false},
	{"URX", "UpstreamRetryLimitExceeded", schema.ErrOther, schema.OriginGateway, "upstream retry limit exceeded", true},
	{"DC", "DownstreamConnectionTermination", "", schema.OriginClient, "client closed the connection", false},
	{"NR", "NoRouteFound", "", schema.OriginLocal, "no route matched the request", false},
	{"RLSE", "RateLimitServiceError", "", schema.OriginLocal, "rate limit service error", false},
	{"UAEX", "UnauthorizedExternalService", "", schema.OriginLocal, "denied by the external authorization service", false},
	{"IH", "InvalidEnvoyRequestHeaders", "", schema.OriginLocal, "invalid x-envoy request header", false},
	{"FI", "FaultInjected", "", schema.OriginLocal, "fault injected", false},
	{"DI", "DelayInjected", "", schema.OriginLocal, "delay injected", false},
	{"OM", "OverloadManagerTerminated", "", schema.OriginLocal, "Envoy's overload manager refused the request", false},
	{"LH", "FailedLocalHealthCheck", "", schema.OriginLocal, "the local service failed its health check", false},
	{"SI", "StreamIdleTimeout", "", schema.OriginLocal, "stream idle timeout", false},
	{"DPE", "DownstreamProtocolError", "", schema.OriginLocal, "the client's request was not valid HTTP", false},
	{"DT", "DurationTimeout", "", schema.OriginLocal, "maximum connection or stream duration reached", false},
	{"DO", "DropOverLoad", "", schema.OriginLocal, "dropped by the cluster's drop_overload policy", false},
	{"NFCF", "NoFilterConfigFound", "", schema.OriginLocal, "no filter configuration found", false},
}

var (
	iUH  = flagIndex("UH")
	iUF  = flagIndex("UF")
	iURX = flagIndex("URX")
	iDC  = flagIndex("DC")
)

// flagSet is a bitmask over flags.
type flagSet uint32

func (s flagSet) has(i int) bool { return s&(1<<i) != 0 }

// parseFlags reads "URX,UF" (or the long names). Unknown codes, which newer
// Envoys add, are ignored rather than failing the line.
func parseFlags(b []byte) flagSet {
	var s flagSet
	for len(b) > 0 {
		tok := b
		if i := bytes.IndexByte(b, ','); i >= 0 {
			tok, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		for i := range flags {
			if string(tok) == flags[i].short || string(tok) == flags[i].long {
				s |= 1 << i
				break
			}
		}
	}
	return s
}

// cause is the flag that explains the status: the first failure flag in
// table order, else URX, else the first other one; -1 when none is set.
func (s flagSet) cause() int {
	first := -1
	for i := range flags {
		if !s.has(i) {
			continue
		}
		if flags[i].kind != "" && i != iURX {
			return i
		}
		if first < 0 {
			first = i
		}
	}
	if s.has(iURX) {
		return iURX
	}
	return first
}

// failure reports whether any flag states an upstream failure.
func (s flagSet) failure() bool {
	for i := range flags {
		if s.has(i) && flags[i].failure {
			return true
		}
	}
	return false
}

// detailsCause maps %RESPONSE_CODE_DETAILS% to the flag Envoy would have set,
// for formats that log the details but not the flags.
func detailsCause(d []byte) int {
	name, reason, _ := splitDetails(d)
	switch string(name) {
	case "no_healthy_upstream":
		return iUH
	case "upstream_response_timeout", "upstream_per_try_timeout":
		return flagIndex("UT")
	case "upstream_max_stream_duration_reached":
		return flagIndex("UMSDR")
	case "cluster_not_found":
		return flagIndex("NC")
	case "route_not_found":
		return flagIndex("NR")
	case "upstream_reset_before_response_started", "upstream_reset_after_response_started":
		return resetCause(reason)
	}
	return -1
}

// resetCause follows router.cc streamResetReasonToResponseFlag.
func resetCause(reason []byte) int {
	switch string(reason) {
	case "connection_failure", "local_connection_failure", "remote_connection_failure", "connection_timeout":
		return iUF
	case "connection_termination":
		return flagIndex("UC")
	case "local_reset", "local_refused_stream_reset", "http1_premature_upstream_half_close":
		return flagIndex("LR")
	case "overflow":
		return flagIndex("UO")
	case "remote_reset", "remote_refused_stream_reset", "connect_error":
		return flagIndex("UR")
	case "protocol_error":
		return flagIndex("UPE")
	}
	return -1
}

func flagIndex(short string) int {
	for i := range flags {
		if flags[i].short == short {
			return i
		}
	}
	panic("unknown flag " + short)
}

// splitDetails splits "upstream_reset_before_response_started{reason|tfr}"
// (older Envoys joined with ',').
func splitDetails(d []byte) (name, reason, rest []byte) {
	i := bytes.IndexByte(d, '{')
	if i < 0 {
		return d, nil, nil
	}
	name, in := d[:i], d[i+1:]
	if j := bytes.LastIndexByte(in, '}'); j >= 0 {
		in = in[:j]
	}
	if j := bytes.IndexAny(in, "|,"); j >= 0 {
		return name, in[:j], in[j+1:]
	}
	return name, in, nil
}

// connectKind refines UF from the details and the transport failure
// reason: BoringSSL's "TLS_error:...:CERTIFICATE_VERIFY_FAILED" and the
// socket's own errors.
func connectKind(details, transport []byte) string {
	for _, b := range [][]byte{transport, details} {
		switch {
		case containsFold(b, "CERTIFICATE"), containsFold(b, "VERIFY_FAILED"):
			return schema.ErrTLSCertificate
		}
	}
	for _, b := range [][]byte{transport, details} {
		switch {
		case containsFold(b, "TLS_error"), containsFold(b, "SSL"), containsFold(b, "TLS"):
			return schema.ErrTLSHandshake
		case containsFold(b, "timeout"), containsFold(b, "timed_out"), containsFold(b, "timed out"):
			return schema.ErrConnectTimeout
		case containsFold(b, "unreachable"), containsFold(b, "no_route_to_host"), containsFold(b, "no route to host"):
			return schema.ErrHostUnreachable
		}
	}
	return schema.ErrConnectRefused
}

// containsFold is an ASCII case-insensitive bytes.Contains that allocates
// nothing.
func containsFold(b []byte, sub string) bool {
	n := len(sub)
	for i := 0; i+n <= len(b); i++ {
		j := 0
		for ; j < n; j++ {
			if lower(b[i+j]) != lower(sub[j]) {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// wanted decides from status, flags and details alone whether the line
// deserves a record: a watched status, or a stated upstream failure.
func wanted(line []byte, v *values, watched func(int) bool) bool {
	if st, ok := event.ParseStatus(v.raw(line, fStatus)); ok && watched(st) {
		return true
	}
	if v[fFlags].set || v[fFlagsLong].set {
		fs := parseFlags(v.raw(line, fFlags)) | parseFlags(v.raw(line, fFlagsLong))
		if fs&^(1<<iURX) == 0 && string(v.raw(line, fDetails)) == "via_upstream" {
			// Retries spent on statuses the app chose: no failure of Envoy's.
			return false
		}
		return fs.failure()
	}
	if d := v.raw(line, fDetails); d != nil {
		if c := detailsCause(d); c >= 0 {
			return flags[c].failure
		}
	}
	return false
}
