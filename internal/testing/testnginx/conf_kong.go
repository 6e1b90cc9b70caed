package testnginx

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// LogFormatKong is Kong Gateway's proxy access format, log_format
// kong_log_format of kong/templates/nginx_kong.lua (Kong 3.9.3), verbatim:
// combined without nothing after the user agent but the request id. It
// logs no upstream field.
const LogFormatKong = `'$remote_addr - $remote_user [$time_local] '
                           '"$request" $status $body_bytes_sent '
                           '"$http_referer" "$http_user_agent" '
                           'kong_request_id: "$kong_request_id"'`

// KongDefaultTries is a Kong Service's attempts per request: the first one
// plus the schema's default retries = 5 (kong/db/schema/entities/
// services.lua), which Kong.balancer hands to nginx with set_more_tries.
const KongDefaultTries = 6

// Kong's own response bodies (kong/tools/http.lua ERROR_TEMPLATES, the
// messages from kong/error_handlers.lua and kong/runloop). A client that
// sends no Accept header gets JSON from kong.response.error and
// error_default_type (text/plain) from the error handler.
const (
	// KongNoPeerMessage is what Kong answers, with 503, when the
	// ring-balancer has no target to give (kong/runloop/balancer/init.lua):
	// a Service without endpoints. It is the body, not a log line.
	KongNoPeerMessage = "failure to get a peer from the ring-balancer"
	// KongNoRouteMessage is the 404 for a request no Route matches.
	KongNoRouteMessage = "no Route matched with those values"
	// Kong502Message is the error handler's body for nginx's own 502.
	Kong502Message = "An invalid response was received from the upstream server"
)

// renderKongConf writes a plain-nginx stand-in for the proxy server of
// Kong's nginx_kong.lua with the Helm chart's log settings
// (proxy_access_log /dev/stdout, proxy_error_log /dev/stderr, log_level
// notice). Kong routes and balances in Lua; here each Route is a location
// and each Service an upstream of its targets with max_fails=0 (Kong's
// passive health checks are off by default), listed often enough that
// nginx makes the Service's tries (NextUpstreamTries, default
// KongDefaultTries) as Kong.balancer's retries do. $kong_request_id is
// nginx's $request_id (both 32 hex digits of random); Kong's error handler
// and kong.response.error bodies are returned by nginx. What plain nginx
// cannot add is lua_kong_error_log_request_id's `, request_id: "…"` at the
// end of Kong's request-scoped error lines.
func renderKongConf(p confParams) (string, error) {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	writeMain(w, p) // Kong's log_level notice to /dev/stderr is the same line
	w("  default_type application/octet-stream;")
	writeTempPaths(w, p)
	w("  server_tokens off;")
	// kong.conf real_ip_header / trusted_ips, so $remote_addr is the client
	// the test names in X-Forwarded-For (Kong's defaults trust nobody).
	w("  real_ip_header X-Forwarded-For;")
	w("  set_real_ip_from 0.0.0.0/0;")
	w("  map $request_id $kong_request_id { default $request_id; }")
	// kong/error_handlers.lua BODIES, for the codes nginx_kong.lua sends to
	// /kong_error_handler.
	w("  map $status $kong_error_message {")
	for _, m := range []struct {
		code int
		msg  string
	}{
		{400, "Bad request"}, {404, "Not found"}, {405, "Method not allowed"}, {408, "Request timeout"},
		{411, "Length required"}, {412, "Precondition failed"}, {413, "Payload too large"},
		{414, "URI too long"}, {417, "Expectation failed"}, {494, "Request header or cookie too large"},
		{500, "An unexpected error occurred"}, {502, Kong502Message},
		{503, "The upstream server is currently unavailable"}, {504, "The upstream server is timing out"},
	} {
		w(`    %d "%s";`, m.code, m.msg)
	}
	w(`    default "The upstream server responded with $status";`)
	w("  }")
	w("  log_format kong_log_format %s;", LogFormatKong)

	for i, l := range p.locations {
		if err := checkKongLocation(i, l); err != nil {
			return "", err
		}
		if len(l.Servers) == 0 {
			continue
		}
		tries := kongTries(l)
		w("  upstream %s {", kongUpstream(i))
		// nginx tries each listed server at most once per request; the
		// targets repeated in ring order give Kong's retries to the same
		// targets.
		for n := 0; n < max(tries, len(l.Servers)); n++ {
			w("    server %s max_fails=0;", l.Servers[n%len(l.Servers)])
		}
		w("  }")
	}

	if err := writeKongServer(w, p.listen, p.locations); err != nil {
		return "", err
	}
	w("}")

	path := filepath.Join(p.dir, "nginx.conf")
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}

// kongTries is a Service's attempts per request: NextUpstreamTries stands
// for its retries + 1 (konghq.com/retries), zero for Kong's default.
func kongTries(l Location) int {
	if l.NextUpstreamTries > 0 {
		return l.NextUpstreamTries
	}
	return KongDefaultTries
}

func checkKongLocation(i int, l Location) error {
	if l.Host == "" || !strings.HasPrefix(l.Path, "/") || l.UpstreamName == "" {
		return fmt.Errorf("testnginx: location %d needs Host, Path starting with / and UpstreamName: %+v", i, l)
	}
	if l.MaxFails != 0 || l.SSLVerify || l.SSLTrustedCert != "" || l.SSLProtocols != "" {
		return fmt.Errorf("testnginx: location %d: Kong's defaults have no passive health checks and no upstream TLS verification", i)
	}
	return nil
}

