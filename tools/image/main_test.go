package main

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// The layout holds one image per platform, each with both binaries at their
// paths (executable), the CA bundle, the entrypoint and the non-root user;
// the same inputs give the same digest.
func TestImageLayout(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	plats := platforms{
		"amd64": {write("c-amd64", "collector amd64"), write("d-amd64", "doctor amd64")},
		"arm64": {write("c-arm64", "collector arm64"), write("d-arm64", "doctor arm64")},
	}
	ca := write("ca.crt", "-----BEGIN CERTIFICATE-----\n")
	out := filepath.Join(dir, "image")
	if err := run(plats, out, "1.2.3", ca); err != nil {
		t.Fatal(err)
	}
	p, err := layout.FromPath(out)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	inner := idx // layout.Write makes the index the layout's index.json
	im, err := inner.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 2 {
		t.Fatalf("%d manifests, want 2", len(im.Manifests))
	}
	for _, m := range im.Manifests {
		arch := m.Platform.Architecture
		img, err := inner.Image(m.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Architecture != arch || cfg.OS != "linux" || cfg.Config.Entrypoint[0] != "/otelcol-k8s502" || cfg.Config.User != "65532:65532" || cfg.Config.Labels["org.opencontainers.image.version"] != "1.2.3" {
			t.Errorf("%s config: %+v", arch, cfg)
		}
		layers, err := img.Layers()
		if err != nil || len(layers) != 1 {
			t.Fatalf("%s: %d layers, %v", arch, len(layers), err)
		}
		rc, err := layers[0].Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		modes := map[string]int64{}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(tr)
			got["/"+h.Name], modes["/"+h.Name] = string(b), h.Mode
		}
		if got["/otelcol-k8s502"] != "collector "+arch || got["/k8s502-doctor"] != "doctor "+arch || modes["/otelcol-k8s502"] != 0o755 {
			t.Errorf("%s layer: %v", arch, got)
		}
		if got["/etc/ssl/certs/ca-certificates.crt"] == "" || got["/etc/passwd"] == "" {
			t.Errorf("%s layer lacks the CA bundle or passwd: %v", arch, got)
		}
	}
	// Reproducible: the same inputs, the same index digest.
	d1, _ := inner.Digest()
	out2 := filepath.Join(dir, "image2")
	if err := run(plats, out2, "1.2.3", ca); err != nil {
		t.Fatal(err)
	}
	p2, _ := layout.FromPath(out2)
	idx2, _ := p2.ImageIndex()
	if d2, _ := idx2.Digest(); d2 != d1 {
		t.Errorf("digest %s then %s: not reproducible", d1, d2)
	}
}
