package testproc

import (
	"strings"
	"testing"
)

// AddrInUse is how Go programs (etcd, kube-apiserver, Traefik,
// VictoriaLogs) report a listen port taken; nginx and HAProxy word it their
// own way.
const AddrInUse = "address already in use"

// StartRetrying calls start, retrying twice while its error contains inUse:
// a harness picks its listen ports before the program binds them, so
// another process can win the race, and fresh ports on retry are cheaper
// than avoiding it. start must pick its ports anew on each call. The
// process is stopped in t.Cleanup; a last error fails the test.
func StartRetrying[P interface{ Stop(testing.TB) }](t testing.TB, name, inUse string, start func() (P, error)) P {
	t.Helper()
	for attempt := 1; ; attempt++ {
		p, err := start()
		if err == nil {
			t.Cleanup(func() { p.Stop(t) })
			return p
		}
		if !strings.Contains(err.Error(), inUse) || attempt == 3 {
			t.Fatalf("%s: %v", name, err)
		}
		t.Logf("%s: port taken, retrying with new ports", name)
	}
}
