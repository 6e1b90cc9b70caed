package netpol

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	networkingv1 "k8s.io/api/networking/v1"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
)

// parsePolicies decodes a multi-document YAML stream of NetworkPolicies,
// strictly, so a typo in a fixture fails the test instead of being ignored.
// No defaulting is applied: fields are exactly as written, as they are when
// read from a `kubectl get -o yaml` dump of an older object or a manifest.
func parsePolicies(t testing.TB, docs string) []*networkingv1.NetworkPolicy {
	t.Helper()
	var out []*networkingv1.NetworkPolicy
	r := k8syaml.NewYAMLReader(bufio.NewReader(strings.NewReader(docs)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		var np networkingv1.NetworkPolicy
		require.NoError(t, k8syaml.UnmarshalStrict(doc, &np), "decoding:\n%s", doc)
		out = append(out, &np)
	}
	return out
}

// Fixtures: an ingress-nginx controller pod connecting to a checkout pod.
var (
	nginx = Peer{
		Namespace:       "ingress-nginx",
		NamespaceLabels: map[string]string{"team": "platform"},
		PodLabels: map[string]string{
			"app.kubernetes.io/name":      "ingress-nginx",
			"app.kubernetes.io/component": "controller",
			"pod-template-hash":           "7d9f8b6c5",
		},
		IP: "10.244.1.5",
	}
	checkout = Peer{
		Namespace:       "shop",
		NamespaceLabels: map[string]string{"team": "shop", "kubernetes.io/metadata.name": "shop"},
		PodLabels:       map[string]string{"app": "checkout", "tier": "web"},
		IP:              "10.244.2.7",
	}
	httpPort = Port{Number: 8080, Name: "http", Protocol: "TCP"}
)
