// Package schema names every attribute and enumerated value that k8s502
// components write on a log record. The receiver creates records with these
// names; the correlate502 processor only adds to them. Keeping the names in one
// file is what lets both sides (and users' queries) agree.
package schema

// Semantic-convention attributes (https://opentelemetry.io/docs/specs/semconv/).
const (
	HTTPRequestMethod      = "http.request.method"
	URLPath                = "url.path"
	URLQuery               = "url.query"
	NetworkProtocolVersion = "network.protocol.version"
	HTTPResponseStatusCode = "http.response.status_code"
	HTTPResponseBodySize   = "http.response.body.size"
	HTTPRequestSize        = "http.request.size"
	ClientAddress          = "client.address"
	UserAgentOriginal      = "user_agent.original"
	ServerAddress          = "server.address"

	// Resource attributes taken from the /var/log/pods/<ns>_<pod>_<uid>/<container>/ path.
	K8sNamespaceName = "k8s.namespace.name"
	K8sPodName       = "k8s.pod.name"
	K8sPodUID        = "k8s.pod.uid"
	K8sContainerName = "k8s.container.name"
)

// k8s502's own attributes. Lists are OTLP array values.
const (
	Gateway   = "k8s502.gateway"    // which parser produced the record, e.g. "ingress-nginx"
	RequestID = "k8s502.request.id" // $req_id
	// RecordID is the record's deterministic identity: a hash of the log
	// stream, the file offset and the bytes of the line it came from. A line
	// read twice (after a crash) gives the same id, so every hop and the
	// backend can drop repeats by it.
	RecordID        = "k8s502.record.id"
	RequestDuration = "k8s502.request.duration" // seconds, double
	UpstreamName    = "k8s502.upstream.name"    // the proxy's own name for the upstream, verbatim ("<ns>-<svc>-<port>" in ingress-nginx)
	// The Kubernetes Service behind the upstream, when the proxy's naming
	// scheme says it without ambiguity (HAProxy backends, Envoy/Istio and
	// Contour clusters); absent otherwise, and the processor then resolves
	// k8s502.upstream.name itself.
	UpstreamServiceNamespace = "k8s502.upstream.service.namespace"
	UpstreamServiceName      = "k8s502.upstream.service.name"
	UpstreamServicePort      = "k8s502.upstream.service.port" // number or port name, as the proxy wrote it
	// The proxy's own failure signal, verbatim: HAProxy's termination state
	// ("sC--"), Envoy's response flags ("URX,UF") with its response code
	// details, Traefik's origin status. k8s502.error.kind is derived from it.
	GatewayFailureSignal    = "k8s502.gateway.failure_signal"
	UpstreamAlternativeName = "k8s502.upstream.alternative_name" // canary backend
	UpstreamAddresses       = "k8s502.upstream.addresses"        // []string, one per attempt
	UpstreamStatuses        = "k8s502.upstream.statuses"         // []string, one per attempt ("-" kept)
	UpstreamResponseTimes   = "k8s502.upstream.response_times"   // []double, one per attempt
	UpstreamResponseLengths = "k8s502.upstream.response_lengths" // []int, one per attempt
	Origin                  = "k8s502.origin"
	Outcome                 = "k8s502.outcome"
	ErrorKind               = "k8s502.error.kind"
	ErrorMessage            = "k8s502.error.message"
	ErrorCount              = "k8s502.error.count"
	ErrorUpstream           = "k8s502.error.upstream" // the peer named by the chosen error line
	ErrorKinds              = "k8s502.error.kinds"    // []string, one per joined error line, in order
)

// Values of k8s502.gateway: the receiver's format option, which names the
// proxy whose logs were read.
const (
	GatewayIngressNginx = "ingress-nginx"
	GatewayNginx        = "nginx"
	GatewayF5Nginx      = "f5-nginx-ingress"
	GatewayHAProxy      = "haproxy"
	GatewayTraefik      = "traefik"
	GatewayEnvoy        = "envoy"
	GatewayNGF          = "nginx-gateway-fabric"
	GatewayKong         = "kong"
	GatewayCilium       = "cilium"
)

// Values of k8s502.origin: who produced the status the client saw.
const (
	OriginGateway  = "gateway"  // the proxy synthesized it after an upstream failure
	OriginUpstream = "upstream" // the application returned it
	OriginLocal    = "local"    // no upstream was contacted (no endpoints, rate limit)
	OriginClient   = "client"   // the client went away first (nginx 499)
)

// Values of k8s502.outcome.
const (
	OutcomeFailed    = "failed"    // the final status is one of the watched statuses
	OutcomeRecovered = "recovered" // an attempt failed but a retry answered
	OutcomeTruncated = "truncated" // the client got a non-failure status but the upstream misbehaved (cut body, bad chunking, HTTP/0.9)
	OutcomeUnmatched = "unmatched" // an upstream error line whose access line never arrived
)

