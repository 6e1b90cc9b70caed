package testnginx

import (
	"bufio"
	"encoding/json"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testcri"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testproc"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testupstream"
)

// accessRE splits an upstreaminfo line whose upstream fields are single
// values (no retries), which is all this test produces.
var accessRE = regexp.MustCompile(`^(\S+) - (\S+) \[([^\]]+)\] "([^"]*)" (\d{3}) (\d+) "([^"]*)" "([^"]*)" (\d+) (\S+) \[([^\]]*)\] \[([^\]]*)\] (\S+) (\S+) (\S+) (\S+) (\S+)$`)

type access struct {
	client, request, status, bytes, upstreamName, alt string
	upAddr, upLen, upTime, upStatus, reqID            string
}

func parseAccess(t *testing.T, line string) access {
	t.Helper()
	m := accessRE.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("not an upstreaminfo line: %.300q", line)
	}
	return access{client: m[1], request: m[4], status: m[5], bytes: m[6], upstreamName: m[11], alt: m[12],
		upAddr: m[13], upLen: m[14], upTime: m[15], upStatus: m[16], reqID: m[17]}
}

func TestHarness(t *testing.T) {
	healthy := testupstream.Start(t, "127.0.0.10:0", testupstream.Healthy)
	app := testupstream.Start(t, "127.0.0.11:0", testupstream.App502)
	refused := testupstream.Start(t, testproc.FreeAddr(t, "127.0.0.12"), testupstream.Refused)
	const host = "shop.example.com"
	ng := Start(t, Config{Container: testcri.Container{DockerJSON: true}, Locations: []Location{
		{Host: host, Path: "/api/storefront/", UpstreamName: "shop-storefront-80", Servers: []string{healthy.Addr}},
		{Host: host, Path: "/api/checkout/", UpstreamName: "shop-checkout-8080", Servers: []string{app.Addr}},
		{Host: host, Path: "/api/inventory/", UpstreamName: "shop-inventory-8080", Servers: []string{refused.Addr}, ConnectTimeout: 2 * time.Second},
		{Host: host, Path: "/api/promotions/", UpstreamName: "shop-promotions-8080"},
	}})

	type call struct {
		path, client, reqID string
		status              int
		body                string
	}
	calls := []call{
		{"/api/storefront/items/1", "198.51.100.23", "req-healthy-1", 200, testupstream.HealthyBody},
		{"/api/checkout/pay/2", "10.12.7.33", "req-app502-2", 502, testupstream.App502Body},
		{"/api/inventory/items/3", "172.20.1.5", "req-refused-3", 502, ""},
		{"/api/promotions/active", "192.0.2.77", "", 503, ""},
	}
	for _, c := range calls {
		h := map[string]string{"X-Forwarded-For": c.client}
		if c.reqID != "" {
			h["X-Request-ID"] = c.reqID
		}
		r := ng.Do(t, "GET", host, c.path, h)
		if r.Status != c.status || (c.body != "" && r.Body != c.body) {
			t.Errorf("%s: got %d %q, want %d %q", c.path, r.Status, r.Body, c.status, c.body)
		}
	}
	lines := accessLines(t, ng, len(calls))
	got := map[string]access{}
	for _, l := range lines {
		a := parseAccess(t, l)
		got[strings.Fields(a.request)[1]] = a
	}

	check := func(path string, want access) {
		t.Helper()
		a := got[path]
		want.request = "GET " + path + " HTTP/1.1"
		want.alt = ""
		if want.reqID == "" {
			want.reqID = a.reqID // nginx-generated; checked separately
		}
		want.upTime = a.upTime
		if a != want {
			t.Errorf("%s:\n got %+v\nwant %+v", path, a, want)
		}
	}
	check("/api/storefront/items/1", access{client: "198.51.100.23", status: "200", bytes: strconv.Itoa(len(testupstream.HealthyBody)),
		upstreamName: "shop-storefront-80", upAddr: healthy.Addr, upLen: strconv.Itoa(len(testupstream.HealthyBody)), upStatus: "200", reqID: "req-healthy-1"})
	check("/api/checkout/pay/2", access{client: "10.12.7.33", status: "502", bytes: strconv.Itoa(len(testupstream.App502Body)),
		upstreamName: "shop-checkout-8080", upAddr: app.Addr, upLen: strconv.Itoa(len(testupstream.App502Body)), upStatus: "502", reqID: "req-app502-2"})
	// 150 and 190 are nginx's own error pages with server_tokens off.
	check("/api/inventory/items/3", access{client: "172.20.1.5", status: "502", bytes: "150",
		upstreamName: "shop-inventory-8080", upAddr: refused.Addr, upLen: "0", upStatus: "502", reqID: "req-refused-3"})
	check("/api/promotions/active", access{client: "192.0.2.77", status: "503", bytes: "190",
		upstreamName: "shop-promotions-8080", upAddr: "-", upLen: "-", upStatus: "-"})
	// Connect refusal is near-instant but may still round to 0.001.
	if !regexp.MustCompile(`^0\.00\d$`).MatchString(got["/api/inventory/items/3"].upTime) || got["/api/promotions/active"].upTime != "-" {
		t.Errorf("upstream_response_time: refused %q, no-endpoints %q", got["/api/inventory/items/3"].upTime, got["/api/promotions/active"].upTime)
	}
	if id := got["/api/promotions/active"].reqID; !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(id) {
		t.Errorf("generated $req_id %q is not 32 hex chars", id)
	}

	errLine := ng.WaitStderr(t, "connect() failed (111: Connection refused) while connecting to upstream")
	for _, want := range []string{"[error]", "client: 172.20.1.5", "server: " + host,
		`request: "GET /api/inventory/items/3 HTTP/1.1"`, `upstream: "http://` + refused.Addr + `/api/inventory/items/3"`, `host: "` + host + `"`} {
		if !strings.Contains(errLine, want) {
			t.Errorf("error line lacks %q: %s", want, errLine)
		}
	}
	// The app's own 502 and the no-endpoints 503 must leave no error line.
	for _, l := range ng.ErrorLines(t) {
		if strings.Contains(l, "/api/checkout/") || strings.Contains(l, "/api/promotions/") {
			t.Errorf("unexpected error line: %s", l)
		}
	}

	ng.Stop(t)
	checkShapes(t, ng)
}

