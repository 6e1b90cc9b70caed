// Package testupstream runs the loopback backends proxy harnesses put
// behind a real proxy: one Behavior each (healthy, the application's own
// 502, slow, reset, closed early, refused, TLS), so every failure the
// product explains can be produced for real.
package testupstream

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testproc"
)

// Behavior is what a test upstream does with each request.
type Behavior int

const (
	// Healthy answers 200 with HealthyBody.
	Healthy Behavior = iota + 1
	// App502 is an application that itself answers 502 with App502Body, so
	// the proxy logs no error of its own.
	App502
	// Slow answers 200 only after SlowFor, or gives up when the proxy hangs
	// up; pair it with a shorter read timeout to get a 504.
	Slow
	// Reset reads the request and closes with RST (SO_LINGER 0).
	Reset
	// PrematureClose reads the request and closes with FIN.
	PrematureClose
	// Refused listens on nothing: the address only reserves the name.
	Refused
	// TLS serves HealthyBody over TLS with a self-signed certificate.
	TLS
	// TLS13Only is TLS refusing anything below TLS 1.3, for protocol
	// mismatches with proxy_ssl_protocols TLSv1.2.
	TLS13Only
)

const (
	// HealthyBody is the body of Healthy and TLS upstreams.
	HealthyBody = `{"status":"ok"}`
	// App502Body is the body the App502 upstream sends with its 502.
	App502Body = `{"error":"upstream dependency failed","code":502}`
	// SlowFor bounds a Slow upstream so a stuck test still ends.
	SlowFor = 30 * time.Second
)

// Upstream is a running test backend.
type Upstream struct {
	Addr     string
	Behavior Behavior
	// CertFile is the PEM certificate of TLS upstreams; trust it with
	// it in the proxy (nginx: Location.SSLTrustedCert) to make verification
	// succeed.
	CertFile string
	hits     atomic.Int64
}

// Hits is how many requests the upstream has read, to check retries.
func (u *Upstream) Hits() int { return int(u.hits.Load()) }

// Start starts a backend with behaviour b on addr (ip:port; port 0
// picks one) and stops it in t.Cleanup.
func Start(t testing.TB, addr string, b Behavior) *Upstream {
	t.Helper()
	u := &Upstream{Addr: addr, Behavior: b}
	if b == Refused {
		if strings.HasSuffix(addr, ":0") {
			u.Addr = testproc.FreeAddr(t, strings.TrimSuffix(addr, ":0"))
		}
		return u
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("testupstream: upstream listen %s: %v", addr, err)
	}
	u.Addr = l.Addr().String()
	switch b {
	case Healthy, App502, Slow:
		serveHTTP(t, u, l, nil)
	case TLS, TLS13Only:
		cfg, certFile := selfSignedTLS(t, u.Addr)
		u.CertFile = certFile
		if b == TLS13Only {
			cfg.MinVersion = tls.VersionTLS13
		}
		serveHTTP(t, u, l, cfg)
	case Reset, PrematureClose:
		serveRaw(t, u, l)
	default:
		_ = l.Close()
		t.Fatalf("testupstream: unknown behavior %d", b)
	}
	return u
}

func serveHTTP(t testing.TB, u *Upstream, l net.Listener, cfg *tls.Config) {
	srv := &http.Server{
		Handler: http.HandlerFunc(u.handle),
		// Handshake failures are the point of some tests; keep them quiet.
		ErrorLog:          log.New(io.Discard, "", 0),
		ReadHeaderTimeout: 10 * time.Second,
	}
	if cfg != nil {
		l = tls.NewListener(l, cfg)
	}
	go func() { _ = srv.Serve(l) }()
	// Close, not Shutdown: a Slow handler must not hold up the test's end.
	t.Cleanup(func() { _ = srv.Close() })
}

func (u *Upstream) handle(w http.ResponseWriter, r *http.Request) {
	u.hits.Add(1)
	_, _ = io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	switch u.Behavior {
	case App502:
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, App502Body)
		return
	case Slow:
		select {
		case <-time.After(SlowFor):
		case <-r.Context().Done():
			return
		}
	}
	_, _ = io.WriteString(w, HealthyBody)
}

// serveRaw accepts connections, reads one request head and hangs up, so
// the proxy sees the failure while reading the response header.
func serveRaw(t testing.TB, u *Upstream, l net.Listener) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				u.hangUp(c)
			}()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		wg.Wait()
	})
}

func (u *Upstream) hangUp(c net.Conn) {
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			_ = c.Close()
			return
		}
		if line == "\r\n" || line == "\n" {
			break
		}
	}
	u.hits.Add(1)
	if u.Behavior == Reset {
		if tc, ok := c.(*net.TCPConn); ok {
			// Linger 0 makes close() send RST instead of FIN.
			_ = tc.SetLinger(0)
		}
	}
	_ = c.Close()
}

// String helps failure messages name the backend.
func (u *Upstream) String() string { return fmt.Sprintf("%s(%d)", u.Addr, u.Behavior) }
