// Command demo runs the otelcol-k8s502 distribution on the bundled ingress-nginx
// log, waits until the receiver has read every line, stops the collector
// (which flushes the join) and prints a summary. It exists so `make demo` ends
// by itself; the collector and config are exactly what users run.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("collector", "_build/otelcol-k8s502", "collector binary")
	cfg := flag.String("config", "examples/demo/config.yaml", "collector config")
	logs := flag.String("logs", "examples/demo/var/log/pods", "pod log tree to replay")
	flag.Parse()
	if err := run(*bin, *cfg, *logs); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(bin, cfg, logs string) error {
	scratch, err := os.MkdirTemp("", "k8s502-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	lines, err := copyTree(logs, scratch)
	if err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, "--config", cfg)
	cmd.Env = append(os.Environ(), "DEMO_LOGS="+scratch, "DEMO_METRICS_PORT="+strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s (run `make build` first): %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	metricsURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
	deadline := time.After(2 * time.Minute)
	for done := false; !done; {
		select {
		case err := <-exited:
			return fmt.Errorf("collector exited early: %v", err)
		case <-deadline:
			_ = cmd.Process.Kill()
			return errors.New("collector did not read the whole log within 2 minutes")
		case <-time.After(200 * time.Millisecond):
			m, err := scrape(metricsURL)
			done = err == nil && settled(m, lines)
		}
	}
	m, _ := scrape(metricsURL)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := <-exited; err != nil {
		return fmt.Errorf("collector: %w", err)
	}
	fmt.Printf("\n== k8s502 demo: read %d log lines from %s\n", lines, logs)
	fmt.Printf("== each record above is one request worth a look: what nginx saw (k8s502.outcome, k8s502.origin,\n")
	fmt.Printf("== k8s502.error.kind) and why (k8s502.cause, k8s502.evidence, k8s502.ruled_out, k8s502.remediation)\n")
	fmt.Printf("== the log is ingress-nginx's; HAProxy, Traefik, Envoy and F5 NGINX give the same records with the\n")
	fmt.Printf("== receiver's format option (examples/gateways)\n\n")
	fmt.Printf("   records by cause:\n")
	for _, k := range sortedKeys(m) {
		if c, ok := strings.CutPrefix(k, "otelcol_correlate502_records_annotated{cause="); ok {
			fmt.Printf("     %-26s %g\n", strings.Trim(c, "\"}"), m[k])
		}
	}
	fmt.Printf("\n   receiver counters:\n")
	for _, k := range sortedKeys(m) {
		if strings.HasPrefix(k, "otelcol_k8s502_receiver_") {
			fmt.Printf("     %-72s %g\n", strings.TrimPrefix(k, "otelcol_"), m[k])
		}
	}
	return nil
}

// settled reports whether the collector has read every line and let every
// record through: the receiver's join and the processor's decision_wait
// release records a few seconds after the last line, as in production.
func settled(m map[string]float64, lines int) bool {
	emitted := m["otelcol_k8s502_receiver_records_emitted"]
	return m["otelcol_k8s502_receiver_lines_read"] >= float64(lines) &&
		m["otelcol_k8s502_receiver_pending_errors"] == 0 &&
		m["otelcol_correlate502_records_pending"] == 0 &&
		emitted > 0 && m["otelcol_correlate502_records_annotated"] >= emitted
}

// scrape reads a Prometheus text exposition into name{labels} -> value,
// dropping the _total suffix so names match metadata.yaml.
func scrape(url string) (map[string]float64, error) {
	resp, err := http.Get(url) //nolint:gosec // loopback URL built above
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		name := line[:i]
		labels := ""
		if j := strings.IndexByte(name, '{'); j >= 0 {
			name, labels = name[:j], keepLabels(name[j:])
		}
		name = strings.TrimSuffix(name, "_total")
		out[name] += v
		if labels != "" {
			out[name+labels] += v
		}
	}
	return out, sc.Err()
}

// keepLabels keeps the receiver's own attributes, not the collector's
// identity labels, so the summary stays short.
func keepLabels(l string) string {
	var kept []string
	for _, kv := range strings.Split(strings.Trim(l, "{}"), ",") {
		for _, k := range []string{"outcome=", "line_kind=", "reason=", "cause=", "kind="} {
			if strings.HasPrefix(kv, k) {
				kept = append(kept, kv)
			}
		}
	}
	if len(kept) == 0 {
		return ""
	}
	return "{" + strings.Join(kept, ",") + "}"
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// copyTree copies the log tree so replays never touch the repository's
// files, and counts the lines the collector has to read.
func copyTree(src, dst string) (int, error) {
	lines := 0
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		lines += bytes.Count(data, []byte("\n"))
		return os.WriteFile(target, data, 0o644)
	})
	return lines, err
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