// Values of k8s502.error.kind: what went wrong between the gateway and the upstream.
const (
	ErrConnectRefused   = "connect_refused"
	ErrConnectTimeout   = "connect_timeout"
	ErrReadTimeout      = "read_timeout"
	ErrPrematureClose   = "premature_close"
	ErrConnectionReset  = "connection_reset"
	ErrInvalidHeader    = "invalid_header"
	ErrTooBigHeader     = "too_big_header"
	ErrInvalidChunked   = "invalid_chunked"
	ErrNoLiveUpstreams  = "no_live_upstreams" // no usable peer at all: nginx "no live upstreams", HAProxy <NOSRV>, Envoy UH, Traefik "no available server"
	ErrTLSHandshake     = "tls_handshake"
	ErrTLSCertificate   = "tls_certificate"
	ErrHostUnreachable  = "host_unreachable"
	ErrRateLimited      = "rate_limited"
	ErrUpstreamDisabled = "upstream_disabled" // nginx marked a peer down after max_fails (warn level)
	ErrProtocol         = "protocol_error"    // the upstream's response was not valid HTTP (HAProxy PH, Envoy UPE, Traefik malformed response)
	ErrQueueTimeout     = "queue_timeout"     // the request waited for a free upstream slot and gave up (HAProxy sQ)
	ErrOverflow         = "upstream_overflow" // circuit breaker / connection limit refused the request (Envoy UO)
	ErrOther            = "other"
)

// Attributes the correlate502 processor adds.
const (
	TargetNamespace = "k8s502.target.namespace"
	TargetService   = "k8s502.target.service"
	TargetPort      = "k8s502.target.port"
	TargetPod       = "k8s502.target.pod"
	TargetNode      = "k8s502.target.node"
	TargetWorkload  = "k8s502.target.workload" // "Deployment/checkout"
	TargetAddress   = "k8s502.target.address"  // the upstream address judged (the failed attempt)

	// Incidents: one record per cause at one target over a window of
	// requests (event.name k8s502.incident); every request record names its
	// incident.
	EventName            = "event.name"
	EventNameIncident    = "k8s502.incident"
	IncidentID           = "k8s502.incident.id"
	IncidentState        = "k8s502.incident.state" // open | closed
	IncidentCount        = "k8s502.incident.count" // requests
	IncidentFirstRequest = "k8s502.incident.first_request_time"
	IncidentLastRequest  = "k8s502.incident.last_request_time"
	IncidentStatuses     = "k8s502.incident.statuses"           // []int, final statuses clients got
	IncidentFailed       = "k8s502.incident.requests.failed"    // clients got the error
	IncidentRecovered    = "k8s502.incident.requests.recovered" // a retry answered
	IncidentTruncated    = "k8s502.incident.requests.truncated" // the response broke after a success status
	IncidentSamples      = "k8s502.incident.sample_request_ids" // []string
	IncidentTimeline     = "k8s502.incident.timeline"           // []string, "<time> <signal> <object>", oldest first
	IncidentStateOpen    = "open"
	IncidentStateClosed  = "closed"
	Cause                = "k8s502.cause"
	CauseConfidence      = "k8s502.cause.confidence" // high | medium | low
	Evidence             = "k8s502.evidence"         // []string, each with time and object
	RuledOut             = "k8s502.ruled_out"        // []string
	Remediation          = "k8s502.remediation"
	// When two or more attempts of one request failed at different
	// addresses, each is judged: the pod and cause of every failed attempt,
	// in attempt order ("" where no pod is known).
	AttemptPods   = "k8s502.attempt.pods"   // []string
	AttemptCauses = "k8s502.attempt.causes" // []string
)

// Values of k8s502.cause.
const (
	CauseReadinessProbe   = "readiness_probe"
	CausePodCrash         = "pod_crash"
	CauseNoEndpoints      = "no_endpoints"
	CauseNetworkPolicy    = "network_policy"
	CauseUpstreamTimeout  = "upstream_timeout"
	CauseTLSHandshake     = "tls_handshake"
	CauseRolloutGap       = "rollout_gap"
	CausePodTermination   = "pod_termination"
	CauseKeepaliveRace    = "keepalive_race"
	CauseUpstreamAppError = "upstream_app_error"
	CauseRateLimited      = "rate_limited"
	CauseProtocolError    = "upstream_protocol_error"
	// The Service's targetPort is a port the pod's containers do not declare.
	CauseTargetPortMismatch = "target_port_mismatch"
	CauseUnknown            = "unknown"
)

// Values of k8s502.cause.confidence.
const (
	ConfidenceHigh   = "high"
	ConfidenceMedium = "medium"
	ConfidenceLow    = "low"
)
