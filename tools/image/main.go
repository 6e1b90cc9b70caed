// Command image writes the otelcol-k8s502 container image, one platform per
// pair of static binaries, as an OCI image layout (an index over the
// platforms) without a container daemon: `make image` runs it after building
// the binaries with CGO_ENABLED=0 for each GOARCH. Push the layout with
// `crane push _build/image <ref>` or `skopeo copy oci:_build/image docker://<ref>`.
//
// The image matches the Dockerfile's: the binaries at /otelcol-k8s502 and
// /k8s502-doctor, the entrypoint the collector, uid 65532 (distroless's
// nonroot), and the build machine's CA bundle so HTTPS backends verify.
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// platforms is repeated --platform arch=collector,doctor.
type platforms map[string][2]string

func (p platforms) String() string { return fmt.Sprint(map[string][2]string(p)) }
func (p platforms) Set(v string) error {
	arch, bins, ok := strings.Cut(v, "=")
	c, d, ok2 := strings.Cut(bins, ",")
	if !ok || !ok2 || arch == "" {
		return fmt.Errorf("want arch=collector,doctor, got %q", v)
	}
	p[arch] = [2]string{c, d}
	return nil
}

func main() {
	plats := platforms{}
	flag.Var(plats, "platform", "arch=<collector binary>,<doctor binary> (repeat per architecture)")
	out := flag.String("out", "_build/image", "OCI image layout directory to write")
	version := flag.String("version", "dev", "org.opencontainers.image.version")
	caFile := flag.String("ca", "/etc/ssl/certs/ca-certificates.crt", "CA bundle to include")
	flag.Parse()
	if len(plats) == 0 {
		fmt.Fprintln(os.Stderr, "image: at least one --platform")
		os.Exit(2)
	}
	if err := run(plats, *out, *version, *caFile); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(plats platforms, out, version, caFile string) error {
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return fmt.Errorf("CA bundle: %w", err)
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, arch := range slices.Sorted(maps.Keys(plats)) { // sorted: the same inputs, the same digest
		bins := plats[arch]
		img, err := image(arch, bins, ca, version)
		if err != nil {
			return fmt.Errorf("%s: %w", arch, err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}},
		})
	}
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	if _, err := layout.Write(out, idx); err != nil {
		return err
	}
	d, err := idx.Digest()
	if err != nil {
		return err
	}
	fmt.Printf("wrote %s (index %s, %d platform(s))\n", out, d, len(plats))
	return nil
}

func image(arch string, bins [2]string, ca []byte, version string) (v1.Image, error) {
	files := []file{{"/etc/ssl/certs/ca-certificates.crt", ca, 0o644}, {"/etc/passwd", []byte("nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"), 0o644}}
	for i, path := range []string{"/otelcol-k8s502", "/k8s502-doctor"} {
		data, err := os.ReadFile(bins[i])
		if err != nil {
			return nil, err
		}
		files = append(files, file{path, data, 0o755})
	}
	layer, err := tarLayer(files)
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), layer)
	if err != nil {
		return nil, err
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", arch
	cfg.Created = v1.Time{Time: time.Unix(0, 0).UTC()} // reproducible
	cfg.Config.Entrypoint = []string{"/otelcol-k8s502"}
	cfg.Config.User = "65532:65532"
	cfg.Config.ExposedPorts = map[string]struct{}{"4317/tcp": {}, "4318/tcp": {}, "8888/tcp": {}, "13133/tcp": {}}
	cfg.Config.Labels = map[string]string{
		"org.opencontainers.image.source":  "https://github.com/k8s502/otelcol-k8s502",
		"org.opencontainers.image.version": version,
		"org.opencontainers.image.title":   "otelcol-k8s502",
	}
	return mutate.ConfigFile(img, cfg)
}

type file struct {
	path string
	data []byte
	mode int64
}

// tarLayer is one layer holding files, with fixed times so the same
// binaries give the same digest.
func tarLayer(files []file) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	for _, f := range files {
		name := strings.TrimPrefix(f.path, "/")
		for d := name; strings.Contains(d, "/"); {
			d = d[:strings.LastIndex(d, "/")]
			if !dirs[d] {
				dirs[d] = true
				if err := tw.WriteHeader(&tar.Header{Name: d + "/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: time.Unix(0, 0)}); err != nil {
					return nil, err
				}
			}
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: f.mode, Size: int64(len(f.data)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }, tarball.WithMediaType(types.OCILayer))
}
