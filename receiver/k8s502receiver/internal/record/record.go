// Package record turns a joined request into an OTLP log record following
// the schema in internal/schema. This is where status, origin and outcome
// are decided; the parsers only report what the lines say.
package record

import (
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/join"
)

// Options shape the records.
type Options struct {
	Gateway     string         // value of k8s502.gateway
	Statuses    func(int) bool // the watched final statuses
	RedactQuery bool
}

// Fill writes r into lr. observed is the time the receiver read the line.
func Fill(lr plog.LogRecord, r *join.Request, observed time.Time, o Options) (outcome string) {
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(observed))
	if !r.Time.IsZero() {
		lr.SetTimestamp(pcommon.NewTimestampFromTime(r.Time))
	}
	attrs := lr.Attributes()
	// A failed request gets about 25 attributes and correlate502 adds about
	// 13: room for them up front instead of the map growing four times.
	attrs.EnsureCapacity(40)
	attrs.PutStr(schema.Gateway, o.Gateway)
	chosen := chooseError(r.Errors)
	if r.Access == nil {
		outcome = schema.OutcomeUnmatched
		fillFromError(attrs, chosen, o)
		lr.Body().SetStr(redact(valid(chosen.Raw), o.RedactQuery))
		lr.SetSeverityNumber(plog.SeverityNumberError)
		if chosen.Level < event.LevelError {
			lr.SetSeverityNumber(plog.SeverityNumberWarn)
		}
		attrs.PutStr(schema.Origin, schema.OriginGateway)
	} else {
		a := r.Access
		outcome = Outcome(a, r.Errors, o.Statuses)
		fillFromAccess(attrs, a, r.Errors, o)
		if a.Host == "" && chosen != nil && chosen.Host != "" {
			attrs.PutStr(schema.ServerAddress, chosen.Host)
		}
		attrs.PutStr(schema.Origin, Origin(a, r.Errors))
		lr.Body().SetStr(redact(valid(r.AccessRaw), o.RedactQuery))
		lr.SetSeverityNumber(plog.SeverityNumberWarn)
		if a.Status >= 500 {
			lr.SetSeverityNumber(plog.SeverityNumberError)
		}
	}
	attrs.PutStr(schema.Outcome, outcome)
	id := r.ID
	if id == "" {
		id = ID(r)
	}
	attrs.PutStr(schema.RecordID, id)
	lr.SetSeverityText(strings.ToUpper(lr.SeverityNumber().String()))
	if chosen != nil {
		attrs.PutStr(schema.ErrorKind, chosen.Kind)
		attrs.PutStr(schema.ErrorMessage, valid(chosen.Message))
		if p := chosen.Peer(); p != "" {
			attrs.PutStr(schema.ErrorUpstream, p)
		}
		attrs.PutInt(schema.ErrorCount, int64(len(r.Errors)))
		kinds := attrs.PutEmptySlice(schema.ErrorKinds)
		for i := range r.Errors {
			kinds.AppendEmpty().SetStr(r.Errors[i].Kind)
		}
	}
	return outcome
}

// chooseError picks the line that explains the outcome: the last one at
// error level (the final attempt's), else the last warning.
func chooseError(errs []event.UpstreamError) *event.UpstreamError {
	var chosen *event.UpstreamError
	for i := range errs {
		if chosen == nil || chosen.Level < event.LevelError || errs[i].Level >= event.LevelError {
			chosen = &errs[i]
		}
	}
	return chosen
}

// originUnlogged decides for access logs without upstream fields, from the
// error lines alone: nginx writes one for every failure it turns into a 5xx,
// so a 5xx without one came from the application.
func originUnlogged(a *event.Access, errs []event.UpstreamError) string {
	for i := range errs {
		if errs[i].Kind == schema.ErrRateLimited {
			return schema.OriginLocal
		}
	}
	if len(errs) > 0 && gatewayStatus(a.Status) {
		return schema.OriginGateway
	}
	return schema.OriginUpstream
}

// Origin says who produced the status the client saw.
func Origin(a *event.Access, errs []event.UpstreamError) string {
	switch {
	case a.Origin != "":
		return a.Origin
	case a.Status == 499:
		return schema.OriginClient
	case a.UpstreamUnlogged:
		return originUnlogged(a, errs)
	case !a.Upstream():
		return schema.OriginLocal
	}
	last := a.Attempts[len(a.Attempts)-1]
	if last.ResponseLength > 0 || !gatewayStatus(a.Status) {
		return schema.OriginUpstream
	}
	// An empty upstream response behind a 5xx: the gateway's own answer when
	// an error line says so, or for the two codes nginx synthesizes. Without
	// the error log an app's empty-bodied 502 cannot be told apart.
	if len(errs) > 0 || a.Status == 502 || a.Status == 504 {
		return schema.OriginGateway
	}
	return schema.OriginUpstream
}

func gatewayStatus(s int) bool { return s == 500 || s == 502 || s == 503 || s == 504 }

// Outcome says how the request ended for the client.
func Outcome(a *event.Access, errs []event.UpstreamError, watched func(int) bool) string {
	if watched(a.Status) {
		return schema.OutcomeFailed
	}
	for i := 0; i < len(a.Attempts)-1; i++ {
		if n, ok := statusNum(a.Attempts[i].Status); ok && watched(n) {
			return schema.OutcomeRecovered
		}
	}
	if len(a.Attempts) > 1 && len(errs) > 0 {
		// An earlier attempt failed without an HTTP status (connect error).
		return schema.OutcomeRecovered
	}
	if a.UpstreamUnlogged && failedBeforeResponse(errs) {
		// The access log names no attempts (NGF's combined, Kong's
		// kong_log_format), but an attempt that never got a response cannot
		// have produced the status the client saw: another one did.
		return schema.OutcomeRecovered
	}
	return schema.OutcomeTruncated
}

