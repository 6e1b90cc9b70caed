package examples_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testproc"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
)

// Each workload runs cmd/k8s502-doctor as an initContainer on the very config, files and
// environment its collector gets, so the verdict it logs is about that collector: the same
// image and --config, every read-only mount, the same value for every variable both have and
// every variable the collector has (GOMEMLIMIT aside, the collector's own tuning), and it
// never holds the pod back (--exit-zero). The image must carry the binary where the command
// says.
func TestDoctorInitContainers(t *testing.T) {
	m := loadManifests(t)
	for _, w := range []struct {
		name string
		pod  corev1.PodSpec
	}{
		{"agent", find[*appsv1.DaemonSet](t, m, "otelcol-k8s502-agent").Spec.Template.Spec},
		{"gateway", find[*appsv1.Deployment](t, m, "otelcol-k8s502-gateway").Spec.Template.Spec},
	} {
		t.Run(w.name, func(t *testing.T) {
			_, main := configOf(t, m, w.pod)
			i := slices.IndexFunc(w.pod.InitContainers, func(c corev1.Container) bool { return c.Name == "doctor" })
			if i < 0 {
				t.Fatal("no doctor initContainer")
			}
			d := w.pod.InitContainers[i]
			if d.Image != main.Image {
				t.Errorf("image %s, the collector's is %s", d.Image, main.Image)
			}
			if !slices.Equal(d.Command, []string{"/k8s502-doctor"}) {
				t.Errorf("command %v, want [/k8s502-doctor]", d.Command)
			}
			for _, a := range main.Args {
				if strings.HasPrefix(a, "--config=") && !slices.Contains(d.Args, a) {
					t.Errorf("args %v lack the collector's %s", d.Args, a)
				}
			}
			if !slices.Contains(d.Args, "--exit-zero") {
				t.Errorf("args %v: without --exit-zero a FAIL keeps the pod from starting", d.Args)
			}
			for _, e := range main.Env {
				if e.Name == "GOMEMLIMIT" {
					continue
				}
				j := slices.IndexFunc(d.Env, func(de corev1.EnvVar) bool { return de.Name == e.Name })
				if j < 0 || !equality.Semantic.DeepEqual(d.Env[j], e) {
					t.Errorf("env %s differs from the collector's", e.Name)
				}
			}
			for _, vm := range main.VolumeMounts {
				if vm.ReadOnly && !slices.Contains(d.VolumeMounts, vm) {
					t.Errorf("mount %s at %s missing", vm.Name, vm.MountPath)
				}
			}
			if !equality.Semantic.DeepEqual(d.SecurityContext.RunAsUser, main.SecurityContext.RunAsUser) {
				t.Errorf("runAsUser differs from the collector's: the logs it reads are root-only")
			}
		})
	}

	dockerfile, err := os.ReadFile(filepath.Join(testproc.RepoRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(dockerfile), "/src/_build/k8s502-doctor /k8s502-doctor") {
		t.Error("the Dockerfile does not copy the doctor to /k8s502-doctor")
	}
}
