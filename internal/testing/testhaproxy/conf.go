package testhaproxy

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// LogFormat is haproxytech/kubernetes-ingress's default log-format
// (pkg/haproxy/env/defaults.go SetDefaults), verbatim.
const LogFormat = `%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs "%HM %[var(txn.base)] %HV"`

// DefaultBackend is the controller's own default backend: it answers 404
// to requests no Ingress routes.
const DefaultBackend = "haproxy-controller_svc_default-local-service_http"

// DefaultSlots is how many server lines a backend gets; the controller
// pre-allocates slots and renders unused ones disabled.
const DefaultSlots = 4

// Backend is one Ingress path and the backend the controller renders for
// its Service port.
type Backend struct {
	Host string // matched on the Host header without its port
	Path string // path_beg prefix, e.g. "/api/cart/"
	// Namespace, Service and Port (the Ingress's port name or number) make
	// the backend name <ns>_svc_<svc>_<port>.
	Namespace, Service, Port string
	// Servers are the endpoints (ip:port), rendered SRV_1, SRV_2, ...; the
	// rest of the slots are "127.0.0.1:1 disabled". None means the Service
	// has no endpoints: every slot is disabled.
	Servers []string
	// Check renders "default-server check" (the controller's default; the
	// Service annotation check: "false" turns it off).
	Check bool
	// Slots is the number of server lines; 0 means DefaultSlots.
	Slots int
	// Zero keeps the controller's defaults (connect 5s, server 50s); these
	// stand in for the timeout-server / timeout-connect annotations.
	TimeoutServer  time.Duration
	TimeoutConnect time.Duration
}

// Name is the controller's backend name (pkg/service GetBackendName).
func (b Backend) Name() string {
	return b.Namespace + "_svc_" + b.Service + "_" + b.Port
}

// renderConf writes haproxy.cfg and returns its path. The global and
// defaults sections are the controller's, with the log target its
// ConfigMap key syslog-server "address:stdout, format: raw, facility:local0"
// produces.
func renderConf(dir, listen string, backends []Backend) (string, error) {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	w("global")
	w("  master-worker")
	w("  pidfile %s", filepath.Join(dir, "haproxy.pid"))
	w("  hard-stop-after 5s")
	w("  log stdout format raw local0")
	w("")
	w("defaults haproxytech")
	w("  mode http")
	w("  log global")
	w("  log-format '%s'", LogFormat)
	w("  option dontlognull")
	w("  option http-keep-alive")
	w("  timeout http-request 5000")
	w("  timeout connect 5000")
	w("  timeout client 50000")
	w("  timeout queue 5000")
	w("  timeout server 50000")
	w("  timeout tunnel 3600000")
	w("  timeout http-keep-alive 60000")
	w("")
	w("frontend http from haproxytech")
	w("  mode http")
	w("  bind %s", listen)
	w("  http-request set-var(txn.base) base")
	seen := map[string]bool{}
	for _, be := range backends {
		if be.Host == "" || be.Path == "" || be.Namespace == "" || be.Service == "" || be.Port == "" {
			return "", fmt.Errorf("backend %+v: Host, Path, Namespace, Service and Port are required", be)
		}
		if strings.ContainsAny(be.Host+be.Path, " \t'\"{}") {
			return "", fmt.Errorf("backend %s: host and path must not hold spaces, quotes or braces", be.Name())
		}
		w("  use_backend %s if { hdr(host),field(1,:) -i %s } { path_beg %s }", be.Name(), be.Host, be.Path)
	}
	w("  default_backend %s", DefaultBackend)
	for _, be := range backends {
		name := be.Name()
		if seen[name] {
			continue // two paths to one Service port share its backend
		}
		seen[name] = true
		slots := be.Slots
		if slots == 0 {
			slots = DefaultSlots
		}
		if len(be.Servers) > slots {
			return "", fmt.Errorf("backend %s: %d servers do not fit %d slots", name, len(be.Servers), slots)
		}
		w("")
		w("backend %s from haproxytech", name)
		w("  mode http")
		w("  balance roundrobin")
		w("  option forwardfor")
		if be.Check {
			w("  default-server check")
		}
		if be.TimeoutServer > 0 {
			w("  timeout server %dms", be.TimeoutServer.Milliseconds())
		}
		if be.TimeoutConnect > 0 {
			w("  timeout connect %dms", be.TimeoutConnect.Milliseconds())
		}
		for i := range slots {
			if i < len(be.Servers) {
				w("  server SRV_%d %s", i+1, be.Servers[i])
			} else {
				w("  server SRV_%d 127.0.0.1:1 disabled", i+1)
			}
		}
	}
	w("")
	w("backend %s from haproxytech", DefaultBackend)
	w("  mode http")
	w(`  http-request return status 404 content-type text/plain string "404 page not found"`)
	path := filepath.Join(dir, "haproxy.cfg")
	return path, os.WriteFile(path, []byte(b.String()), 0o600)
}
