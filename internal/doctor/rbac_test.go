package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
)

// apiServer answers access reviews as an API server would, denying what
// deny names ("verb group/resource namespace"), and records what it was
// asked. test/e2e runs the same check against a real kube-apiserver.
type apiServer struct {
	*httptest.Server
	deny   map[string]bool
	mu     sync.Mutex
	asked  []string
	userID string
}

func startAPIServer(t *testing.T, deny ...string) *apiServer {
	s := &apiServer{deny: map[string]bool{}, userID: "system:serviceaccount:k8s502:otelcol-k8s502-gateway"}
	for _, d := range deny {
		s.deny[d] = true
	}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/apis/authentication.k8s.io/v1/selfsubjectreviews":
			user := s.userID
			if as := r.Header.Get("Impersonate-User"); as != "" {
				user = as
			}
			_ = json.NewEncoder(w).Encode(authenticationv1.SelfSubjectReview{
				TypeMeta: metav1.TypeMeta{APIVersion: "authentication.k8s.io/v1", Kind: "SelfSubjectReview"},
				Status:   authenticationv1.SelfSubjectReviewStatus{UserInfo: authenticationv1.UserInfo{Username: user}}})
		case "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews":
			// client-go sends protobuf; the universal deserializer reads
			// it as the API server does.
			body, _ := io.ReadAll(r.Body)
			obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(body, nil, nil)
			rev, ok := obj.(*authorizationv1.SelfSubjectAccessReview)
			if err != nil || !ok {
				http.Error(w, fmt.Sprint("not a review: ", err), http.StatusBadRequest)
				return
			}
			rev.APIVersion, rev.Kind = "authorization.k8s.io/v1", "SelfSubjectAccessReview"
			a := rev.Spec.ResourceAttributes
			key := fmt.Sprintf("%s %s/%s %s", a.Verb, a.Group, a.Resource, a.Namespace)
			s.mu.Lock()
			s.asked = append(s.asked, key)
			s.mu.Unlock()
			rev.Status.Allowed = !s.deny[key]
			if !rev.Status.Allowed {
				rev.Status.Reason = "no RBAC policy matched"
			}
			_ = json.NewEncoder(w).Encode(rev)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *apiServer) kubeconfig(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(p, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "`+s.URL+`"}}]
users: [{name: u, user: {token: abc}}]
contexts: [{name: ctx, context: {cluster: c, user: u}}]
current-context: ctx
`), 0o600))
	return p
}

func gatewayConfig(t *testing.T, processor string) string {
	return writeConfig(t, `
receivers:
  otlp:
    protocols: {grpc: {}}
processors:
  correlate502:
`+processor+`
exporters:
  debug: {}
service:
  pipelines:
    logs:
      receivers: [otlp]
      processors: [correlate502]
      exporters: [debug]
`)
}

func TestRBACAllowed(t *testing.T) {
	s := startAPIServer(t)
	rs, _ := run(t, Options{Configs: []string{gatewayConfig(t, "    auth_type: kubeConfig")}, Kubeconfig: s.kubeconfig(t)})
	r := one(t, rs, "rbac[correlate502]")
	assert.Equal(t, Pass, r.Status)
	assert.Contains(t, r.Detail, "list and watch allowed on pods, services, endpointslices.discovery.k8s.io, events, deployments.apps, replicasets.apps, networkpolicies.networking.k8s.io, namespaces, in all namespaces, for system:serviceaccount:k8s502:otelcol-k8s502-gateway at "+s.URL)
	assert.Len(t, s.asked, 16)
	assert.Contains(t, s.asked, "watch discovery.k8s.io/endpointslices ")
}

// With namespaces set every namespaced resource is asked about in each
// namespace, and a denial names verb, group, resource and namespace.
func TestRBACDeniedInANamespace(t *testing.T) {
	s := startAPIServer(t, "watch discovery.k8s.io/endpointslices payments", "list /namespaces ")
	rs, lines := run(t, Options{
		Configs:    []string{gatewayConfig(t, "    auth_type: kubeConfig\n    namespaces: [shop, payments]")},
		Kubeconfig: s.kubeconfig(t),
	})
	assert.Len(t, s.asked, 2*(7*2+1))
	assert.Contains(t, s.asked, "list /pods shop")
	assert.Contains(t, s.asked, "watch /pods payments")
	assert.NotContains(t, s.asked, "list /pods ", "pods only in the configured namespaces")
	fails := only(rs, "rbac[correlate502]")
	require.Len(t, fails, 2)
	assert.Equal(t, Fail, fails[0].Status)
	assert.True(t, strings.HasPrefix(fails[0].Detail, "denied: verb watch, group discovery.k8s.io, resource endpointslices, namespace payments, for system:serviceaccount:k8s502:otelcol-k8s502-gateway (no RBAC policy matched);"), fails[0].Detail)
	assert.Contains(t, fails[0].Detail, "kubectl auth can-i watch endpointslices.discovery.k8s.io -n payments --as=system:serviceaccount:k8s502:otelcol-k8s502-gateway")
	assert.Contains(t, fails[1].Detail, `denied: verb list, group "" (core), resource namespaces, all namespaces`)
	assert.Equal(t, "FAIL verdict: 0 PASS, 1 WARN, 2 FAIL", lines[len(lines)-1])
}

// --as reviews another identity (a workstation's admin checking the
// gateway's ServiceAccount): client-go's impersonation headers.
func TestRBACAs(t *testing.T) {
	s := startAPIServer(t)
	s.userID = "admin"
	rs, _ := run(t, Options{Configs: []string{gatewayConfig(t, "    auth_type: kubeConfig")}, Kubeconfig: s.kubeconfig(t), As: "system:serviceaccount:k8s502:otelcol-k8s502-gateway"})
	r := one(t, rs, "rbac[correlate502]")
	assert.Equal(t, Pass, r.Status)
	assert.Contains(t, r.Detail, "for system:serviceaccount:k8s502:otelcol-k8s502-gateway at ")
	assert.Contains(t, r.Detail, ", as system:serviceaccount:k8s502:otelcol-k8s502-gateway)")
}

func TestRBACNoAPIServer(t *testing.T) {
	// auth_type none: nothing to ask; without a snapshot the processor
	// judges blind.
	rs, _ := run(t, Options{Configs: []string{gatewayConfig(t, "    auth_type: none")}})
	assert.Equal(t, Warn, one(t, rs, "rbac[correlate502]").Status)

	// serviceAccount outside a pod, without --kubeconfig.
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	rs, _ = run(t, Options{Configs: []string{gatewayConfig(t, "    auth_type: serviceAccount")}})
	r := one(t, rs, "rbac[correlate502]")
	assert.Equal(t, Fail, r.Status)
	assert.Contains(t, r.Detail, "outside a pod, pass --kubeconfig")

	// An API server that is gone.
	s := startAPIServer(t)
	kc := s.kubeconfig(t)
	s.Close()
	rs, _ = run(t, Options{Configs: []string{gatewayConfig(t, "    auth_type: kubeConfig")}, Kubeconfig: kc})
	r = one(t, rs, "rbac[correlate502]")
	assert.Equal(t, Fail, r.Status)
	assert.Contains(t, r.Detail, "cannot ask the API server "+s.URL)
}
