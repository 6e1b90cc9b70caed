package nginx

import (
	"go/ast"
	goparser "go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// classifyCases are real messages (from the fixtures or quoted in
// ingress-nginx issues) or nginx's own format strings filled in. glibc and
// musl errno texts sit side by side: they must classify alike.
var classifyCases = []struct{ msg, kind string }{
	{"connect() failed (111: Connection refused) while connecting to upstream", schema.ErrConnectRefused},
	{"upstream timed out (110: Operation timed out) while connecting to upstream", schema.ErrConnectTimeout},  // musl
	{"upstream timed out (110: Connection timed out) while connecting to upstream", schema.ErrConnectTimeout}, // glibc
	{"upstream timed out (110: Operation timed out) while reading response header from upstream", schema.ErrReadTimeout},
	{"upstream timed out (110: Connection timed out) while reading response header from upstream", schema.ErrReadTimeout},
	{"upstream timed out (110: Operation timed out) while reading upstream", schema.ErrReadTimeout},
	{"upstream timed out (110: Connection timed out) while sending request to upstream", schema.ErrReadTimeout},
	{"upstream prematurely closed connection while reading response header from upstream", schema.ErrPrematureClose},
	{"upstream prematurely closed connection while reading upstream", schema.ErrPrematureClose},
	{"recv() failed (104: Connection reset by peer) while reading response header from upstream", schema.ErrConnectionReset},
	{"readv() failed (104: Connection reset by peer) while reading upstream", schema.ErrConnectionReset},
	{"writev() failed (32: Broken pipe) while sending request to upstream", schema.ErrConnectionReset},
	{`upstream sent invalid header: "X-Debug\x20..." while reading response header from upstream`, schema.ErrInvalidHeader},
	{"upstream sent no valid HTTP/1.0 header while reading response header from upstream", schema.ErrInvalidHeader},
	{`upstream sent duplicate header line: "Content-Length: 5", previous value: "Content-Length: 4" while reading response header from upstream`, schema.ErrInvalidHeader},
	{"upstream sent too big header while reading response header from upstream", schema.ErrTooBigHeader},
	{"upstream sent invalid chunked response while reading upstream", schema.ErrInvalidChunked},
	{"upstream sent invalid chunked response while reading response header from upstream", schema.ErrInvalidChunked},
	{"no live upstreams while connecting to upstream", schema.ErrNoLiveUpstreams},
	{"SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking to upstream", schema.ErrTLSHandshake},
	{"SSL_do_handshake() failed (SSL: error:0A00042E:SSL routines::tlsv1 alert protocol version:SSL alert number 70) while SSL handshaking to upstream", schema.ErrTLSHandshake},
	{"peer closed connection in SSL handshake while SSL handshaking to upstream", schema.ErrTLSHandshake},
	{"upstream SSL certificate verify error: (10:certificate has expired) while SSL handshaking to upstream", schema.ErrTLSCertificate},
	{"upstream SSL certificate verify error: (18:self-signed certificate) while SSL handshaking to upstream", schema.ErrTLSCertificate},
	{`upstream SSL certificate does not match "accounts.shop.svc.cluster.local" while SSL handshaking to upstream`, schema.ErrTLSCertificate},
	{"connect() failed (113: Host is unreachable) while connecting to upstream", schema.ErrHostUnreachable}, // musl
	{"connect() failed (113: No route to host) while connecting to upstream", schema.ErrHostUnreachable},    // glibc
	{"connect() failed (101: Network unreachable) while connecting to upstream", schema.ErrHostUnreachable}, // musl
	{"connect() failed (101: Network is unreachable) while connecting to upstream", schema.ErrHostUnreachable},
	{`limiting requests, excess: 2.880 by zone "shop_newsletter_5e0f3c1a-2b7d-4c8e-9f10-aa11bb22cc33_rps"`, schema.ErrRateLimited},
	{`limiting connections by zone "conn_per_ip"`, schema.ErrRateLimited},
	{"upstream server temporarily disabled while connecting to upstream", schema.ErrUpstreamDisabled},
	{"client intended to send too large body: 20971520 bytes", schema.ErrOther},
	{`open() "/etc/nginx/html/favicon.ico" failed (2: No such file or directory)`, schema.ErrOther},
}

func TestClassify(t *testing.T) {
	for _, tt := range classifyCases {
		assert.Equal(t, tt.kind, Classify(tt.msg), tt.msg)
	}
}

func TestClassifyLibcAgnostic(t *testing.T) {
	pairs := [][2]string{
		{"Operation timed out", "Connection timed out"},
		{"Host is unreachable", "No route to host"},
		{"Network unreachable", "Network is unreachable"},
	}
	for _, c := range classifyCases {
		for _, p := range pairs {
			if strings.Contains(c.msg, p[0]) {
				other := strings.ReplaceAll(c.msg, p[0], p[1])
				assert.Equal(t, Classify(c.msg), Classify(other), "%q vs %q", c.msg, other)
			}
		}
	}
}

// TestClassifyCoversSchema reads the Err* constants from the schema source,
// so a kind added there without a classifier case fails here.
func TestClassifyCoversSchema(t *testing.T) {
	file, err := goparser.ParseFile(token.NewFileSet(), "../../../../internal/schema/schema.go", nil, 0)
	require.NoError(t, err)
	// The kinds are the const block that declares ErrOther.
	var kinds []string
	for _, d := range file.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		var block []string
		hasOther := false
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			if len(vs.Names) != 1 || len(vs.Values) != 1 {
				continue
			}
			if lit, ok := vs.Values[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				v, err := strconv.Unquote(lit.Value)
				require.NoError(t, err)
				block = append(block, v)
				hasOther = hasOther || vs.Names[0].Name == "ErrOther"
			}
		}
		if hasOther {
			kinds = block
		}
	}
	require.Contains(t, kinds, schema.ErrConnectRefused, "schema constants not found")
	covered := map[string]bool{}
	for _, c := range classifyCases {
		covered[c.kind] = true
	}
	// Kinds only other proxies report: nginx names these failures with the
	// kinds above (an invalid response is invalid_header), or has no such
	// mechanism (queue timeouts, circuit breakers).
	notNginx := map[string]bool{schema.ErrProtocol: true, schema.ErrQueueTimeout: true, schema.ErrOverflow: true}
	for _, k := range kinds {
		if notNginx[k] {
			continue
		}
		assert.True(t, covered[k], "kind %q has no message in classifyCases", k)
	}
}
