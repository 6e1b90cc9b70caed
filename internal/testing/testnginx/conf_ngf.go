package testnginx

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// NGF names, as NGINX Gateway Fabric v2.6.7 writes them into its data
// plane's nginx.conf (internal/controller/nginx/config/upstreams.go and
// servers_template.go; internal/controller/nginx/types/types.go).
const (
	// NGFInvalidBackendRef is the upstream every rule with an invalid
	// backendRef (a Service that does not exist, a refused cross-namespace
	// reference) is sent to. As a Location's UpstreamName it renders that
	// rule: nginx answers 500 from an internal server and logs no error.
	NGFInvalidBackendRef = "invalid-backend-ref"
	// NGFErrorLevel is NginxProxy spec.logging.errorLevel's default
	// (dataplane.defaultErrorLogLevel). At info nginx also logs every
	// keep-alive connection the client closes.
	NGFErrorLevel = "info"
	// ngf503Socket and ngf500Socket are the internal servers' unix sockets
	// (/var/run/nginx/… in the data plane), here in the run's directory.
	ngf503Socket = "nginx-503-server.sock"
	ngf500Socket = "nginx-500-server.sock"
)

// renderNGFConf writes the nginx.conf NGINX Gateway Fabric generates for
// HTTPRoutes with its defaults. NGF sets no log_format and no access_log,
// so nginx logs "combined" to its compiled-in /var/log/nginx/access.log,
// which the data-plane image links to /dev/stdout; error_log goes to
// stderr at NGFErrorLevel. Each backendRef's Service port is one upstream
// named <namespace>_<service>_<port> with NGF's "random two least_conn",
// a 512k zone, keepalive 16 and nginx's default max_fails=1
// fail_timeout=10s. A Service without endpoints gets the 503 unix server;
// NGFInvalidBackendRef the 500 one. Location timeouts stand in for a
// ProxySettingsPolicy (written as NGF does, an include file per policy),
// HTTPS with SSLVerify for a BackendTLSPolicy. The client IP comes from
// X-Forwarded-For as NginxProxy spec.rewriteClientIP mode XForwardedFor
// with 127.0.0.1 trusted renders it: combined has no X-Forwarded-For.
func renderNGFConf(p confParams) (string, error) {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	if err := writeNGFMain(w, p); err != nil {
		return "", err
	}
	// internal/controller/nginx/conf/nginx.conf: the static http settings.
	w("  default_type application/octet-stream;")
	w("  proxy_headers_hash_bucket_size 512;")
	w("  proxy_headers_hash_max_size 1024;")
	w("  server_names_hash_bucket_size 512;")
	w("  server_names_hash_max_size 1024;")
	w("  variables_hash_bucket_size 512;")
	w("  variables_hash_max_size 1024;")
	w("  map_hash_bucket_size 512;")
	w("  map_hash_max_size 2048;")
	w("  sendfile on;")
	w("  tcp_nopush on;")
	writeTempPaths(w, p)
	// NGF's image links /var/log/nginx/access.log, nginx's compiled-in
	// default, to /dev/stdout; Debian's nginx would write the file, so the
	// default is spelled out: same path for the bytes, same format.
	w("  access_log /dev/stdout combined;")
	// base_http_config_template.go.
	w("  map $http_host $gw_api_compliant_host { '' $host; default $http_host; }")
	w("  map $http_upgrade $connection_upgrade { default upgrade; '' close; }")
	w("  map $http_upgrade $connection_keepalive { default upgrade; '' ''; }")
	w(`  map $request_uri $request_uri_path { "~^(?P<path>[^?]*)(\?.*)?$" $path; }`)
	w("  server_tokens off;")

	seen := map[string]bool{}
	for i, l := range p.locations {
		if err := checkNGFLocation(i, l); err != nil {
			return "", err
		}
		if l.UpstreamName == NGFInvalidBackendRef {
			continue
		}
		if seen[l.UpstreamName] {
			continue // one upstream per Service port, shared by its routes
		}
		seen[l.UpstreamName] = true
		w("  upstream %s {", l.UpstreamName)
		w("    random two least_conn;")
		w("    zone %s 512k;", l.UpstreamName)
		servers := l.Servers
		if len(servers) == 0 {
			servers = []string{"unix:" + filepath.Join(p.dir, ngf503Socket)}
		}
		for _, s := range servers {
			w("    server %s;", s)
		}
		w("    keepalive 16;")
		w("  }")
	}
	// createInvalidBackendRefUpstream, always rendered: no zone, no
	// method, no keepalive.
	w("  upstream %s {", NGFInvalidBackendRef)
	w("    server unix:%s;", filepath.Join(p.dir, ngf500Socket))
	w("  }")

	realIP := func() {
		w("    set_real_ip_from 127.0.0.1/32;")
		w("    real_ip_header X-Forwarded-For;")
		w("    real_ip_recursive on;")
	}
	// The listener's default server: unknown hosts get nginx's own 404.
	w("  server {")
	w("    listen %s default_server;", p.listen)
	realIP()
	w("    default_type text/html;")
	w("    return 404;")
	w("  }")

	hosts, byHost := groupByHost(p.locations)
	for _, h := range hosts {
		w("  server {")
		w("    listen %s;", p.listen)
		w("    server_name %s;", h)
		realIP()
		root := false
		for _, i := range byHost[h] {
			l := p.locations[i]
			root = root || l.Path == "/"
			if err := writeNGFLocation(w, p.dir, l); err != nil {
				return "", err
			}
		}
		if !root {
			// createDefaultRootLocation: no rule matches "/".
			w(`    location = / { return 404 ""; }`)
		}
		w("  }")
	}
	// The internal servers behind the 503 and 500 upstreams, unlogged.
	w("  server {")
	w("    listen unix:%s;", filepath.Join(p.dir, ngf503Socket))
	w("    access_log off;")
	w("    return 503;")
	w("  }")
	w("  server {")
	w("    listen unix:%s;", filepath.Join(p.dir, ngf500Socket))
	w("    access_log off;")
	w("    return 500;")
	w("  }")
	w("}")

	path := filepath.Join(p.dir, "nginx.conf")
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}

