package nginx

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name   string
		format string
		errHas string
	}{
		{name: "dollar alone", format: `$status $`, errHas: "not followed by a variable name"},
		{name: "dollar before space", format: `$status $ x`, errHas: "not followed by a variable name"},
		{name: "unterminated brace", format: `$status ${x`, errHas: "unterminated"},
		{name: "empty brace", format: `$status ${}`, errHas: "invalid variable name"},
		{name: "bad brace name", format: `$status ${a-b}`, errHas: "invalid variable name"},
		{name: "adjacent variables", format: `$status$body_bytes_sent`, errHas: "directly follows $status"},
		{name: "adjacent braced", format: `$status ${remote_addr}${remote_user}`, errHas: "directly follows $remote_addr"},
		{name: "missing status", format: `$remote_addr [$time_local] "$request"`, errHas: "no $status"},
		{name: "empty", format: ``, errHas: "no $status"},
		{name: "escape prefix only", format: `escape=json `, errHas: "no $status"},
		{name: "unknown escape prefix", format: `escape=xml $status`, errHas: "unknown escape"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(tt.format, EscapeDefault)
			require.Error(t, err)
			assert.ErrorContains(t, err, tt.errHas)
		})
	}
}

func TestCompile(t *testing.T) {
	tests := []struct {
		name   string
		format string
		escape Escape
		want   Escape
		vars   []string
		tail   string
	}{
		{name: "ingress-nginx default", format: IngressNginxFormat, want: EscapeDefault, vars: []string{
			"remote_addr", "remote_user", "time_local", "request", "status", "body_bytes_sent", "http_referer",
			"http_user_agent", "request_length", "request_time", "proxy_upstream_name", "proxy_alternative_upstream_name",
			"upstream_addr", "upstream_response_length", "upstream_response_time", "upstream_status", "req_id",
		}},
		{name: "escape=json prefix", format: `escape=json {"s":"$status"}`, want: EscapeJSON, vars: []string{"status"}, tail: `"}`},
		{name: "escape=none prefix wins over argument", format: `escape=none $status`, escape: EscapeJSON, want: EscapeNone, vars: []string{"status"}},
		{name: "escape=default prefix", format: `escape=default $status`, escape: EscapeJSON, want: EscapeDefault, vars: []string{"status"}},
		{name: "braced variables", format: `${status}x${request_time}`, want: EscapeDefault, vars: []string{"status", "request_time"}},
		{name: "unknown variables are kept", format: `$status $namespace $ingress_name.`, want: EscapeDefault, vars: []string{"status", "namespace", "ingress_name"}, tail: "."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Compile(tt.format, tt.escape)
			require.NoError(t, err)
			assert.Equal(t, tt.want, f.escape)
			assert.Equal(t, tt.vars, f.Variables())
			assert.Equal(t, tt.tail, f.tail)
			for _, v := range tt.vars {
				assert.True(t, f.Has(v), v)
			}
			assert.False(t, f.Has("nope"))
		})
	}
}

func TestParseEscape(t *testing.T) {
	tests := []struct {
		in, format string
		want       Escape
		err        bool
	}{
		{in: "", format: IngressNginxFormat, want: EscapeDefault},
		{in: "", format: `  {"status":$status}`, want: EscapeJSON},
		{in: "default", format: `{"a":$status}`, want: EscapeDefault},
		{in: "json", want: EscapeJSON},
		{in: "none", want: EscapeNone},
		{in: "xml", err: true},
	}
	for _, tt := range tests {
		got, err := ParseEscape(tt.in, tt.format)
		if tt.err {
			assert.Error(t, err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

func TestMapVariables(t *testing.T) {
	f, err := Compile(`$status $namespace "$service_name"`, EscapeDefault)
	require.NoError(t, err)
	assert.ErrorContains(t, f.MapVariables(map[string]string{"ingress_name": "k8s.ingress.name"}), "not in log_format")
	assert.ErrorContains(t, f.MapVariables(map[string]string{"namespace": ""}), "empty attribute")
	require.NoError(t, f.MapVariables(map[string]string{"namespace": "k8s.namespace.name", "service_name": "k8s.service.name"}))

	var fl Fields
	require.NoError(t, f.Scan([]byte(`502 shop "orders\x22x"`), &fl, true))
	a := f.Access(&fl)
	assert.ElementsMatch(t, [][2]string{{"k8s.namespace.name", "shop"}, {"k8s.service.name", `orders"x`}}, a.Extra)

	// "-" means no value: nothing is copied.
	require.NoError(t, f.Scan([]byte(`502 - "-"`), &fl, true))
	assert.Empty(t, f.Access(&fl).Extra)
}
