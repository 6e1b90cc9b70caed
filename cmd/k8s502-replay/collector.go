package main

import (
	"bufio"
	"bytes"
	"errors"
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

// config is the collector's configuration for a replay: the receiver reads
// the laid-out logs from the start, correlate502 judges against the
// snapshot, and the records come back to this program over OTLP/HTTP.
const config = `receivers:
  k8s502:
    include: ["${env:REPLAY_LOGS}/*/*/*.log"]
    format: ${env:REPLAY_FORMAT}
    start_at: beginning
    poll_interval: 100ms
processors:
  correlate502:
    auth_type: none
    cluster_snapshot: ${env:REPLAY_SNAPSHOT}
    decision_wait: 1s
exporters:
  otlp_http:
    logs_endpoint: ${env:REPLAY_SINK}/v1/logs
    compression: none
    retry_on_failure:
      enabled: true
      max_elapsed_time: 0
service:
  pipelines:
    logs:
      receivers: [k8s502]
      processors: [correlate502]
      exporters: [otlp_http]
  telemetry:
    logs:
      level: warn
      encoding: console
    metrics:
      level: normal
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: ${env:REPLAY_METRICS_PORT}
`

// withRecords adds the debug exporter, which prints every record.
const withRecords = `exporters:
  debug:
    verbosity: detailed
service:
  pipelines:
    logs:
      exporters: [otlp_http, debug]
  telemetry:
    logs:
      level: info   # the debug exporter prints through the collector's log
`

func run(o options) error {
	scratch, err := os.MkdirTemp("", "k8s502-replay-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	logs := filepath.Join(scratch, "pods")
	lines, err := layOut(o.logs, logs, o.pod)
	if err != nil {
		return err
	}
	snapshot, err := filepath.Abs(o.snapshot)
	if err != nil {
		return err
	}
	sink, err := startSink()
	if err != nil {
		return err
	}
	defer sink.close()
	port, err := freePort()
	if err != nil {
		return err
	}
	args := []string{"--config", "yaml:" + config}
	if o.records {
		args = append(args, "--config", "yaml:"+withRecords)
	}
	cmd := exec.Command(o.collector, args...)
	cmd.Env = append(os.Environ(), "REPLAY_LOGS="+logs, "REPLAY_FORMAT="+o.format, "REPLAY_SNAPSHOT="+snapshot,
		"REPLAY_SINK="+sink.url, "REPLAY_METRICS_PORT="+strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s (run `make build` first): %w", o.collector, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	metricsURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
	deadline := time.After(5 * time.Minute)
	for done := false; !done; {
		select {
		case err := <-exited:
			return fmt.Errorf("collector exited early: %v", err)
		case <-deadline:
			_ = cmd.Process.Kill()
			return errors.New("collector did not read the whole log within 5 minutes")
		case <-time.After(200 * time.Millisecond):
			m, err := scrape(metricsURL)
			done = err == nil && settled(m, lines, sink.requests())
		}
	}
	m, _ := scrape(metricsURL)
	// SIGTERM closes every open incident: their final counts arrive now.
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := <-exited; err != nil {
		return fmt.Errorf("collector: %w", err)
	}
	incs := sink.incidents()
	if o.json {
		return printJSON(os.Stdout, incs)
	}
	fmt.Printf("\n== k8s502: %d log lines of %s judged against %s\n", lines, o.logs, o.snapshot)
	fmt.Printf("== %d failed requests in %d incidents, newest first", sink.requests(), len(incs))
	if !o.records {
		fmt.Printf(" (every request record: add -records)")
	}
	fmt.Printf("\n\n")
	printTable(os.Stdout, incs)
	fmt.Printf("\n   receiver counters:\n")
	for _, k := range sortedKeys(m) {
		if strings.HasPrefix(k, "otelcol_k8s502_receiver_") {
			fmt.Printf("     %-72s %g\n", strings.TrimPrefix(k, "otelcol_"), m[k])
		}
	}
	return nil
}

// settled reports whether the collector has read every line and judged and
// delivered every record: the receiver's join and the processor's
// decision_wait release records a few seconds after the last line, as in
// production.
func settled(m map[string]float64, lines, delivered int) bool {
	emitted := m["otelcol_k8s502_receiver_records_emitted"]
	return m["otelcol_k8s502_receiver_lines_read"] >= float64(lines) &&
		m["otelcol_k8s502_receiver_pending_errors"] == 0 &&
		m["otelcol_correlate502_records_pending"] == 0 &&
		emitted > 0 && m["otelcol_correlate502_records_annotated"] >= emitted &&
		float64(delivered) >= emitted
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

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