// writeNGFMain is main_config_template.go's error_log at NGF's level plus
// the process settings the harness needs (writeMain's, but not its
// notice level).
func writeNGFMain(w func(string, ...any), p confParams) error {
	if len(p.dir)+len(ngf503Socket)+1 > 107 {
		return fmt.Errorf("testnginx: %s is too long for a unix socket path; use a shorter Root", p.dir)
	}
	if p.root {
		w("user root;")
	}
	w("daemon off;")
	w("master_process on;")
	w("worker_processes %d;", p.workers)
	w("pid %s;", filepath.Join(p.dir, "nginx.pid"))
	w("error_log stderr %s;", NGFErrorLevel)
	// Not NGF's: bounds a test's graceful stop while a Slow upstream holds
	// a request.
	w("worker_shutdown_timeout 5s;")
	w("events { worker_connections 1024; }")
	w("http {")
	return nil
}

func checkNGFLocation(i int, l Location) error {
	if l.Host == "" || !strings.HasPrefix(l.Path, "/") || l.UpstreamName == "" {
		return fmt.Errorf("testnginx: location %d needs Host, Path starting with / and UpstreamName: %+v", i, l)
	}
	if l.UpstreamName != NGFInvalidBackendRef && len(strings.Split(l.UpstreamName, "_")) < 3 {
		return fmt.Errorf("testnginx: location %d: NGF names upstreams <namespace>_<service>_<port>, not %q", i, l.UpstreamName)
	}
	if l.MaxFails != 0 || l.NextUpstreamTries != 0 || l.SSLProtocols != "" {
		return fmt.Errorf("testnginx: location %d: NGF sets no max_fails, proxy_next_upstream_tries or proxy_ssl_protocols", i)
	}
	if (l.SSLVerify || l.SSLName != "" || l.SSLTrustedCert != "") && !(l.HTTPS && l.SSLVerify) {
		return fmt.Errorf("testnginx: location %d: NGF only talks TLS to a backend with a BackendTLSPolicy (HTTPS and SSLVerify)", i)
	}
	if l.HTTPS && !l.SSLVerify {
		return fmt.Errorf("testnginx: location %d: NGF only talks TLS to a backend with a BackendTLSPolicy, which always verifies", i)
	}
	return nil
}

