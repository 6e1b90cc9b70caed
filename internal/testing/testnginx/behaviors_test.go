package testnginx

import (
	"strings"
	"testing"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testupstream"
)

// TestBehaviors checks that each upstream behaviour makes real nginx log the
// status and error text the fixture README documents (glibc errno texts).
func TestBehaviors(t *testing.T) {
	healthy := testupstream.Start(t, "127.0.0.10:0", testupstream.Healthy)
	tlsUp := testupstream.Start(t, "127.0.0.16:0", testupstream.TLS)
	cases := []struct {
		loc    Location
		status int
		errMsg string // "" means no error line for this path
	}{
		{Location{Servers: []string{testupstream.Start(t, "127.0.0.13:0", testupstream.Slow).Addr}, ReadTimeout: time.Second},
			504, "upstream timed out (110: Connection timed out) while reading response header from upstream"},
		{Location{Servers: []string{testupstream.Start(t, "127.0.0.14:0", testupstream.Reset).Addr}},
			502, "recv() failed (104: Connection reset by peer) while reading response header from upstream"},
		{Location{Servers: []string{testupstream.Start(t, "127.0.0.15:0", testupstream.PrematureClose).Addr}},
			502, "upstream prematurely closed connection while reading response header from upstream"},
		{Location{Servers: []string{tlsUp.Addr}, HTTPS: true, SSLVerify: true},
			502, "upstream SSL certificate verify error: (18:self-signed certificate) while SSL handshaking to upstream"},
		{Location{Servers: []string{tlsUp.Addr}, HTTPS: true, SSLVerify: true, SSLTrustedCert: tlsUp.CertFile, SSLName: testupstream.TLSName},
			200, ""},
		{Location{Servers: []string{testupstream.Start(t, "127.0.0.17:0", testupstream.TLS13Only).Addr}, HTTPS: true, SSLProtocols: "TLSv1.2"},
			502, "SSL_do_handshake() failed (SSL: error:0A00042E:SSL routines::tlsv1 alert protocol version"},
		{Location{Servers: []string{healthy.Addr}, HTTPS: true},
			502, "SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number)"},
	}
	var locs []Location
	for i := range cases {
		l := &cases[i].loc
		l.Host, l.UpstreamName = "shop.example.com", "shop-case"+string(rune('a'+i))+"-8080"
		l.Path = "/" + l.UpstreamName + "/"
		locs = append(locs, *l)
	}
	ng := Start(t, Config{Locations: locs})
	for _, c := range cases {
		path := c.loc.Path + "x"
		if r := ng.Do(t, "GET", c.loc.Host, path, nil); r.Status != c.status {
			t.Errorf("%s: status %d, want %d", path, r.Status, c.status)
		}
	}
	ng.WaitRequests(t)
	ng.Stop(t)
	errs := strings.Join(ng.ErrorLines(t), "\n")
	for _, c := range cases {
		req := `request: "GET ` + c.loc.Path + `x HTTP/1.1"`
		var line string
		for _, l := range ng.ErrorLines(t) {
			if strings.Contains(l, req) {
				line = l
			}
		}
		if c.errMsg == "" && line != "" || !strings.Contains(line, c.errMsg) {
			t.Errorf("%s: error line %q, want one containing %q\nstderr:\n%s", c.loc.Path, line, c.errMsg, errs)
		}
	}
}
