package testnginx

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// renderF5Conf writes the nginx.conf F5 NGINX Ingress Controller renders
// for Ingress resources with its defaults (internal/configs/version1/
// nginx.tmpl and nginx.ingress.tmpl, internal/configs/config_params.go):
// the main format to stdout, the error log at notice on stderr, one
// upstream per Service port with max_fails=1 fail_timeout=10s, and
// 127.0.0.1:8181 for a Service without endpoints. Location timeouts stand in
// for the nginx.org/proxy-*-timeout annotations, HTTPS for
// nginx.org/ssl-services.
func renderF5Conf(p confParams) (string, error) {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	writeMain(w, p) // F5's MainErrorLogLevel is "notice" too
	w("  default_type application/octet-stream;")
	writeTempPaths(w, p)
	w("  log_format  main  %s;", LogFormatF5Main)
	// MainAccessLog "/dev/stdout main".
	w("  access_log /dev/stdout main;")
	w("  sendfile on;")
	w("  keepalive_timeout 75s;")
	w("  keepalive_requests 1000;")
	// ConfigMap set-real-ip-from / real-ip-header: the client is the one in
	// X-Forwarded-For, in the access and the error log alike.
	w("  set_real_ip_from 127.0.0.1;")
	w("  real_ip_header X-Forwarded-For;")

	seen := map[string]bool{}
	for i, l := range p.locations {
		if l.Host == "" || !strings.HasPrefix(l.Path, "/") || l.UpstreamName == "" {
			return "", fmt.Errorf("testnginx: location %d needs Host, Path starting with / and UpstreamName: %+v", i, l)
		}
		if l.SSLVerify || l.SSLTrustedCert != "" || l.SSLName != "" || l.SSLProtocols != "" {
			return "", fmt.Errorf("testnginx: location %d: F5's Ingress template has no upstream TLS settings besides HTTPS (nginx.org/ssl-services)", i)
		}
		if seen[l.UpstreamName] {
			return "", fmt.Errorf("testnginx: location %d: upstream %s is rendered once; give each location its own", i, l.UpstreamName)
		}
		seen[l.UpstreamName] = true
		servers := l.Servers
		if len(servers) == 0 {
			servers = []string{F5NoEndpointsServer}
		}
		w("  upstream %s {", l.UpstreamName)
		w("    zone %s 256k;", l.UpstreamName)
		w("    random two least_conn;")
		for _, s := range servers {
			w("    server %s max_fails=1 fail_timeout=10s max_conns=0;", s)
		}
		w("  }")
	}

	// The default server answers unknown hosts with 404, and is logged.
	w("  server {")
	w("    listen %s default_server;", p.listen)
	w("    server_name _;")
	w(`    server_tokens "on";`)
	w("    location / { return 404; }")
	w("  }")

	hosts, byHost := groupByHost(p.locations)
	for _, h := range hosts {
		w("  server {")
		w("    listen %s;", p.listen)
		w(`    server_tokens "on";`)
		w("    server_name %s;", h)
		for _, i := range byHost[h] {
			writeF5Location(w, p.locations[i])
		}
		w("  }")
	}
	w("}")

	path := filepath.Join(p.dir, "nginx.conf")
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}

func writeF5Location(w func(string, ...any), l Location) {
	timeout := func(set, def string) string {
		if set != "" {
			return set
		}
		return def
	}
	var connect, read string
	if l.ConnectTimeout > 0 {
		connect = nginxDuration(l.ConnectTimeout)
	}
	if l.ReadTimeout > 0 {
		read = nginxDuration(l.ReadTimeout)
	}
	w("    location %s {", l.Path)
	w("      proxy_http_version 1.1;")
	w("      proxy_connect_timeout %s;", timeout(connect, "60s"))
	w("      proxy_read_timeout %s;", timeout(read, "60s"))
	w("      proxy_send_timeout 60s;")
	w("      client_max_body_size 1m;")
	w("      proxy_set_header Host $host;")
	w("      proxy_set_header X-Real-IP $remote_addr;")
	w("      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;")
	w("      proxy_set_header X-Forwarded-Host $host;")
	w("      proxy_set_header X-Forwarded-Port $server_port;")
	w("      proxy_set_header X-Forwarded-Proto $scheme;")
	w("      proxy_buffering on;")
	if l.NextUpstreamTries > 0 {
		w("      proxy_next_upstream_tries %d;", l.NextUpstreamTries)
	}
	for _, d := range l.Extra {
		w("      %s;", d)
	}
	scheme := "http"
	if l.HTTPS {
		scheme = "https"
	}
	w("      proxy_pass %s://%s;", scheme, l.UpstreamName)
	w("    }")
}
