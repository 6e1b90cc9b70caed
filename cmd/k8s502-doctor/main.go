// Command k8s502-doctor checks, before go-live and at a pod's start, what
// the collector cannot tell by itself from the configuration a k8s502 pod
// runs: that the k8s502 receiver's include patterns match log files on
// this node (and, when not, what the node has there), that the newest lines
// parse with the configured format through the receiver's own parsers,
// that RBAC allows every list and watch the correlate502 processor's
// informers make (they sync even when a verb is missing), and that each
// OTLP exporter's backend accepts a marked test record (k8s502.doctor=true).
//
//	k8s502-doctor --config /conf/config.yaml [--kubeconfig ~/.kube/config [--as user]] [--no-send]
//
// Every check prints `PASS|WARN|FAIL <check>: <detail>`; the last line is
// the verdict. The exit status is 1 when a check FAILs (0 with --exit-zero,
// for an initContainer that logs the verdict without holding the pod).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/doctor"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// configs is a repeatable flag, like the collector's --config.
type configs []string

func (c *configs) String() string     { return strings.Join(*c, ",") }
func (c *configs) Set(v string) error { *c = append(*c, v); return nil }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("k8s502-doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o doctor.Options
	var cfgs configs
	var exitZero bool
	fs.Var(&cfgs, "config", "the collector's config: a path or a URI (file:, yaml:, env:), repeatable and merged in order, as the pod passes it to otelcol-k8s502")
	fs.StringVar(&o.Kubeconfig, "kubeconfig", "", "kubeconfig for the RBAC check instead of what auth_type says (in-cluster service account or the default kubeconfig)")
	fs.StringVar(&o.As, "as", "", "impersonate this user for the RBAC check, e.g. system:serviceaccount:k8s502:otelcol-k8s502-gateway (with your --kubeconfig)")
	fs.BoolVar(&o.NoSend, "no-send", false, "do not send the test record to the OTLP exporters' backends")
	fs.IntVar(&o.SampleLines, "lines", 200, "newest lines parsed from each log file")
	fs.IntVar(&o.SampleFiles, "files", 5, "newest matched log files sampled per receiver")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Second, "bound on each API server and export request")
	fs.BoolVar(&exitZero, "exit-zero", false, "exit 0 even when a check fails (an initContainer that only logs the verdict)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if len(cfgs) == 0 || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "k8s502-doctor: --config is required (and nothing else on the command line)")
		fs.Usage()
		return 2
	}
	o.Configs, o.Out = cfgs, stdout
	if doctor.Failed(doctor.Run(ctx, o)) && !exitZero {
		return 1
	}
	return 0
}
