package testnginx

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testcri"
)

// envCapture=1 makes the capture tests run real traffic through a gateway
// layout and rewrite its fixture under the receiver's testdata. Without it
// they skip: a plain `go test` never rewrites fixtures (the layouts' own
// tests exercise the renders).
const envCapture = "K8S502_CAPTURE"

// fixtureRoot is the receiver's testdata, where the captures land.
const fixtureRoot = "../../receiver/k8s502receiver/testdata"

// scenario is one kind of request a capture sends, with what it must
// produce; every request gets its own path, so its access and error lines
// are found by the request line.
type scenario struct {
	name  string
	loc   int    // index into Config.Locations; -1 sends host and path as given
	host  string // for loc -1
	path  string // for loc -1
	n     int    // requests
	ua    string
	want  int // status
	kinds []string
	// origin is the status's origin (schema: gateway, upstream, local);
	// a 200 with error lines is labelled upstream/recovered whatever it says.
	origin string
	cause  string // the truth, in words
}

// sent is one request as the driver sent it.
type sent struct {
	sc     *scenario
	host   string
	path   string
	client string
}

// errMessage splits an nginx error line into level and message.
var errMessage = regexp.MustCompile(`^\S+ \S+ \[(\w+)\] \d+#\d+: \*\d+ (.*?), client: `)

// errUpstream is the upstream field of an error line.
var errUpstream = regexp.MustCompile(`, upstream: "([^"]*)"`)

// kindOf is the schema error kind of an nginx [error] message, as the
// capture labels it (the receiver's own classifier is not used, so the
// labels check it rather than repeat it).
func kindOf(msg string) string {
	switch {
	case strings.Contains(msg, "(111: Connection refused)"):
		return "connect_refused"
	case strings.HasPrefix(msg, "no live upstreams"):
		return "no_live_upstreams"
	case strings.HasPrefix(msg, "upstream timed out") && strings.Contains(msg, "while connecting"):
		return "connect_timeout"
	case strings.HasPrefix(msg, "upstream timed out"):
		return "read_timeout"
	case strings.HasPrefix(msg, "upstream prematurely closed"):
		return "premature_close"
	case strings.Contains(msg, "(104: Connection reset by peer)"):
		return "connection_reset"
	case strings.Contains(msg, "upstream SSL certificate"):
		return "tls_certificate"
	case strings.HasPrefix(msg, "SSL_do_handshake() failed"):
		return "tls_handshake"
	}
	return "other"
}

// captureRun drives one capture: background traffic around every failing
// request, a reload halfway, a graceful stop, then the fixture.
type captureRun struct {
	gateway   string // fixture directory
	cfg       Config
	scenarios []scenario
	// background is the healthy scenario sent between the others.
	background scenario
	clients    []string
	// requestID pulls the request id out of an access line ("" for none).
	requestID func(line string) string
}

func (c *captureRun) run(t *testing.T) {
	if os.Getenv(envCapture) != "1" {
		t.Skipf("set %s=1 to capture and rewrite %s/%s", envCapture, fixtureRoot, c.gateway)
	}
	// The pod directory is Root-relative, so Root is fixed here to find it.
	c.cfg.Container.Root = t.TempDir()
	ng := Start(t, c.cfg)
	var all []sent
	seq := 0
	send := func(sc *scenario) {
		seq++
		s := sent{sc: sc, client: c.clients[seq%len(c.clients)]}
		if sc.loc < 0 {
			s.host, s.path = sc.host, fmt.Sprintf("%s?n=%05d", sc.path, seq)
		} else {
			l := c.cfg.Locations[sc.loc]
			s.host, s.path = l.Host, fmt.Sprintf("%sitems/%05d", l.Path, seq)
		}
		ua := sc.ua
		if ua == "" {
			ua = "curl/8.5.0"
		}
		h := map[string]string{"X-Forwarded-For": s.client, "User-Agent": ua}
		if sc != &c.background {
			// A connection per failing request, as one-shot clients open
			// them, so its error lines carry their own *N; the background
			// keeps one alive, and at info level its close is logged.
			h["Connection"] = "close"
		}
		r := ng.Do(t, "GET", s.host, s.path, h)
		if r.Status != sc.want {
			t.Errorf("%s %s: got %d %.200q, want %d", sc.name, s.path, r.Status, r.Body, sc.want)
		}
		all = append(all, s)
	}
	for i := range c.scenarios {
		if i == len(c.scenarios)/2 {
			ng.Reload(t)
			ng.WaitStderr(t, "reconfiguring")
		}
		for k := 0; k < c.scenarios[i].n; k++ {
			send(&c.background)
			send(&c.scenarios[i])
		}
	}
	send(&c.background)
	ng.WaitRequests(t)
	ng.Stop(t)
	c.write(t, ng, all)
}

