package diagnose

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// meshProxies are sidecars whose declared ports say nothing about where the
// app listens: a pod whose only declared ports are theirs declares none of
// its own.
var meshProxies = []string{"istio-proxy", "linkerd-proxy"}

// targetPortMismatch: a Ready pod, not crashed, restarted or deleted around
// the request, refused the connection on a port none of its containers
// declares, while they declare others: the Service's targetPort points
// beside the port the app listens on (a renamed port, a changed app port,
// a copied manifest). Readiness probes go to the app's real port, so the pod
// looks healthy while every request through the Service is refused.
// containerPorts are informational (a process may listen on a port it does
// not declare), so the verdict is medium at most.
func targetPortMismatch(j *judge) bool {
	if j.f.ErrorKind != schema.ErrConnectRefused || j.pod == nil || j.svc == nil {
		return false
	}
	p := j.pod.Pod
	if ready, known := j.readyAt(p.Namespace, p.Name); !known || !ready {
		j.ruleOut("targetPort not compared: %s was not known to be Ready at %s", j.podRef(), j.ts(j.f.Time))
		return false
	}
	if why := j.unsettled(); why != "" {
		j.ruleOut("targetPort not compared: %s", why)
		return false
	}
	svc, ok := j.s.ServiceAt(j.svc.ns, j.svc.name, j.f.Time) // the spec in force then
	if !ok {
		return false
	}
	idx, sp, ok := servicePortOf(svc, j.svc.port, j.port)
	if !ok {
		j.ruleOut("targetPort not compared: which port of service %s/%s the gateway used is unknown", svc.Namespace, svc.Name)
		return false
	}
	if !declaresOwnPort(p) {
		j.ruleOut("targetPort not checked: no container of %s declares a port (other than a mesh proxy's), so whether anything listens on the Service's targetPort cannot be checked", j.podRef())
		return false
	}
	if j.port != 0 && declares(p, j.port) {
		j.ruledOut(j.podRef() + " declares port " + strconv.Itoa(int(j.port)) + ", the one " + j.gw.Words + " dialled: the Service's targetPort is right")
		return false
	}
	tp := sp.TargetPort
	if tp.Type == intstr.Int && tp.IntVal == 0 {
		tp = intstr.FromInt32(sp.Port) // unset targetPort defaults to the port
	}
	// The EndpointSlice carries targetPort as resolved for this pod; when it
	// is the port the gateway dialled, that number is what was refused.
	want := tp
	listed := j.port != 0 && j.sliceListsPort()
	if listed {
		want = intstr.FromInt32(j.port)
	}
	if want.Type == intstr.Int && declares(p, want.IntVal) || want.Type == intstr.String && declaresName(p, want.StrVal) {
		j.ruleOut("%s declares the Service's targetPort %s", j.podRef(), want.String())
		return false
	}
	if want.Type == intstr.Int {
		if c := probedPort(p, want.IntVal); c != "" {
			j.ruleOut("the readiness probe of container %s of %s goes to port %d and the pod was Ready: something listened there", c, j.podRef(), want.IntVal)
			return false
		}
	}
	// The texts only now: most pods rule themselves out above.
	spDesc := fmt.Sprintf("service %s/%s port %s has targetPort %s", svc.Namespace, svc.Name, portLabel(sp.Port, sp.Name), tp.String())
	var ev []string
	if listed {
		ev = append(ev, fmt.Sprintf("%s; the EndpointSlice listed %s on port %d and %s dialled %s at %s: connection refused (%s)",
			spDesc, j.ip, j.port, j.gw.Words, j.result.Target.Address, j.ts(j.f.Time), orDash(j.f.ErrorMessage)))
	} else {
		ev = append(ev, fmt.Sprintf("%s; %s dialled %s at %s: connection refused (%s)",
			spDesc, j.gw.Words, j.result.Target.Address, j.ts(j.f.Time), orDash(j.f.ErrorMessage)))
	}
	what := "port " + want.String()
	if want.Type == intstr.String {
		what = "a port named " + want.StrVal
	}
	ev = append(ev,
		fmt.Sprintf("%s was Ready at %s with no restart or deletion since %s; its containers declare %s, none of them %s",
			j.podRef(), j.ts(j.f.Time), j.ts(j.f.Time.Add(-crashRecent)), strings.Join(declaredPorts(p), ", "), what),
		"containerPorts are informational: a process may listen on a port it does not declare, so this is not certain")
	return j.claim(schema.CauseTargetPortMismatch, schema.ConfidenceMedium, targetPortRemediation(j, idx, sp, want), ev...)
}

// unsettled says why the pod's lifecycle, not its ports, may explain the
// refusal: a container ended, or the pod was being deleted, near the
// request. The lifecycle rules run first and claim most of these; this
// guards the cases they rule out (a restart they judge too old to matter
// still leaves the port question open, a recent one does not).
func (j *judge) unsettled() string {
	p := j.pod.Pod
	from := j.f.Time.Add(-crashRecent)
	if terms := j.s.Terminations(p.Namespace, p.Name, from, j.to); len(terms) > 0 {
		return fmt.Sprintf("container %s of %s ended (%s) within %s of the request", terms[0].Container, j.podRef(), orDash(terms[0].Reason), crashRecent)
	}
	if p.DeletionTimestamp != nil || (!j.pod.Deleted.IsZero() && !j.pod.Deleted.After(j.to)) {
		return j.podRef() + " was being deleted"
	}
	for _, e := range j.podEvents(p, from) {
		if e.Reason == "Killing" || e.Reason == "BackOff" {
			return fmt.Sprintf("event %s on %s at %s", e.Reason, j.podRef(), j.ts(e.Time))
		}
	}
	return ""
}

