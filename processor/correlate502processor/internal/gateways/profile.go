// Package gateways holds one profile per proxy whose logs the receiver
// reads: how evidence names the proxy, how its upstream names resolve to a
// Service, the addresses it uses for "no endpoints", whether it names
// groups of servers or single servers, and which of its settings a
// remediation names. The rules in package diagnose are the same for every
// proxy; they look the profile up once per judgement and never ask which
// proxy it is.
//
// A new gateway is one file here: a Profile passed to register in init.
package gateways

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
)

// Profile is what the diagnosis needs to know about one proxy.
type Profile struct {
	// Name is the k8s502.gateway value the receiver writes (its format).
	Name string
	// Words is how evidence and remediations name the proxy ("HAProxy").
	Words string
	// NamesGroups: a peer that is not an address names a group of servers
	// (an nginx upstream block, logged when every server had failed), and
	// no peer at all means the proxy contacted none. Without it, such a peer
	// names one server (HAProxy's SRV_1), whose address the Service's
	// endpoints then say.
	NamesGroups bool
	// Sentinels are peer addresses the proxy sends a request to when its
	// Service has no endpoints; nothing listens there, so the request fails
	// as if a pod had refused it.
	Sentinels []string
	// Silent is the status the proxy answers by itself for a Service without
	// ready endpoints when that answer leaves no trace in its default log (no
	// error line, no upstream): the line cannot be told from the
	// application's own, and only cluster state can say which it was. Nil
	// for proxies that log such an answer.
	Silent *SilentAnswer
	// Resolve returns the Service ports an upstream name can mean, the
	// preferred first. peer is the host of the failed attempt as logged
	// (an IP, or a name when the proxy logged no address). It may only ask
	// the generic questions of Services.
	Resolve func(s Services, upstream, peer string) []cluster.UpstreamMatch
	// Knobs names the proxy's settings for route r.
	Knobs func(r Route) Knobs

	// Whole remediations, for proxies whose settings are precise enough to
	// name the value (ingress-nginx's annotations). Each may be nil, or
	// return "", and the rule builds its text from Knobs.
	TLSFix          func(p TLSProblem, r Route) string
	HeaderBufferFix func(r Route) string
	KeepaliveFix    func(r Route) string
}

// SilentAnswer is a status a proxy gives for a Service without ready
// endpoints without logging why.
type SilentAnswer struct {
	Status int
	// How completes "<Words> answers <Status> itself ...".
	How string
}

// Services is what resolvers may ask of the cluster state: generic lookups
// that know nothing about any proxy's naming.
type Services interface {
	Service(ns, name string) (*corev1.Service, bool)
	ServicesInNamespace(ns string) []*corev1.Service
}

// Route is what a remediation can name about the failed request's way
// through the proxy.
type Route struct {
	// Ingress names the Ingress by the Service it routes to, since the
	// cluster state holds no Ingresses: "the Ingress routing to service
	// shop/checkout", or "the Ingress" when the Service is unknown.
	Ingress            string
	Namespace, Service string // the target Service; "" when unknown
	Address            string // the failed attempt's peer
	// ControllerNamespace is where the pod that logged the request runs,
	// from the record's resource ("" when not known).
	ControllerNamespace string
}

// Knobs are the settings that remediations name, in the proxy's own
// vocabulary: an ingress-nginx annotation means nothing to a Traefik user.
type Knobs struct {
	ReadTimeout    string // raise the time allowed for the response
	ConnectTimeout string
	BackendTLS     string // where TLS to the backend is switched on or off
	TrustCA        string // where the backend's CA goes
	Keepalive      string // how to make the proxy's idle upstream connections shorter-lived than the app's
	HeaderBuffer   string // how to allow bigger response headers
}

// TLSProblem is what went wrong in a TLS handshake with the upstream.
type TLSProblem uint8

const (
	TLSPlainHTTP TLSProblem = iota // the upstream answered in plain HTTP
	TLSVersion                     // no protocol version in common
	TLSName                        // the certificate is for another name
	TLSExpired
	TLSUntrusted // the certificate's issuer is not trusted
	TLSOther
)

// profiles maps k8s502.gateway values to profiles; filled by init
// functions, read only afterwards.
var profiles = map[string]*Profile{}

func register(p *Profile) {
	if p.Name == "" || p.Words == "" || p.Resolve == nil || p.Knobs == nil {
		panic(fmt.Sprintf("gateways: profile %q is incomplete", p.Name))
	}
	if _, dup := profiles[p.Name]; dup {
		panic(fmt.Sprintf("gateways: profile %q registered twice", p.Name))
	}
	profiles[p.Name] = p
}

// Lookup returns the profile of the proxy that logged a record. Records
// from before the receiver's format option carry no gateway: they are
// ingress-nginx's. A name no profile knows gets the generic one, speaking
// of "the gateway's" settings.
func Lookup(gateway string) *Profile {
	if gateway == "" {
		gateway = schema.GatewayIngressNginx
	}
	if p := profiles[gateway]; p != nil {
		return p
	}
	return generic(gateway)
}