// write labels every access line and copies the CRI file and the config
// that ran into the fixture directory.
func (c *captureRun) write(t *testing.T, ng *Nginx, all []sent) {
	recs, err := testcri.Read(ng.CRIPath)
	if err != nil {
		t.Fatal(err)
	}
	byRequest := map[string]*sent{}
	for i := range all {
		byRequest["GET "+all[i].path+" HTTP/1.1"] = &all[i]
	}
	type errLine struct {
		n                    int
		level, msg, upstream string
	}
	errs := map[string][]errLine{}
	for i, r := range recs {
		if r.Stream != "stderr" {
			continue
		}
		m := errMessage.FindStringSubmatch(r.Msg)
		req := regexp.MustCompile(`request: "([^"]*)"`).FindStringSubmatch(r.Msg)
		if m == nil || req == nil {
			continue
		}
		e := errLine{n: i + 1, level: m[1], msg: m[2], upstream: "-"}
		if u := errUpstream.FindStringSubmatch(r.Msg); u != nil {
			e.upstream = u[1]
		}
		errs[req[1]] = append(errs[req[1]], e)
	}

	var b strings.Builder
	b.WriteString("cri_line\tscenario\tstatus\torigin\terror_kind\toutcome\thost\tpath\tupstream_name\tupstream_servers\trequest_id\terror_cri_lines\terror_messages\terror_upstreams\ttrue_cause\n")
	access := 0
	for i, r := range recs {
		if r.Stream != "stdout" {
			continue
		}
		access++
		req := regexp.MustCompile(`"([A-Z]+ \S+ HTTP/1\.1)"`).FindStringSubmatch(r.Msg)
		if req == nil {
			t.Fatalf("CRI line %d: no request line in %q", i+1, r.Msg)
		}
		s := byRequest[req[1]]
		if s == nil {
			t.Fatalf("CRI line %d: a request the driver did not send: %q", i+1, r.Msg)
		}
		sc := s.sc
		status := fmt.Sprint(sc.want)
		if !strings.Contains(r.Msg, "\" "+status+" ") {
			t.Errorf("CRI line %d: want status %s: %q", i+1, status, r.Msg)
		}
		es := errs[req[1]]
		origin, kind, outcome := sc.origin, "-", "-"
		var lines, msgs, ups []string
		for _, e := range es {
			lines = append(lines, fmt.Sprint(e.n))
			msgs = append(msgs, "["+e.level+"] "+e.msg)
			ups = append(ups, e.upstream)
			if kind == "-" && e.level == "error" {
				kind = kindOf(e.msg)
			}
		}
		switch {
		case len(sc.kinds) == 0 && len(es) > 0:
			t.Errorf("CRI line %d (%s): error lines where none belong: %q", i+1, sc.name, msgs)
		case len(sc.kinds) > 0 && kind == "-" && sc.want != 200:
			t.Errorf("CRI line %d (%s): no error line", i+1, sc.name)
		case kind != "-" && !slices.Contains(sc.kinds, kind):
			t.Errorf("CRI line %d (%s): error kind %s, want one of %v: %q", i+1, sc.name, kind, sc.kinds, msgs)
		}
		switch {
		case sc.want >= 502 && sc.want <= 504:
			outcome = "failed"
		case kind != "-":
			origin, outcome = "upstream", "recovered"
		}
		upName, servers := "-", "-"
		if sc.loc >= 0 {
			l := c.cfg.Locations[sc.loc]
			upName = l.UpstreamName
			if len(l.Servers) > 0 {
				servers = strings.Join(l.Servers, ",")
			}
		}
		id := "-"
		if c.requestID != nil {
			id = c.requestID(r.Msg)
		}
		cols := []string{fmt.Sprint(i + 1), sc.name, status, origin, kind, outcome, s.host, s.path, upName, servers, id,
			dash(strings.Join(lines, ",")), dash(strings.Join(msgs, " | ")), dash(strings.Join(ups, ",")), sc.cause}
		b.WriteString(strings.Join(cols, "\t") + "\n")
	}
	if access != len(all) {
		t.Fatalf("%d access lines for %d requests", access, len(all))
	}
	if t.Failed() {
		t.Fatal("the capture does not show what its scenarios promise; the fixture is left as it was")
	}

	dst := filepath.Join(fixtureRoot, c.gateway)
	if err := os.RemoveAll(filepath.Join(dst, "var")); err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(c.cfg.Container.Root, ng.CRIPath)
	if err != nil {
		t.Fatal(err)
	}
	copyTo(t, ng.CRIPath, filepath.Join(dst, rel), "", "")
	copyTo(t, filepath.Join(ng.Dir, "nginx.conf"), filepath.Join(dst, "nginx.conf"), ng.Dir, "@SCRATCH@")
	// Policy includes (NGF's ProxySettingsPolicy) go along with the config.
	incs, _ := filepath.Glob(filepath.Join(ng.Dir, "includes", "*.conf"))
	for _, inc := range incs {
		copyTo(t, inc, filepath.Join(dst, "includes", filepath.Base(inc)), ng.Dir, "@SCRATCH@")
	}
	if err := os.WriteFile(filepath.Join(dst, "labels.tsv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s: %d CRI lines, %d access lines", dst, len(recs), access)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// copyTo copies src to dst, replacing old with repl when old is set (the
// run's scratch directory in the config).
func copyTo(t *testing.T, src, dst, old, repl string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if old != "" {
		data = []byte(strings.ReplaceAll(string(data), old, repl))
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
