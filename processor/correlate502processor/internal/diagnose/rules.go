package diagnose

import "github.com/k8s502/otelcol-k8s502/internal/schema"

// rule is one row of the table: when it applies, and the check that either
// claims the record (cause, confidence, evidence, remediation) or adds what
// it ruled out.
type rule struct {
	name    string // as in the README's table of causes
	applies func(j *judge) bool
	claims  func(j *judge) bool
}

// rules are tried in this order; the first that applies and claims the
// record wins, and when none does the cause is unknown. The README's table
// "Causes and their rules" lists them in the same order
// (TestRulesInREADMEOrder). What the record states outright comes first: a
// rate limit and the app's own answer always claim when they apply, so no
// later rule sees those records. Then the Service had no endpoint at all;
// then the pod's lifecycle (deleted, crashed, mid-rollout, unready, already
// gone, listening elsewhere) explains a connection error better than its
// kind; then the path (network policy) and the error kind alone, the last
// resort.
var rules = []rule{
	{"rate_limited", rateLimitApplies, rateLimited},
	{"app_error", appAnswered, upstreamAppError},
	{"no_endpoints", notFromUpstream, noEndpoints},
	{"pod_termination", always, podTermination},
	{"pod_crash", always, podCrash},
	{"rollout_gap", always, rolloutGap},
	{"readiness_probe", always, readinessProbe},
	{"pods_gone", always, podsGone},
	{"target_port_mismatch", always, targetPortMismatch},
	{"network_policy", always, networkPolicy},
	{"tls_handshake", always, tlsHandshake},
	{"protocol_error", always, protocolError},
	{"upstream_timeout", always, upstreamTimeout},
	{"keepalive_race", always, keepaliveRace},
	// The app answered, then the response broke (cut body, bad chunking)
	// and no lifecycle or transport rule explained it.
	{"response_broke", fromUpstream, upstreamAppError},
}

func always(*judge) bool { return true }

// rateLimitApplies: the proxy's own rate limit refused the request.
func rateLimitApplies(j *judge) bool { return j.f.ErrorKind == schema.ErrRateLimited }

// appAnswered: the app returned the status itself and the proxy logged no
// error with it. Not when the peer was the proxy's own "no endpoints"
// sentinel, nor when the proxy answers such a status silently for a
// Service without endpoints and the Service is known: cluster state then
// says which it was (no_endpoints, else the app at medium). A silent status
// whose Service is unknown stays here, at medium at most.
func appAnswered(j *judge) bool {
	return j.f.Origin == schema.OriginUpstream && j.f.ErrorKind == "" && !j.sentinel && !(j.silent && j.svc != nil)
}

// notFromUpstream: the status is the proxy's, or may be (its sentinel, its
// silent answer), so the Service may have had no endpoint to send the
// request to.
func notFromUpstream(j *judge) bool {
	return j.f.Origin != schema.OriginUpstream || j.sentinel || j.silent
}

func fromUpstream(j *judge) bool { return j.f.Origin == schema.OriginUpstream }
