package diagnose

import (
	"fmt"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// protocolError: the upstream answered, but not with valid HTTP that the
// proxy could pass on (bad header, header larger than the proxy's buffer,
// broken chunked encoding, HTTP/0.9). The pod is up; the response is the
// problem.
func protocolError(j *judge) bool {
	var rem string
	switch j.f.ErrorKind {
	case schema.ErrTooBigHeader:
		rem = "the response headers (often large Set-Cookie) exceed the gateway's header buffer: " + j.knobs().HeaderBuffer
		if fix := j.gw.HeaderBufferFix; fix != nil {
			if s := fix(j.route()); s != "" {
				rem = s
			}
		}
	case schema.ErrInvalidHeader, schema.ErrProtocol:
		rem = "the application sent a malformed status line or header (see the message); fix the app, or its proxy/sidecar, so it speaks HTTP/1.x correctly"
	case schema.ErrInvalidChunked:
		rem = "the application's chunked body is malformed: fix its streaming code (or set Content-Length)"
	default:
		j.ruledOut("the upstream's responses were valid HTTP")
		return false
	}
	return j.claim(schema.CauseProtocolError, schema.ConfidenceHigh, rem,
		fmt.Sprintf("%s (%s) answered with invalid HTTP at %s: %s", j.result.Target.Address, j.podRef(), j.ts(j.f.Time), j.f.ErrorMessage))
}
