package netpol

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSuggestAllowManifest(t *testing.T) {
	got := SuggestAllow("shop", checkout.PodLabels, nginx, httpPort)
	want := `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-ingress-nginx-8080
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: checkout
      tier: web
  policyTypes:
  - Ingress
  ingress:
  - from:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: ingress-nginx
      podSelector:
        matchLabels:
          app.kubernetes.io/component: controller
          app.kubernetes.io/name: ingress-nginx
    ports:
    - protocol: TCP
      port: 8080
`
	assert.Equal(t, want, got)
}

// TestSuggestAllowAdmits decodes each suggestion strictly and checks that,
// next to a default-deny, it admits the source and nothing broader than
// intended.
func TestSuggestAllowAdmits(t *testing.T) {
	type probe struct {
		name    string
		src     Peer
		dst     Peer
		port    Port
		allowed bool
	}
	cases := []struct {
		name      string
		dstLabels map[string]string
		src       Peer
		port      Port
		probes    []probe
	}{
		{
			name:      "pod source",
			dstLabels: checkout.PodLabels,
			src:       nginx,
			port:      httpPort,
			probes: []probe{
				{name: "another replica (new pod-template-hash)", allowed: true, src: Peer{
					Namespace: "ingress-nginx",
					PodLabels: map[string]string{
						"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller",
						"pod-template-hash": "55d9c8f4b",
					},
				}},
				{name: "other pod of the source namespace", src: Peer{
					Namespace: "ingress-nginx", PodLabels: map[string]string{"app": "admission-webhook"},
				}},
				{name: "same labels in another namespace", src: Peer{
					Namespace: "sneaky", PodLabels: nginx.PodLabels,
				}},
				{name: "another port", port: Port{Number: 9090}},
				{name: "same port over UDP", port: Port{Number: 8080, Protocol: "UDP"}},
			},
		},
		{
			name:      "labels that YAML would retype are quoted",
			dstLabels: map[string]string{"app": "checkout", "canary": "true", "version": "1.10", "empty": ""},
			src: Peer{Namespace: "01-edge", PodLabels: map[string]string{
				"app": "on", "controller-revision-hash": "6b9c", "3scale.net/tenant": "null",
			}},
			port: Port{Number: 443, Protocol: "TCP"},
			probes: []probe{
				{name: "a pod without the quoted labels", dst: Peer{
					Namespace: "shop", PodLabels: map[string]string{"app": "checkout"},
				}},
			},
		},
		{
			name:      "source known only by IP",
			dstLabels: checkout.PodLabels,
			src:       Peer{IP: "192.0.2.10"},
			port:      httpPort,
			probes: []probe{
				{name: "other IP", src: Peer{IP: "192.0.2.11"}},
			},
		},
		{
			name:      "source known only by IPv6",
			dstLabels: checkout.PodLabels,
			src:       Peer{IP: "2001:db8::10"},
			port:      httpPort,
		},
		{
			name:      "named port only, UDP",
			dstLabels: nil,
			src:       nginx,
			port:      Port{Name: "syslog", Protocol: "UDP"},
			probes: []probe{
				{name: "any pod of the namespace is selected", allowed: true, dst: Peer{
					Namespace: "shop", PodLabels: map[string]string{"app": "cart"},
				}},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			manifest := SuggestAllow("shop", tc.dstLabels, tc.src, tc.port)
			policies := parsePolicies(t, denyAll+"---\n"+manifest)
			require.Len(t, policies, 2, manifest)
			assert.Regexp(t, `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`, policies[1].Name)

			dst := Peer{Namespace: "shop", PodLabels: tc.dstLabels}
			got := EvaluateIngress(policies, tc.src, dst, tc.port)
			require.True(t, got.Allowed, "suggestion does not admit the source:\n%s\nreasons: %q", manifest, got.Reasons)
			assert.Equal(t, []string{"shop/" + policies[1].Name}, got.Allowing)

			for _, p := range tc.probes {
				src, pdst, port := tc.src, dst, tc.port
				if p.src.Namespace != "" || p.src.IP != "" {
					src = p.src
				}
				if p.dst.Namespace != "" {
					pdst = p.dst
				}
				if p.port != (Port{}) {
					port = p.port
				}
				v := EvaluateIngress(policies, src, pdst, port)
				assert.Equal(t, p.allowed, v.Allowed, "%s:\n%s", p.name, manifest)
			}
		})
	}
}

func TestSuggestAllowUnknownSource(t *testing.T) {
	manifest := SuggestAllow("shop", checkout.PodLabels, Peer{}, httpPort)
	assert.Contains(t, manifest, "# the source is unknown")
	policies := parsePolicies(t, manifest)
	require.Len(t, policies, 1)
	assert.Empty(t, policies[0].Spec.Ingress[0].From)
	assert.Equal(t, "allow-source-8080", policies[0].Name)
}

func TestYAMLScalar(t *testing.T) {
	for in, want := range map[string]string{
		"checkout":               "checkout",
		"app.kubernetes.io/name": "app.kubernetes.io/name",
		"":                       `""`,
		"true":                   `"true"`,
		"No":                     `"No"`,
		"1.10":                   `"1.10"`,
		"0x1F":                   `"0x1F"`,
		"-x":                     `"-x"`,
		"a:b":                    `"a:b"`,
	} {
		assert.Equal(t, want, yamlScalar(in), in)
	}
}
