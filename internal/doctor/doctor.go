// Package doctor is the pre-flight check of cmd/k8s502-doctor: given the
// collector configuration a pod runs, it checks what the collector cannot
// tell at startup — that the include patterns find the controller's log
// files on this node, that their newest lines parse with the configured
// format, that RBAC allows every list and watch correlate502's informers
// make (informers sync even when one verb is missing), and that each OTLP
// exporter's backend accepts a record. Each check prints one line,
// `PASS|WARN|FAIL <check>: <detail>`.
//
// It lives here rather than in the command so that tests (test/e2e) run
// it as a library against a real API server.
package doctor

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"

	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver"
)

// Status is a check's verdict.
type Status int

// The verdicts, from best to worst.
const (
	Pass Status = iota
	Warn
	Fail
)

func (s Status) String() string {
	return [...]string{"PASS", "WARN", "FAIL"}[s]
}

// Result is one check's line.
type Result struct {
	Status Status
	Check  string // e.g. include[k8s502], rbac[correlate502]
	Detail string
}

func (r Result) String() string { return fmt.Sprintf("%s %s: %s", r.Status, r.Check, r.Detail) }

// Options are the command's flags.
type Options struct {
	// Configs are the collector's --config values (paths or URIs), merged
	// in order.
	Configs []string
	// Kubeconfig, when set, is used for the RBAC check instead of what
	// auth_type says (in-cluster credentials or the default kubeconfig).
	Kubeconfig string
	// As impersonates a user for the RBAC check (e.g. the gateway's
	// ServiceAccount, system:serviceaccount:k8s502:otelcol-k8s502-gateway)
	// when the doctor runs with someone else's credentials.
	As string
	// NoSend skips sending the test record to each OTLP exporter.
	NoSend bool
	// SampleLines is how many of the newest lines of each file are parsed;
	// SampleFiles how many of the newest matched files.
	SampleLines, SampleFiles int
	// Timeout bounds each API server and export request.
	Timeout time.Duration
	// Out receives each result line as it is decided, and the verdict.
	Out io.Writer
}

func (o *Options) defaults() {
	if o.SampleLines <= 0 {
		o.SampleLines = 200
	}
	if o.SampleFiles <= 0 {
		o.SampleFiles = 5
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
}

// Run runs every check and prints each result, then a verdict line of the
// same shape. It returns the results (without the verdict).
func Run(ctx context.Context, o Options) []Result {
	o.defaults()
	var results []Result
	report := func(rs ...Result) {
		for _, r := range rs {
			results = append(results, r)
			fmt.Fprintln(o.Out, r)
		}
	}
	report(checks(ctx, o)...)
	fmt.Fprintln(o.Out, Verdict(results))
	return results
}

// checks runs the checks in the order a pod's data flows: config, files,
// lines, cluster, backend.
func checks(ctx context.Context, o Options) []Result {
	cfg, err := loadConfig(ctx, o.Configs)
	if err != nil {
		return []Result{{Fail, "config", fmt.Sprintf("%s: %v", strings.Join(o.Configs, ", "), err)}}
	}
	var out []Result
	for _, name := range cfg.unset {
		out = append(out, Result{Warn, "config", fmt.Sprintf("${env:%s} is not set: the collector expands it to an empty string", name)})
	}
	var receivers, processors int
	for _, id := range cfg.receivers {
		if id.Type() != k8s502receiver.NewFactory().Type() {
			continue
		}
		receivers++
		rc := k8s502receiver.NewFactory().CreateDefaultConfig().(*k8s502receiver.Config)
		if err := cfg.decode("receivers", id, rc, nil); err != nil {
			out = append(out, Result{Fail, check("config", id), err.Error()})
			continue
		}
		r, files := checkInclude(id, rc)
		out = append(out, r)
		if len(files) > 0 {
			out = append(out, checkParse(id, rc, files, o))
		}
	}
	for _, id := range cfg.processors {
		if id.Type() != correlate502processor.NewFactory().Type() {
			continue
		}
		processors++
		pc := correlate502processor.NewFactory().CreateDefaultConfig().(*correlate502processor.Config)
		if err := cfg.decode("processors", id, pc, nil); err != nil {
			out = append(out, Result{Fail, check("config", id), err.Error()})
			continue
		}
		out = append(out, checkRBAC(ctx, id, pc, o)...)
	}
	if receivers+processors == 0 {
		out = append(out, Result{Warn, "config", "no k8s502 receiver or correlate502 processor in the pipelines: nothing of k8s502 to check"})
	}
	return append(out, checkExports(ctx, cfg, o)...)
}

func check(name string, id component.ID) string { return name + "[" + id.String() + "]" }

// Verdict is the last line: the worst status and how many of each.
func Verdict(results []Result) Result {
	worst, n := Pass, [3]int{}
	for _, r := range results {
		worst = max(worst, r.Status)
		n[r.Status]++
	}
	return Result{worst, "verdict", fmt.Sprintf("%d PASS, %d WARN, %d FAIL", n[Pass], n[Warn], n[Fail])}
}

// Failed reports whether any result is a FAIL: the command's exit status.
func Failed(results []Result) bool { return Verdict(results).Status == Fail }
