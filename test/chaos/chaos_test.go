//go:build chaos

// Package chaos runs the built collector as real processes against a
// kubelet-style controller log and a counting OTLP backend, kills and
// starves it, and checks that every failed request arrives exactly once.
// Each topology runs twice: a baseline without faults, which must count
// exactly (it proves the harness), then the faulted run. See README.md.
package chaos

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testotlp"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testproc"
)

// Topology a: one collector, k8s502 → correlate502 → otlp_http, with the
// receiver's offsets, the processor's pending records and the exporter's
// queue in one file_storage directory.
func TestSingle(t *testing.T) {
	m := chosenMode(t)
	bin := collectorBinary(t)
	t.Run("baseline", func(t *testing.T) { single(t, bin, m, false) })
	t.Run("faults", func(t *testing.T) { single(t, bin, m, true) })
}

func single(t *testing.T, bin string, m mode, faults bool) {
	dir := t.TempDir()
	backend := testotlp.Start(t)
	r := &run{name: "a single/" + t.Name()[len("TestSingle/"):], mode: m, faults: faults, root: dir, backend: backend}
	storage := filepath.Join(dir, "storage")
	if faults && m.diskFull > 0 {
		// 16 MiB holds the three bbolt files of a run many times over.
		disk, err := mountSmallDisk(storage, "16m")
		if err != nil {
			t.Logf("full disk skipped: %v", err)
			r.notes = append(r.notes, "full disk skipped: "+err.Error())
		} else {
			r.disk = disk
			t.Cleanup(func() { _ = disk.unmount() })
		}
	}
	cfg := filepath.Join(dir, "config.yaml")
	health := testproc.FreeAddr(t, "127.0.0.1")
	withStorage := processorStorage
	write := func() {
		body := singleConfig(logGlob(dir), backend.LogsEndpoint(), health, storage, withStorage)
		if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write()
	if err := validate(bin, cfg, nil); err != nil {
		if !withStorage || !rejectsProcessorStorage(err) {
			t.Fatalf("config: %v", err)
		}
		withStorage = false
		write()
		if err := validate(bin, cfg, nil); err != nil {
			t.Fatalf("config without correlate502 storage: %v", err)
		}
		t.Logf("this collector rejects correlate502's storage key: running without it\n%v", err)
		r.notes = append(r.notes, "correlate502 `storage` not supported by this binary: ran without it")
	}
	c := &collector{name: "collector", bin: bin, config: cfg, log: filepath.Join(dir, "collector.log"), health: health}
	r.start, r.targets = []*collector{c}, []*collector{c}
	r.play(t)
}

// Topology b: the shipped agent (DaemonSet ConfigMap) sends over OTLP gRPC
// to the shipped gateway (Deployment ConfigMap), which judges and exports to
// the backend; kills alternate between them.
func TestTwoTier(t *testing.T) {
	m := chosenMode(t)
	bin := collectorBinary(t)
	t.Run("baseline", func(t *testing.T) { twoTier(t, bin, m, false) })
	t.Run("faults", func(t *testing.T) { twoTier(t, bin, m, true) })
}

func twoTier(t *testing.T, bin string, m mode, faults bool) {
	dir := t.TempDir()
	backend := testotlp.Start(t)
	r := &run{name: "b agent→gateway/" + t.Name()[len("TestTwoTier/"):], mode: m, faults: faults, root: dir, backend: backend}
	// Both configs keep ${env:POD_IP}, ${env:CUBEAPM_ENDPOINT} and the
	// gateway profile's variables as shipped.
	env := append([]string{"POD_IP=127.0.0.1", "CUBEAPM_ENDPOINT=" + backend.URL()}, profileEnv(t)...)
	grpc := testproc.FreeAddr(t, "127.0.0.1")
	gwCfg, gwHealth := gatewayConfig(t, grpc, filepath.Join(dir, "gateway-storage"))
	agCfg, agHealth := agentConfig(t, logGlob(dir), grpc, filepath.Join(dir, "agent-storage"))
	gwPath, agPath := filepath.Join(dir, "gateway.yaml"), filepath.Join(dir, "agent.yaml")
	writeYAML(t, gwPath, gwCfg)
	writeYAML(t, agPath, agCfg)
	for _, p := range []string{gwPath, agPath} {
		if err := validate(bin, p, env); err != nil {
			t.Fatalf("%s: %v", filepath.Base(p), err)
		}
	}
	gw := &collector{name: "gateway", bin: bin, config: gwPath, env: env, log: filepath.Join(dir, "gateway.log"), health: gwHealth}
	ag := &collector{name: "agent", bin: bin, config: agPath, env: env, log: filepath.Join(dir, "agent.log"), health: agHealth}
	r.start, r.targets, r.gateway = []*collector{gw, ag}, []*collector{ag, gw}, gw
	if faults && m.gatewayAway == 0 {
		r.notes = append(r.notes, "gateway away: full run only")
	}
	r.play(t)
}
