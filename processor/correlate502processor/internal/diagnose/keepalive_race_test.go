package diagnose

import (
	"testing"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

func TestKeepaliveRace(t *testing.T) {
	refA := "pod shop/" + podA
	const (
		sendReset = "writev() failed (32: Broken pipe) while sending request to upstream"
	)
	rem := `kubectl -n ingress-nginx patch configmap ingress-nginx-controller --type merge -p '{"data":{"upstream-keepalive-timeout":"30"}}'`
	run(t, schema.ErrPrematureClose, msgPremHdr, []testCase{
		{
			name: "closed before the header, at once",
			want: want{
				cause: schema.CauseKeepaliveRace, confidence: schema.ConfidenceMedium, target: &targetA,
				evidence: []string{
					"10.1.2.3:8080 (" + refA + ") closed the connection at " + rfc(t0) + ": " + msgPremHdr,
					refA + " was Ready, not terminating and had no restart in the window",
				},
				remediation: []string{"keep-alive idle timeout longer than ingress-nginx's upstream-keepalive-timeout", rem},
			},
		},
		{
			name:  "reset while reading the header",
			facts: func(f *Facts) { f.ErrorKind, f.ErrorMessage = schema.ErrConnectionReset, msgReset },
			want:  want{cause: schema.CauseKeepaliveRace, evidence: []string{msgReset}},
		},
		{
			name: "broken pipe sending the request, controller in its own namespace",
			facts: func(f *Facts) {
				f.ErrorKind, f.ErrorMessage, f.ControllerNamespace = schema.ErrConnectionReset, sendReset, "ingress"
			},
			want: want{
				cause:          schema.CauseKeepaliveRace,
				remediation:    []string{"kubectl -n ingress patch configmap"},
				notRemediation: []string{"-n ingress-nginx"},
			},
		},
		{
			name:  "no pod known at the address",
			facts: func(f *Facts) { f.ErrorUpstream, f.Addresses = "10.9.9.9:8080", []string{"10.9.9.9:8080"} },
			want:  want{cause: schema.CauseKeepaliveRace, confidence: schema.ConfidenceLow},
		},
		{
			name:  "closed mid-body",
			facts: func(f *Facts) { f.ErrorMessage = msgPremBody },
			want: want{
				cause:    schema.CauseUnknown,
				ruledOut: []string{"the connection broke mid-response (" + msgPremBody + "), not on reuse"},
			},
		},
		{
			// The app's own 30s write timeout closes without answering:
			// same message, but the connection was busy, not idle.
			name:  "closed after holding the request 30s",
			facts: func(f *Facts) { f.ResponseTimes = []float64{30.004} },
			want: want{
				cause:    schema.CauseUnknown,
				ruledOut: []string{"10.1.2.3:8080 held the request 30.004s before closing"},
			},
		},
		{
			name: "reset by a pod being deleted",
			setup: func(w *world) {
				w.pod(mkPod(podA, ipA, deleting(at(-2), 30)), at(-2))
			},
			want: want{cause: schema.CausePodTermination},
		},
	})
}
