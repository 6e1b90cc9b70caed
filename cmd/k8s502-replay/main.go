// Command k8s502-replay judges an incident offline, the way the collector
// does in a cluster: it replays an ingress controller's log (a folder of
// kubelet pod logs, one CRI file, or what `kubectl logs` printed) through
// the built otelcol-k8s502 against a `kubectl get -A -o yaml` dump, and
// prints the incidents it finds, newest first (or JSON).
//
//	go run ./cmd/k8s502-replay -logs bundle/controller.log -snapshot bundle/cluster.yaml
//
// `make demo` runs it on the bundled real ingress-nginx log.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	var o options
	flag.StringVar(&o.collector, "collector", "_build/otelcol-k8s502", "the collector binary (make build)")
	flag.StringVar(&o.logs, "logs", "", "the controller's log: a /var/log/pods-style folder, one CRI or docker file, or `kubectl logs` output")
	flag.StringVar(&o.snapshot, "snapshot", "", "cluster state: `kubectl get pods,services,endpointslices,events,deployments,replicasets,networkpolicies,namespaces -A -o yaml`")
	flag.StringVar(&o.format, "format", "ingress-nginx", "the gateway's log format (the receiver's format option)")
	flag.StringVar(&o.pod, "pod", "ingress-nginx/ingress-nginx-controller", "namespace/name of the controller pod, for a single log file")
	flag.BoolVar(&o.json, "json", false, "print the incident records as JSON lines instead of the table")
	flag.BoolVar(&o.records, "records", false, "also print every request record (the collector's debug exporter)")
	flag.Parse()
	if o.logs == "" || o.snapshot == "" {
		fmt.Fprintln(os.Stderr, "k8s502-replay: -logs and -snapshot are required")
		flag.Usage()
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "k8s502-replay:", err)
		os.Exit(1)
	}
}

type options struct {
	collector, logs, snapshot, format, pod string
	json, records                          bool
}
