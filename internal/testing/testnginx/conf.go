package testnginx

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// LogFormatUpstreamInfo is ingress-nginx's default log format (logFormatUpstream
// in internal/ingress/controller/config/config.go), verbatim.
const LogFormatUpstreamInfo = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id`

// LogFormatF5Main is F5 NGINX Ingress Controller's default access format,
// log_format main of internal/configs/version1/nginx.tmpl, verbatim (three
// quoted pieces, as the template writes it). It logs no upstream field.
const LogFormatF5Main = `'$remote_addr - $remote_user [$time_local] "$request" '
                  '$status $body_bytes_sent "$http_referer" '
                  '"$http_user_agent" "$http_x_forwarded_for"'`

// F5NoEndpointsServer is the only server F5 NGINX Ingress Controller gives
// the upstream of a Service without endpoints (NewUpstreamWithDefaultServer
// in internal/configs/version1/config.go). Nothing listens there, so nginx
// answers 502 after a refused connection.
const F5NoEndpointsServer = "127.0.0.1:8181"

// Layout is which controller's nginx.conf is rendered.
type Layout int

const (
	// LayoutIngressNginx is kubernetes/ingress-nginx (the default).
	LayoutIngressNginx Layout = iota
	// LayoutF5 is F5 NGINX Ingress Controller's Ingress template: log_format
	// main to stdout, upstreams named by Location.UpstreamName (the
	// controller's <ns>-<ingress>-<host>-<service>-<port>) with passive
	// health checks, and F5NoEndpointsServer for a Location without Servers.
	LayoutF5
	// LayoutNGF is NGINX Gateway Fabric's data plane (conf_ngf.go).
	LayoutNGF
	// LayoutKong is Kong Gateway's proxy server in plain nginx (conf_kong.go).
	LayoutKong
)

// Location is one Ingress path as ingress-nginx would render it.
type Location struct {
	Host string // server_name
	Path string // prefix, e.g. "/api/cart/"
	// UpstreamName is $proxy_upstream_name: "<namespace>-<service>-<port>".
	// With LayoutF5 it is the upstream block's name instead.
	UpstreamName string
	// Servers are the endpoints (ip:port). None means the Service has no
	// endpoints: ingress-nginx's Lua 503, emulated with return 503; with
	// LayoutF5 the upstream holds F5NoEndpointsServer.
	Servers []string
	// HTTPS proxies with TLS (backend-protocol HTTPS).
	HTTPS bool
	// SSLProtocols sets proxy_ssl_protocols, e.g. "TLSv1.2".
	SSLProtocols string
	// SSLVerify turns on proxy_ssl_verify; SSLTrustedCert defaults to an
	// unrelated CA so self-signed upstreams fail verification.
	SSLVerify      bool
	SSLTrustedCert string
	// SSLName is proxy_ssl_name (SNI and the name verified).
	SSLName string
	// Zero keeps ingress-nginx's defaults: connect 5s, read 60s, tries 3.
	ConnectTimeout    time.Duration
	ReadTimeout       time.Duration
	NextUpstreamTries int
	// MaxFails is every server's max_fails (fail_timeout stays nginx's 10s).
	// Zero renders max_fails=0, as the Lua balancer has no passive health
	// checks; 1 lets a request end in "no live upstreams" after its
	// attempts marked the other peers down.
	MaxFails int
	// Extra holds raw directives (without ';') for one-off needs.
	Extra []string
}

// confParams is everything about the run that the config text depends on.
type confParams struct {
	dir       string // prefix: pid, temp paths, certificates
	listen    string // ip:port
	workers   int
	root      bool
	layout    Layout
	locations []Location
}

// renderConf writes nginx.conf and returns its path.
func renderConf(p confParams) (string, error) {
	switch p.layout {
	case LayoutIngressNginx:
	case LayoutF5:
		return renderF5Conf(p)
	case LayoutNGF:
		return renderNGFConf(p)
	case LayoutKong:
		return renderKongConf(p)
	default:
		return "", fmt.Errorf("testnginx: unknown layout %d", p.layout)
	}
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	writeMain(w, p)
	w("  server_tokens off;")
	writeTempPaths(w, p)
	// ingress-nginx: client X-Request-ID wins, else nginx's own $request_id.
	w(`  map $http_x_request_id $req_id { default $http_x_request_id; "" $request_id; }`)
	w("  map $request_uri $loggable { default 1; }")
	// use-forwarded-headers: "true".
	w("  real_ip_header X-Forwarded-For;")
	w("  set_real_ip_from 0.0.0.0/0;")
	w("  log_format upstreaminfo '%s';", LogFormatUpstreamInfo)
	w("  access_log /dev/stdout upstreaminfo if=$loggable;")
	w("  error_log stderr notice;")
	w("  proxy_http_version 1.1;")
	w("  proxy_buffering off;")
	w("  proxy_buffer_size 4k;")
	w("  proxy_buffers 4 4k;")
	w("  proxy_connect_timeout 5s;")
	w("  proxy_send_timeout 60s;")
	w("  proxy_read_timeout 60s;")
	w("  proxy_next_upstream error timeout;")
	w("  proxy_next_upstream_tries 3;")
	w("  proxy_set_header Host $host;")
	w("  proxy_set_header X-Request-ID $req_id;")
	w("  proxy_set_header X-Real-IP $remote_addr;")
	w("  proxy_set_header X-Forwarded-For $remote_addr;")
	w(`  proxy_set_header Connection "";`)

	for i, l := range p.locations {
		if len(l.Servers) == 0 {
			continue
		}
		w("  upstream %s {", upstreamBlock(i, l))
		for _, s := range l.Servers {
			w("    server %s max_fails=%d;", s, l.MaxFails)
		}
		w("  }")
	}

	// Catch-all server: ingress-nginx's default backend, not access-logged.
	w("  server {")
	w("    listen %s default_server;", p.listen)
	w("    server_name _;")
	w(`    set $proxy_upstream_name "upstream-default-backend";`)
	w(`    set $proxy_alternative_upstream_name "";`)
	w("    access_log off;")
	w("    location / { return 404; }")
	w("  }")

	hosts, byHost := groupByHost(p.locations)
	for _, h := range hosts {
		w("  server {")
		w("    listen %s;", p.listen)
		w("    server_name %s;", h)
		w(`    set $proxy_upstream_name "-";`)
		w(`    set $proxy_alternative_upstream_name "";`)
		hasRoot := false
		for _, i := range byHost[h] {
			l := p.locations[i]
			hasRoot = hasRoot || l.Path == "/"
			if err := writeLocation(w, p.dir, i, l); err != nil {
				return "", err
			}
		}
		if !hasRoot {
			// Unmatched paths go to the default backend, unlogged, rather
			// than to nginx's static root (which would log open() errors).
			w(`    location / { set $proxy_upstream_name "upstream-default-backend"; access_log off; return 404; }`)
		}
		w("  }")
	}
	w("}")

	path := filepath.Join(p.dir, "nginx.conf")
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}

func writeLocation(w func(string, ...any), dir string, i int, l Location) error {
	if l.Host == "" || !strings.HasPrefix(l.Path, "/") || l.UpstreamName == "" {
		return fmt.Errorf("testnginx: location %d needs Host, Path starting with / and UpstreamName: %+v", i, l)
	}
	w("    location %s {", l.Path)
	w(`      set $proxy_upstream_name "%s";`, l.UpstreamName)
	if len(l.Servers) == 0 {
		w("      return 503;")
		w("    }")
		return nil
	}
	if l.ConnectTimeout > 0 {
		w("      proxy_connect_timeout %s;", nginxDuration(l.ConnectTimeout))
	}
	if l.ReadTimeout > 0 {
		w("      proxy_read_timeout %s;", nginxDuration(l.ReadTimeout))
	}
	if l.NextUpstreamTries > 0 {
		w("      proxy_next_upstream_tries %d;", l.NextUpstreamTries)
	}
	scheme := "http"
	if l.HTTPS {
		scheme = "https"
		w("      proxy_ssl_server_name on;")
		if l.SSLName != "" {
			w("      proxy_ssl_name %s;", l.SSLName)
		}
		if l.SSLProtocols != "" {
			w("      proxy_ssl_protocols %s;", l.SSLProtocols)
		}
		if l.SSLVerify {
			trusted := l.SSLTrustedCert
			if trusted == "" {
				trusted = filepath.Join(dir, "unrelated-ca.crt")
			}
			w("      proxy_ssl_verify on;")
			w("      proxy_ssl_verify_depth 1;")
			w("      proxy_ssl_trusted_certificate %s;", trusted)
		}
	}
	for _, d := range l.Extra {
		w("      %s;", d)
	}
	w("      proxy_pass %s://%s;", scheme, upstreamBlock(i, l))
	w("    }")
	return nil
}

func upstreamBlock(i int, l Location) string {
	return fmt.Sprintf("ups%d_%s", i, l.UpstreamName)
}

// nginxDuration keeps sub-second timeouts exact, which "Ns" could not.
func nginxDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return fmt.Sprintf("%dms", d/time.Millisecond)
}

// writeMain writes what both layouts share before the http block's own
// settings: the process, the error log at notice (both controllers'
// default) and the opening of http.
func writeMain(w func(string, ...any), p confParams) {
	if p.root {
		// As root, workers would otherwise drop to nobody and lose access to
		// the 0700 temp dir.
		w("user root;")
	}
	w("daemon off;")
	w("master_process on;")
	w("worker_processes %d;", p.workers)
	w("pid %s;", filepath.Join(p.dir, "nginx.pid"))
	w("error_log stderr notice;")
	w("worker_shutdown_timeout 5s;")
	w("events { worker_connections 1024; }")
	w("http {")
}

// writeTempPaths keeps every temp file in the test's directory.
func writeTempPaths(w func(string, ...any), p confParams) {
	for _, d := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		w("  %s_temp_path %s;", d, filepath.Join(p.dir, d+"_temp"))
	}
}

// groupByHost returns the hosts of locs in the order they first appear and,
// for each, the indexes of its locations in locs: one server block per host,
// its locations in the caller's order.
func groupByHost(locs []Location) ([]string, map[string][]int) {
	var hosts []string
	byHost := map[string][]int{}
	for i, l := range locs {
		if _, ok := byHost[l.Host]; !ok {
			hosts = append(hosts, l.Host)
		}
		byHost[l.Host] = append(byHost[l.Host], i)
	}
	return hosts, byHost
}