// kongUpstream names the stand-in upstream of one Service. It never shows
// in a log: error lines name the peer, and max_fails=0 rules out nginx's
// "no live upstreams" (which would print it, and which Kong never logs).
func kongUpstream(i int) string { return fmt.Sprintf("kong_upstream_%d", i) }

// writeKongServer is nginx_kong.lua's one proxy server: server_name kong
// (the "server:" of every error line), the error pages, the access log in
// kong_log_format. Kong's router matches host and path in Lua; here a
// location per path answers Kong's 404 itself when the host is not the
// route's, so one path can belong to one host only.
func writeKongServer(w func(string, ...any), listen string, locs []Location) error {
	w("  server {")
	w("    server_name kong;")
	w("    listen %s default_server;", listen)
	w("    error_page 400 404 405 408 411 412 413 414 417 /kong_error_handler;")
	w("    error_page 494 =494 /kong_error_handler;")
	w("    error_page 500 502 503 504 /kong_error_handler;")
	w("    access_log /dev/stdout kong_log_format;")
	hostOf := map[string]string{}
	for i, l := range locs {
		if h, ok := hostOf[l.Path]; ok && h != l.Host {
			return fmt.Errorf("testnginx: location %d: path %s already routes host %s; the Kong stand-in routes a path for one host", i, l.Path, h)
		}
		hostOf[l.Path] = l.Host
		writeKongLocation(w, i, l)
	}
	if _, ok := hostOf["/"]; !ok {
		w("    location / {")
		writeKongNoRoute(w)
		w("    }")
	}
	w("    location = /kong_no_route {")
	w("      internal;")
	writeKongNoRoute(w)
	w("    }")
	// Kong.handle_error renders the status's message for the client's
	// Accept (none here: error_default_type text/plain).
	w("    location = /kong_error_handler {")
	w("      internal;")
	w(`      default_type "text/plain; charset=utf-8";`)
	w(`      return 200 "$kong_error_message\nrequest_id: $kong_request_id\n";`)
	w("    }")
	w("  }")
	return nil
}

// writeKongNoRoute is kong.response.error(404, …): Lua sends the body
// itself, so it is no error page.
func writeKongNoRoute(w func(string, ...any)) {
	w(`      default_type "application/json; charset=utf-8";`)
	w(`      return 404 "%s";`, kongJSONError(KongNoRouteMessage))
}

func writeKongLocation(w func(string, ...any), i int, l Location) {
	w("    location %s {", l.Path)
	// Another host's request: Kong's router 404 ("if" holding only a
	// rewrite is safe in a location; $request keeps the original URI).
	w(`      if ($host != "%s") { rewrite ^ /kong_no_route last; }`, l.Host)
	if len(l.Servers) == 0 {
		// A Service whose Kong Upstream has no targets: the balancer finds
		// no peer and the access phase answers 503 with
		// kong.response.error; nginx never proxies and nothing is logged
		// as an error.
		w(`      default_type "application/json; charset=utf-8";`)
		w(`      return 503 "%s";`, kongJSONError(KongNoPeerMessage))
		w("    }")
		return
	}
	w("      proxy_http_version 1.1;")
	w("      proxy_buffering on;")
	w("      proxy_request_buffering on;")
	w("      proxy_set_header Host $host;")
	w("      proxy_set_header Upgrade $http_upgrade;")
	w(`      proxy_set_header Connection "keep-alive";`)
	w("      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;")
	w("      proxy_set_header X-Forwarded-Proto $scheme;")
	w("      proxy_set_header X-Forwarded-Host $host;")
	w("      proxy_set_header X-Forwarded-Port $server_port;")
	w("      proxy_set_header X-Real-IP $remote_addr;")
	w("      proxy_set_header X-Kong-Request-Id $kong_request_id;")
	w("      proxy_pass_header Server;")
	w("      proxy_pass_header Date;")
	w("      proxy_ssl_name $host;")
	w("      proxy_ssl_server_name on;")
	// Kong.balancer's set_timeouts: the Service's timeouts, 60 s each by
	// default.
	connect, read := "60s", "60s"
	if l.ConnectTimeout > 0 {
		connect = nginxDuration(l.ConnectTimeout)
	}
	if l.ReadTimeout > 0 {
		read = nginxDuration(l.ReadTimeout)
	}
	w("      proxy_connect_timeout %s;", connect)
	w("      proxy_send_timeout 60s;")
	w("      proxy_read_timeout %s;", read)
	w("      proxy_next_upstream_tries %d;", kongTries(l))
	for _, d := range l.Extra {
		w("      %s;", d)
	}
	scheme := "http"
	if l.HTTPS {
		scheme = "https" // the Service's protocol: https (konghq.com/protocol)
	}
	w("      proxy_pass %s://%s;", scheme, kongUpstream(i))
	w("    }")
}

// kongJSONError is ERROR_TEMPLATES' JSON body with the request id, quoted
// for an nginx string ("\n" is nginx's newline escape there).
func kongJSONError(msg string) string {
	return `{\n  \"message\":\"` + msg + `\",\n  \"request_id\":\"$kong_request_id\"\n}`
}
