package diagnose

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

const addrB = ipB + ":8080"

// A request whose first attempt was reset by a pod being deleted, and which
// a retry at pod B answered 200, is judged by the reset attempt: the
// deletion, not "the app answered 200".
func TestRescuedRequestJudgedByFailedAttempt(t *testing.T) {
	for _, withErrorLine := range []bool{true, false} {
		w := newWorld(t)
		w.shop()
		w.pod(mkPod(podA, ipA, deleting(at(-3), 30)), at(-3))
		w.endpoints("checkout", at(-2.5), ep(ipA, podA, "node-a", false, true), ep(ipB, podB, "node-b", true, false))
		f := failedAt(schema.ErrConnectionReset, msgReset)
		f.Status, f.Origin, f.Outcome = 200, schema.OriginUpstream, schema.OutcomeRecovered
		f.Addresses, f.Statuses, f.ResponseLengths = []string{addrA, addrB}, []string{"502", "200"}, []int64{0, 1532}
		f.ResponseTimes = []float64{0.001, 0.020}
		if !withErrorLine {
			// Only the access line: its attempt list still says which failed.
			f.ErrorKind, f.ErrorMessage, f.ErrorUpstream = "", "", ""
		}
		got := w.diagnose(f)
		assert.Equal(t, schema.CausePodTermination, got.Cause, "error line %v: %v", withErrorLine, got.Evidence)
		assert.Equal(t, podA, got.Target.Pod)
		require.NotEmpty(t, got.Evidence)
		assert.Contains(t, got.Evidence[0], "the client got 200 from a retry; judged by the attempt that failed: "+addrA+" answered 502")
	}
}

// The app's own 503 on the first attempt, rescued by a retry, is still the
// app's answer (it had a body): upstream_app_error, about the failed
// attempt's pod and status.
func TestRescuedAppErrorStaysAppError(t *testing.T) {
	w := newWorld(t)
	w.shop()
	f := failedAt("", "")
	f.ErrorUpstream = ""
	f.Status, f.Origin, f.Outcome = 200, schema.OriginUpstream, schema.OutcomeRecovered
	f.Addresses, f.Statuses, f.ResponseLengths = []string{addrA, addrB}, []string{"503", "200"}, []int64{19, 1532}
	got := w.diagnose(f)
	assert.Equal(t, schema.CauseUpstreamAppError, got.Cause)
	assert.Equal(t, podA, got.Target.Pod)
	assert.Contains(t, got.Evidence[1], "returned 503 itself")
}

// Two attempts failing at two pods for the same reason: one cause, both
// pods named; for different reasons: the record says so and is not high.
func TestSeveralFailedAttempts(t *testing.T) {
	both := func(w *world) {
		w.shop(lastTerminated("OOMKilled", 137, 4, at(-2)), withReady(false, at(-2)))
		w.pod(mkPod(podB, ipB, onNode("node-b"), lastTerminated("OOMKilled", 137, 2, at(-1)), withReady(false, at(-1))), at(-1))
	}
	f := failedAt(schema.ErrConnectRefused, msgRefused)
	f.Addresses = []string{addrA, addrB, upstream}
	f.Statuses = []string{"502", "502", "502"}
	f.ResponseTimes = []float64{0, 0, 0}
	f.ErrorUpstream = addrB

	w := newWorld(t)
	both(w)
	got := w.diagnose(f)
	assert.Equal(t, schema.CausePodCrash, got.Cause)
	assert.Equal(t, schema.ConfidenceHigh, got.Confidence)
	assert.Equal(t, podB, got.Target.Pod, "the attempt the error line names")
	assert.Equal(t, []Attempt{{Address: addrA, Pod: podA, Cause: schema.CausePodCrash}, {Address: addrB, Pod: podB, Cause: schema.CausePodCrash}}, got.Attempts)
	assert.Contains(t, got.Evidence[0], "2 attempts failed, each judged")

	// Pod B was fine: only A crashed. B refusing is not explained by a crash.
	w = newWorld(t)
	w.shop(lastTerminated("OOMKilled", 137, 4, at(-2)), withReady(false, at(-2)))
	got = w.diagnose(f)
	require.Len(t, got.Attempts, 2)
	assert.Equal(t, schema.CausePodCrash, got.Attempts[0].Cause)
	assert.NotEqual(t, schema.CausePodCrash, got.Attempts[1].Cause)
	assert.NotEqual(t, schema.ConfidenceHigh, got.Confidence)
	assert.Contains(t, got.Evidence[0], "2 attempts failed for different reasons")

	// One failed address (the group name after it is not an address): judged
	// as before, no attempt list.
	w = newWorld(t)
	both(w)
	f.Addresses, f.Statuses, f.ErrorUpstream = []string{addrA, upstream}, []string{"502", "502"}, addrA
	got = w.diagnose(f)
	assert.Empty(t, got.Attempts)
	assert.Equal(t, podA, got.Target.Pod)
}