// writeNGFLocation renders an external location of a path-only rule
// (servers_template.go), its ProxySettingsPolicy include first.
func writeNGFLocation(w func(string, ...any), dir string, l Location) error {
	w("    location %s {", l.Path)
	if l.ConnectTimeout > 0 || l.ReadTimeout > 0 {
		inc, err := writeNGFProxySettings(dir, l)
		if err != nil {
			return err
		}
		w("      include %s;", inc)
	}
	for _, d := range l.Extra {
		w("      %s;", d)
	}
	w("      proxy_http_version 1.1;")
	w(`      proxy_set_header Host "$gw_api_compliant_host";`)
	w(`      proxy_set_header X-Forwarded-For "$proxy_add_x_forwarded_for";`)
	w(`      proxy_set_header X-Real-IP "$remote_addr";`)
	w(`      proxy_set_header X-Forwarded-Proto "$scheme";`)
	w(`      proxy_set_header X-Forwarded-Host "$host";`)
	w(`      proxy_set_header X-Forwarded-Port "$server_port";`)
	w(`      proxy_set_header Upgrade "$http_upgrade";`)
	if l.UpstreamName == NGFInvalidBackendRef {
		// getConnectionHeader: only upstreams with keepalive get
		// $connection_keepalive.
		w(`      proxy_set_header Connection "$connection_upgrade";`)
	} else {
		w(`      proxy_set_header Connection "$connection_keepalive";`)
	}
	scheme := "http"
	if l.HTTPS {
		scheme = "https"
	}
	w("      proxy_pass %s://%s;", scheme, l.UpstreamName)
	if l.SSLVerify {
		// createProxySSLVerify: the policy's hostname and CA bundle.
		trusted := l.SSLTrustedCert
		if trusted == "" {
			trusted = filepath.Join(dir, "unrelated-ca.crt")
		}
		w("      proxy_ssl_server_name on;")
		w("      proxy_ssl_verify on;")
		w("      proxy_ssl_verify_depth 4;")
		if l.SSLName != "" {
			w("      proxy_ssl_name %s;", l.SSLName)
		}
		w("      proxy_ssl_trusted_certificate %s;", trusted)
	}
	w("    }")
	return nil
}

// writeNGFProxySettings writes the include NGF's ProxySettingsPolicy
// generator makes (policies/proxysettings/generator.go), named after a
// policy "<service>-timeouts" in the Service's namespace.
func writeNGFProxySettings(dir string, l Location) (string, error) {
	parts := strings.Split(l.UpstreamName, "_")
	inc := filepath.Join(dir, "includes", fmt.Sprintf("ProxySettingsPolicy_%s_%s-timeouts.conf", parts[0], parts[1]))
	var b strings.Builder
	if l.ConnectTimeout > 0 {
		fmt.Fprintf(&b, "proxy_connect_timeout %s;\n", nginxDuration(l.ConnectTimeout))
	}
	if l.ReadTimeout > 0 {
		fmt.Fprintf(&b, "proxy_read_timeout %s;\n", nginxDuration(l.ReadTimeout))
	}
	if err := os.MkdirAll(filepath.Dir(inc), 0o755); err != nil {
		return "", err
	}
	return inc, os.WriteFile(inc, []byte(b.String()), 0o644)
}