// servicePortOf finds the Service port the gateway used: the one it named,
// else the only one, else the one whose numeric targetPort it dialled.
func servicePortOf(svc *corev1.Service, named string, dialled int32) (int, corev1.ServicePort, bool) {
	n, err := strconv.Atoi(named)
	for i, sp := range svc.Spec.Ports {
		if named != "" && ((err == nil && int(sp.Port) == n) || (sp.Name != "" && sp.Name == named)) {
			return i, sp, true
		}
	}
	if len(svc.Spec.Ports) == 1 {
		return 0, svc.Spec.Ports[0], true
	}
	for i, sp := range svc.Spec.Ports {
		if dialled != 0 && sp.TargetPort.Type == intstr.Int && sp.TargetPort.IntVal == dialled {
			return i, sp, true
		}
	}
	return 0, corev1.ServicePort{}, false
}

// sliceListsPort: the Service's EndpointSlice listed the failed address with
// the port the gateway dialled at the request's time.
func (j *judge) sliceListsPort() bool {
	for _, e := range j.endpoints(j.svc.ns, j.svc.name) {
		if e.IP == j.ip && slices.Contains(e.Ports, j.port) {
			return true
		}
	}
	return false
}

// declaredPorts renders every container's declared ports
// ("app:3000/TCP (http)").
func declaredPorts(p *corev1.Pod) (ports []string) {
	for _, c := range p.Spec.Containers {
		for _, cp := range c.Ports {
			s := fmt.Sprintf("%s:%d/%s", c.Name, cp.ContainerPort, orTCP(cp.Protocol))
			if cp.Name != "" {
				s += " (" + cp.Name + ")"
			}
			ports = append(ports, s)
		}
	}
	return ports
}

// declaresOwnPort: a container other than a mesh proxy declares a port.
func declaresOwnPort(p *corev1.Pod) bool {
	for _, c := range p.Spec.Containers {
		if len(c.Ports) > 0 && !slices.Contains(meshProxies, c.Name) {
			return true
		}
	}
	return false
}

func orTCP(p corev1.Protocol) corev1.Protocol {
	if p == "" {
		return corev1.ProtocolTCP
	}
	return p
}

func declares(p *corev1.Pod, port int32) bool {
	for _, c := range p.Spec.Containers {
		for _, cp := range c.Ports {
			if cp.ContainerPort == port {
				return true
			}
		}
	}
	return false
}

func declaresName(p *corev1.Pod, name string) bool {
	for _, c := range p.Spec.Containers {
		for _, cp := range c.Ports {
			if cp.Name == name {
				return true
			}
		}
	}
	return false
}

// probedPort names the container whose readiness probe connects to port: a
// Ready pod passed that probe, so the port was open.
func probedPort(p *corev1.Pod, port int32) string {
	for _, c := range p.Spec.Containers {
		rp := c.ReadinessProbe
		if rp == nil {
			continue
		}
		var target *intstr.IntOrString
		switch {
		case rp.HTTPGet != nil:
			target = &rp.HTTPGet.Port
		case rp.TCPSocket != nil:
			target = &rp.TCPSocket.Port
		case rp.GRPC != nil && rp.GRPC.Port == port:
			return c.Name
		}
		if target == nil {
			continue
		}
		if target.Type == intstr.Int && target.IntVal == port {
			return c.Name
		}
		for _, cp := range c.Ports {
			if target.Type == intstr.String && cp.Name == target.StrVal && cp.ContainerPort == port {
				return c.Name
			}
		}
	}
	return ""
}

func portLabel(port int32, name string) string {
	if name == "" {
		return strconv.Itoa(int(port))
	}
	return fmt.Sprintf("%d (%s)", port, name)
}

// targetPortRemediation points the Service at the port the app declares:
// the one named like the Service port or its targetPort, else the first of
// the app's containers. The other way round is fixing the app's port.
func targetPortRemediation(j *judge, idx int, sp corev1.ServicePort, want intstr.IntOrString) string {
	p := j.pod.Pod
	var best *corev1.ContainerPort
	container := ""
	for _, c := range p.Spec.Containers {
		if slices.Contains(meshProxies, c.Name) {
			continue
		}
		for i := range c.Ports {
			cp := &c.Ports[i]
			named := cp.Name != "" && (cp.Name == sp.Name || want.Type == intstr.String && cp.Name == want.StrVal)
			if best == nil || named {
				best, container = cp, c.Name
			}
			if named {
				break
			}
		}
	}
	ns, svc := j.svc.ns, j.svc.name
	fix := "declare and serve it"
	if w := j.result.Target.Workload; w != "" {
		fix += " in the pod template of " + lowerKind(w)
	}
	return fmt.Sprintf(`kubectl -n %s patch service %s --type json -p '[{"op":"replace","path":"/spec/ports/%d/targetPort","value":%d}]'  # container %s of pod %s declares %d%s; or, if the app is meant to listen on %s, %s (containerPort on container %s)`,
		ns, svc, idx, best.ContainerPort, container, p.Name, best.ContainerPort, nameSuffix(best.Name), want.String(), fix, container)
}

func nameSuffix(name string) string {
	if name == "" {
		return ""
	}
	return " (" + name + ")"
}
