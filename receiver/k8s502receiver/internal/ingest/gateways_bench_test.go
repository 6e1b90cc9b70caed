package ingest

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/container"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/envoy"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/gateway"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/haproxy"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/join"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/nginx"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/traefik"
)

// mixLines and mixFailEvery shape the input of BenchmarkGatewayMix: the
// size of the ingress-nginx bench file and its failure rate (about 1%), so
// the formats compare on the traffic a gateway really sees rather than on
// the captures, where a quarter of the lines are failures.
const (
	mixLines     = 200000
	mixFailEvery = 100
)

type mixCase struct {
	name    string
	file    string // a real CRI capture, relative to testdata
	profile gateway.Profile
}

var mixCases = []mixCase{
	{name: "ingress-nginx", file: "ingress-nginx/scenarios/var/log/pods/*/controller/0.log", profile: nginx.IngressNginx},
	{name: "f5-nginx-ingress", file: "nginx-ingress-f5/var/log/pods/*/*/0.log", profile: nginx.F5NginxIngress},
	{name: "haproxy", file: "haproxy/haproxytech/var/log/pods/*/*/0.log", profile: haproxy.Profile},
	{name: "traefik-json", file: "traefik/json/var/log/pods/*/*/0.log", profile: traefik.Profile},
	{name: "traefik-common", file: "traefik/text/var/log/pods/*/*/0.log", profile: traefik.Profile},
	{name: "envoy-istio", file: "envoy/var/log/pods/istio-system_*/*/0.log", profile: envoy.Profile},
}

func (c mixCase) ingest(b *testing.B, j *join.Joiner) *Ingest {
	cfg := Config{Wrapper: container.Auto, NewParser: parsers(b, c.profile), Watched: NewStatuses([]int{502, 503, 504}), MaxLineSize: 1 << 20}
	return New(cfg, j)
}

// mixInput splits a capture into the lines the receiver keeps (they reach
// the join: failed requests and their error lines) and the rest, then
// deals them out 99 to 1, keeping each part's own order so error lines
// still precede their access lines.
func (c mixCase) mixInput(b *testing.B) [][]byte {
	m, err := filepath.Glob(filepath.Join("../../testdata", c.file))
	if err != nil || len(m) != 1 {
		b.Fatalf("%s: %v %v", c.file, m, err)
	}
	lines := readLines(b, m[0])
	in := c.ingest(b, join.New(join.Config{Window: time.Hour, Hold: time.Hour, MaxPending: 1 << 20}, func(join.Request) {}))
	src := in.NewSource("classify")
	var kept, rest [][]byte
	for _, l := range lines {
		before := in.Counters.LinesMatched.Load()
		in.Lines(src, [][]byte{l}, time.Now())
		if in.Counters.LinesMatched.Load() > before {
			kept = append(kept, l)
		} else {
			rest = append(rest, l)
		}
	}
	if len(kept) == 0 || len(rest) == 0 {
		b.Fatalf("%s: %d kept, %d other lines", c.name, len(kept), len(rest))
	}
	out := make([][]byte, 0, mixLines)
	for i, k, r := 0, 0, 0; i < mixLines; i++ {
		if i%mixFailEvery == mixFailEvery-1 {
			out = append(out, kept[k%len(kept)])
			k++
		} else {
			out = append(out, rest[r%len(rest)])
			r++
		}
	}
	return out
}

// BenchmarkGatewayMix is the receiver's line path (unwrap, route, parse,
// join) for each gateway on ~200k lines of its own real capture, mixed to
// the same ~1% failure rate, so the lines/s of the formats compare with
// each other and with ingress-nginx in the same run.
func BenchmarkGatewayMix(b *testing.B) {
	for _, c := range mixCases {
		b.Run(c.name, func(b *testing.B) {
			all := c.mixInput(b)
			b.ReportAllocs()
			b.ResetTimer()
			var elapsed time.Duration
			for range b.N {
				b.StopTimer()
				records := 0
				j := join.New(join.Config{Window: 3 * time.Minute, Hold: 2 * time.Second, MaxPending: 10000}, func(join.Request) { records++ })
				in := c.ingest(b, j)
				src := in.NewSource(c.name)
				b.StartTimer()
				start := time.Now()
				for k := 0; k < len(all); k += 100 {
					in.Lines(src, all[k:min(k+100, len(all))], time.Now())
				}
				j.Flush()
				elapsed += time.Since(start)
				b.StopTimer()
				if n := in.Counters.LinesRead.Load(); n != mixLines {
					b.Fatalf("read %d lines, want %d", n, mixLines)
				}
				if records == 0 {
					b.Fatal("no records")
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(mixLines)*float64(b.N)/elapsed.Seconds(), "lines/s")
		})
	}
}