// failedBeforeResponse reports whether an error line says an attempt failed
// before the upstream answered anything: at the connection or the TLS
// handshake.
func failedBeforeResponse(errs []event.UpstreamError) bool {
	for i := range errs {
		switch errs[i].Kind {
		case schema.ErrConnectRefused, schema.ErrConnectTimeout, schema.ErrHostUnreachable,
			schema.ErrTLSHandshake, schema.ErrTLSCertificate:
			if errs[i].Level >= event.LevelError {
				return true
			}
		}
	}
	return false
}

func statusNum(s string) (int, bool) {
	if len(s) != 3 {
		return 0, false
	}
	n := 0
	for i := 0; i < 3; i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// putErrorPeers lists the peers the error lines name, in order, as the
// attempts' addresses when the access log itself names none.
func putErrorPeers(attrs pcommon.Map, errs []event.UpstreamError) {
	var addrs pcommon.Slice
	last := ""
	for i := range errs {
		p := errs[i].Peer()
		if p == "" || p == last {
			continue
		}
		if last == "" {
			addrs = attrs.PutEmptySlice(schema.UpstreamAddresses)
		}
		addrs.AppendEmpty().SetStr(valid(p))
		last = p
	}
}

func fillFromAccess(attrs pcommon.Map, a *event.Access, errs []event.UpstreamError, o Options) {
	putStr(attrs, schema.HTTPRequestMethod, a.Method)
	putStr(attrs, schema.URLPath, valid(a.Path))
	if !o.RedactQuery {
		putStr(attrs, schema.URLQuery, valid(a.Query))
	}
	putStr(attrs, schema.NetworkProtocolVersion, a.Protocol)
	attrs.PutInt(schema.HTTPResponseStatusCode, int64(a.Status))
	if a.BodyBytes >= 0 {
		attrs.PutInt(schema.HTTPResponseBodySize, a.BodyBytes)
	}
	if a.RequestLength >= 0 {
		attrs.PutInt(schema.HTTPRequestSize, a.RequestLength)
	}
	putStr(attrs, schema.ClientAddress, a.Client)
	putStr(attrs, schema.UserAgentOriginal, valid(a.UserAgent))
	putStr(attrs, schema.ServerAddress, valid(a.Host))
	putStr(attrs, schema.RequestID, valid(a.RequestID))
	if a.Duration >= 0 {
		attrs.PutDouble(schema.RequestDuration, a.Duration)
	}
	putStr(attrs, schema.UpstreamName, valid(a.UpstreamName))
	putStr(attrs, schema.UpstreamAlternativeName, valid(a.UpstreamAltName))
	putStr(attrs, schema.UpstreamServiceNamespace, a.Service.Namespace)
	putStr(attrs, schema.UpstreamServiceName, a.Service.Name)
	putStr(attrs, schema.UpstreamServicePort, a.Service.Port)
	putStr(attrs, schema.GatewayFailureSignal, valid(a.FailureSignal))
	for _, kv := range a.Extra {
		attrs.PutStr(kv[0], valid(kv[1]))
	}
	if len(a.Attempts) == 0 {
		if a.UpstreamUnlogged {
			putErrorPeers(attrs, errs)
		}
		return
	}
	addrs := attrs.PutEmptySlice(schema.UpstreamAddresses)
	statuses := attrs.PutEmptySlice(schema.UpstreamStatuses)
	times := attrs.PutEmptySlice(schema.UpstreamResponseTimes)
	lengths := attrs.PutEmptySlice(schema.UpstreamResponseLengths)
	for _, at := range a.Attempts {
		addrs.AppendEmpty().SetStr(valid(at.Addr))
		statuses.AppendEmpty().SetStr(valid(at.Status))
		times.AppendEmpty().SetDouble(at.ResponseTime)
		lengths.AppendEmpty().SetInt(at.ResponseLength)
	}
}

func fillFromError(attrs pcommon.Map, e *event.UpstreamError, o Options) {
	putStr(attrs, schema.ClientAddress, e.Client)
	putStr(attrs, schema.ServerAddress, valid(e.Host))
	method, path, query, proto := event.SplitRequest(valid(e.Request))
	putStr(attrs, schema.HTTPRequestMethod, method)
	putStr(attrs, schema.URLPath, path)
	if !o.RedactQuery {
		putStr(attrs, schema.URLQuery, query)
	}
	putStr(attrs, schema.NetworkProtocolVersion, proto)
	if p := e.Peer(); p != "" {
		attrs.PutEmptySlice(schema.UpstreamAddresses).AppendEmpty().SetStr(valid(p))
	}
}

func putStr(attrs pcommon.Map, k, v string) {
	if v != "" {
		attrs.PutStr(k, v)
	}
}

// valid makes s safe for OTLP, whose strings must be UTF-8; nginx's error
// log prints request bytes raw.
func valid(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// redact hides query strings in a log line: they often carry tokens. Every
// '?' that opens a query (it follows a non-space byte) loses what follows up
// to the next space, quote or comma.
func redact(s string, on bool) string {
	if !on || strings.IndexByte(s, '?') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		b.WriteByte(c)
		if c != '?' || i == 0 || s[i-1] == ' ' || s[i-1] == '"' {
			continue
		}
		j := i + 1
		for j < len(s) && s[j] != ' ' && s[j] != '"' && s[j] != ',' {
			j++
		}
		if j > i+1 {
			b.WriteString("REDACTED")
		}
		i = j - 1
	}
	return b.String()
}
