package testtraefik

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Route is one Ingress path as Traefik's Kubernetes Ingress provider turns
// it into a router and a service; the file provider serves the same dynamic
// configuration, so the names carry @file instead of @kubernetes.
type Route struct {
	// Namespace and Ingress name the Ingress; Ingress defaults to
	// "<Service>-ingress".
	Namespace, Ingress string
	// Host and Path are the rule (pathType Prefix).
	Host, Path string
	// Service and Port are the backend's Service and port (number or name).
	Service, Port string
	// Servers are the host:port addresses of the endpoints. None renders
	// "servers: []", what the provider writes for a Service without
	// endpoints when allowEmptyServices is on: Traefik answers 503.
	Servers []string
	// ResponseHeaderTimeout, when set, gives the service its own
	// serversTransport with forwardingTimeouts.responseHeaderTimeout, as a
	// ServersTransport referenced by the Service annotation would.
	ResponseHeaderTimeout time.Duration
	// DialTimeout likewise sets forwardingTimeouts.dialTimeout.
	DialTimeout time.Duration
}

func (r Route) ingress() string {
	if r.Ingress != "" {
		return r.Ingress
	}
	return r.Service + "-ingress"
}

// ServiceName is the provider's name of the service, without @provider:
// <namespace>-<service>-<port>.
func (r Route) ServiceName() string {
	return normalize(r.Namespace + "-" + r.Service + "-" + r.Port)
}

// RouterName is the provider's name of the router, without @provider:
// <namespace>-<ingress>-<host><path> with every run of characters other
// than letters and digits made one dash.
func (r Route) RouterName() string {
	return strings.TrimPrefix(normalize(r.Namespace+"-"+r.ingress()+"-"+r.Host+r.Path), "-")
}

// normalize is the providers' name rule: letters and digits kept, every
// other run of characters one "-", none at either end.
func normalize(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(c rune) bool {
		return !unicode.IsLetter(c) && !unicode.IsNumber(c)
	}), "-")
}

func (r Route) transport() bool { return r.ResponseHeaderTimeout > 0 || r.DialTimeout > 0 }

// staticConfig is Traefik's static configuration: one plain-HTTP
// entryPoint, the file provider, the JSON access log on stdout and the
// JSON general log at DEBUG (the level that writes the proxy's error
// lines), as the fixtures' json run.
func staticConfig(addr, dynamic string) string {
	return fmt.Sprintf(`global:
  checkNewVersion: false
  sendAnonymousUsage: false
entryPoints:
  web:
    address: %q
    transport:
      lifeCycle:
        graceTimeOut: 2s
providers:
  file:
    filename: %q
    watch: false
accessLog:
  format: json
log:
  level: DEBUG
  format: json
`, addr, dynamic)
}

// dynamicConfig renders the routers, services and serversTransports.
// YAML strings are written with %q: a Go-quoted string of these plain
// values is a valid YAML double-quoted scalar.
func dynamicConfig(routes []Route) (string, error) {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	seen := map[string]bool{}
	w("http:\n  routers:\n")
	for _, r := range routes {
		if r.Namespace == "" || r.Service == "" || r.Port == "" || r.Host == "" || !strings.HasPrefix(r.Path, "/") {
			return "", fmt.Errorf("route %+v: Namespace, Service, Port, Host and a Path starting with / are required", r)
		}
		if strings.ContainsAny(r.Host+r.Path, "`\"\\") {
			return "", fmt.Errorf("route %s%s: quotes in a rule", r.Host, r.Path)
		}
		name := r.RouterName()
		if seen[name] {
			return "", fmt.Errorf("two routes make router %s", name)
		}
		seen[name] = true
		w("    %s:\n", name)
		w("      entryPoints: [web]\n")
		w("      rule: %q\n", fmt.Sprintf("Host(`%s`) && PathPrefix(`%s`)", r.Host, r.Path))
		w("      service: %s\n", r.ServiceName())
	}
	w("  services:\n")
	done := map[string]bool{}
	for _, r := range routes {
		name := r.ServiceName()
		if done[name] {
			continue
		}
		done[name] = true
		w("    %s:\n      loadBalancer:\n        passHostHeader: true\n", name)
		if len(r.Servers) == 0 {
			w("        servers: []\n")
		} else {
			w("        servers:\n")
			for _, s := range r.Servers {
				w("          - url: %q\n", "http://"+s)
			}
		}
		if r.transport() {
			w("        serversTransport: %s\n", name)
		}
	}
	var transports []Route
	for _, r := range routes {
		if r.transport() {
			transports = append(transports, r)
		}
	}
	if len(transports) > 0 {
		w("  serversTransports:\n")
		for _, r := range transports {
			w("    %s:\n      forwardingTimeouts:\n", r.ServiceName())
			if r.ResponseHeaderTimeout > 0 {
				w("        responseHeaderTimeout: %s\n", goDuration(r.ResponseHeaderTimeout))
			}
			if r.DialTimeout > 0 {
				w("        dialTimeout: %s\n", goDuration(r.DialTimeout))
			}
		}
	}
	return b.String(), nil
}

// goDuration writes d in milliseconds, a form Traefik's duration parser
// reads ("500ms").
func goDuration(d time.Duration) string {
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}

// writeConfigs writes traefik.yml and dynamic.yml into dir and returns the
// static file's path.
func writeConfigs(dir, addr string, routes []Route) (string, error) {
	dyn, err := dynamicConfig(routes)
	if err != nil {
		return "", err
	}
	dynPath := filepath.Join(dir, "dynamic.yml")
	if err := os.WriteFile(dynPath, []byte(dyn), 0o600); err != nil {
		return "", err
	}
	static := filepath.Join(dir, "traefik.yml")
	if err := os.WriteFile(static, []byte(staticConfig(addr, dynPath)), 0o600); err != nil {
		return "", err
	}
	return static, nil
}
