//go:build chaos

package chaos

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"
)

// criLine is one line of container output and the stream it went to.
type criLine struct {
	stream string // stdout (access log) or stderr (error log)
	text   string
}

// traffic makes what an ingress-nginx controller prints for one request:
// its access line in the default log-format-upstream
//
//	$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer"
//	"$http_user_agent" $request_length $request_time [$proxy_upstream_name]
//	[$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length
//	$upstream_response_time $upstream_status $req_id
//
// and, for failures nginx notices itself, the error-log line nginx writes
// first. The shapes are those of the real captures in
// receiver/k8s502receiver/testdata/ingress-nginx/scenarios.
type traffic struct {
	rng  *rand.Rand
	conn uint64 // nginx's connection counter, "*N" in the error log
	seq  uint64 // makes every request line unique, so the receiver's join (client + request line) is unambiguous
}

func newTraffic(seed uint64) *traffic {
	return &traffic{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

var (
	clients  = []string{"10.12.7.33", "198.51.100.23", "172.20.1.5", "203.0.113.45", "192.0.2.200"}
	agents   = []string{"okhttp/4.12.0", "Go-http-client/1.1", "python-requests/2.32.3", "shop-ios/5.12.1 (iPhone; iOS 18.1)", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"}
	referers = []string{"-", "https://www.google.com/", "https://shop.example.com/cart"}
)

// reqID is $req_id: 16 random bytes in hex.
func (g *traffic) reqID() string {
	return fmt.Sprintf("%016x%016x", g.rng.Uint64(), g.rng.Uint64())
}

// request returns the lines of one request at now; failed requests
// (502/503/504) also return their req_id.
func (g *traffic) request(now time.Time, failed bool) (lines []criLine, failedID string) {
	g.seq++
	g.conn++
	id := g.reqID()
	client := clients[g.rng.IntN(len(clients))]
	agent := agents[g.rng.IntN(len(agents))]
	referer := referers[g.rng.IntN(len(referers))]
	reqLen := 150 + g.rng.IntN(150)
	seq := strconv.FormatUint(g.seq, 10)
	const host = "shop.example.com"

	// Upstream fields: addr, response length, response time, status.
	type shape struct {
		path, upstream, status, bytes, reqTime, addr, upLen, upTime, upStatus string
		errLine                                                               string // error-log message, "" for none
	}
	pod := "10.244.1." + strconv.Itoa(10+g.rng.IntN(20)) + ":8080"
	var s shape
	if !failed {
		t := fmt.Sprintf("0.%03d", 1+g.rng.IntN(40))
		n := strconv.Itoa(200 + g.rng.IntN(800))
		s = shape{"/api/checkout/cart/" + seq, "shop-checkout-8080", "200", n, t, pod, n, t, "200", ""}
	} else {
		switch k := g.rng.IntN(100); {
		case k < 50: // pod gone: nothing listens, nginx logs the refused connect
			s = shape{"/api/inventory/items/SKU-" + seq, "shop-inventory-8080", "502", "150", "0.000", pod, "0", "0.000", "502",
				"connect() failed (111: Connection refused) while connecting to upstream"}
		case k < 70: // upstream too slow: proxy_read_timeout
			s = shape{"/api/reports/daily/" + seq, "shop-reports-8080", "504", "160", "3.002", pod, "0", "3.002", "504",
				"upstream timed out (110: Operation timed out) while reading response header from upstream"}
		case k < 85: // the application itself answered 503
			s = shape{"/v1/ledger/app503/" + seq, "finance-ledger-8080", "503", "24", "0.001", pod, "24", "0.001", "503", ""}
		default: // Service without endpoints: ingress-nginx's Lua 503, no upstream contacted
			s = shape{"/api/promotions/" + seq, "shop-promotions-8080", "503", "190", "0.000", "-", "-", "-", "-", ""}
		}
		failedID = id
	}
	request := "GET " + s.path + " HTTP/1.1"
	if s.errLine != "" {
		// nginx's error-log layout; times in UTC as the receiver's default
		// error_log_timezone assumes.
		upstream := "http://" + s.addr + s.path
		lines = append(lines, criLine{"stderr", fmt.Sprintf(
			`%s [error] 32348#32348: *%d %s, client: %s, server: %s, request: "%s", upstream: "%s", host: "%s"`,
			now.UTC().Format("2006/01/02 15:04:05"), g.conn, s.errLine, client, host, request, upstream, host)})
	}
	lines = append(lines, criLine{"stdout", fmt.Sprintf(
		`%s - - [%s] "%s" %s %s "%s" "%s" %d %s [%s] [] %s %s %s %s %s`,
		client, now.UTC().Format("02/Jan/2006:15:04:05 -0700"), request, s.status, s.bytes, referer, agent,
		reqLen, s.reqTime, s.upstream, s.addr, s.upLen, s.upTime, s.upStatus, id)})
	return lines, failedID
}