// TestLongLineSplit drives a ~20 KB access line through real nginx and checks
// the containerd-style P+F split and the docker partial record.
func TestLongLineSplit(t *testing.T) {
	up := testupstream.Start(t, "127.0.0.10:0", testupstream.Healthy)
	ng := Start(t, Config{Container: testcri.Container{DockerJSON: true}, Locations: []Location{
		{Host: "api.example.com", Path: "/", UpstreamName: "api-gateway-8080", Servers: []string{up.Addr}},
	}})
	// Each piece stays under nginx's 8k large_client_header_buffers.
	path := "/search?q=" + strings.Repeat("a", 7800)
	r := ng.Do(t, "GET", "api.example.com", path, map[string]string{
		"Referer": "https://shop.example.com/?r=" + strings.Repeat("b", 7800), "User-Agent": strings.Repeat("c", 4000)})
	if r.Status != 200 {
		t.Fatalf("status %d", r.Status)
	}
	lines := ng.WaitRequests(t)
	if a := parseAccess(t, lines[0]); a.status != "200" || len(lines[0]) <= testcri.MaxLine {
		t.Fatalf("want one 200 line longer than %d bytes, got %d bytes status %s", testcri.MaxLine, len(lines[0]), a.status)
	}
	ng.Stop(t)
	var partial int
	for _, rec := range ng.Records(t) {
		if rec.Partial {
			partial++
			if rec.Stream != "stdout" || len(rec.Msg) != testcri.MaxLine {
				t.Errorf("P record: stream %s, %d bytes", rec.Stream, len(rec.Msg))
			}
		}
	}
	if partial != 1 {
		t.Errorf("got %d P records, want 1", partial)
	}
	checkShapes(t, ng)
}

// checkShapes compares the CRI file with the docker json-file record by
// record: same stream, same bytes, newline only on final chunks.
func checkShapes(t *testing.T, ng *Nginx) {
	t.Helper()
	recs := ng.Records(t)
	if len(recs) == 0 || !strings.Contains(strings.Join(testcri.Lines(recs, "stderr"), "\n"), "[notice]") {
		t.Fatalf("no nginx notices on stderr; records: %d", len(recs))
	}
	f, err := os.Open(ng.DockerPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	i := 0
	for ; sc.Scan(); i++ {
		var d struct{ Log, Stream, Time string }
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatalf("docker record %d: %v", i+1, err)
		}
		if i >= len(recs) {
			continue
		}
		want := recs[i].Msg
		if !recs[i].Partial {
			want += "\n"
		}
		if d.Stream != recs[i].Stream || d.Log != want {
			t.Errorf("docker record %d differs from CRI record: %.80q vs %.80q", i+1, d.Log, want)
		}
		if _, err := time.Parse(time.RFC3339Nano, d.Time); err != nil {
			t.Errorf("docker record %d: %v", i+1, err)
		}
	}
	if i != len(recs) {
		t.Errorf("docker file has %d records, CRI file %d", i, len(recs))
	}
}
