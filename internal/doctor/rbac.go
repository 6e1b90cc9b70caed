package doctor

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"go.opentelemetry.io/collector/component"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor"
)

// checkRBAC asks the API server, with the identity the processor would use,
// whether it may make every list and watch its informers make: one
// SelfSubjectAccessReview per verb, resource and namespace. This is the
// only way to see a missing verb before diagnoses go wrong: the informers
// sync with list alone or watch alone.
func checkRBAC(ctx context.Context, id component.ID, cfg *correlate502processor.Config, o Options) []Result {
	name := check("rbac", id)
	if cfg.AuthType == correlate502processor.AuthTypeNone {
		if cfg.ClusterSnapshot != "" {
			return []Result{{Pass, name, "auth_type none: no API access to check (Kubernetes state from cluster_snapshot " + cfg.ClusterSnapshot + ")"}}
		}
		return []Result{{Warn, name, "auth_type none and no cluster_snapshot: records are judged without Kubernetes state"}}
	}
	rc, via, err := restConfig(cfg, o.Kubeconfig)
	if err != nil {
		return []Result{{Fail, name, fmt.Sprintf("no client (%s): %v", via, err)}}
	}
	// A review per namespace and verb: client-go's default 5 requests/s
	// would make a long namespaces list take minutes.
	rc.QPS, rc.Burst = 50, 100
	rc.Timeout = o.Timeout
	rc.UserAgent = "k8s502-doctor"
	if o.As != "" {
		rc.Impersonate.UserName = o.As
		via += ", as " + o.As
	}
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return []Result{{Fail, name, err.Error()}}
	}
	who := whoAmI(ctx, client)
	var out []Result
	allowed := 0
	for _, a := range cfg.RequiredAPIAccess() {
		r, err := client.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
			Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
				Verb: a.Verb, Group: a.Group, Resource: a.Resource, Namespace: a.Namespace,
			}},
		}, metav1.CreateOptions{})
		if err != nil {
			return append(out, Result{Fail, name, fmt.Sprintf("cannot ask the API server %s (%s) for access reviews: %v", rc.Host, via, err)})
		}
		if r.Status.Allowed {
			allowed++
			continue
		}
		why := ""
		if r.Status.Reason != "" || r.Status.EvaluationError != "" {
			why = fmt.Sprintf(" (%s)", strings.TrimSpace(r.Status.Reason+" "+r.Status.EvaluationError))
		}
		out = append(out, Result{Fail, name, fmt.Sprintf(
			"denied: verb %s, group %s, resource %s, %s, for %s%s; the informers sync without it and miss changes silently. Check: kubectl auth can-i %s %s %s --as=%s",
			a.Verb, groupName(a.Group), a.Resource, nsName(a.Namespace), who, why,
			a.Verb, resourceArg(a), nsArg(a.Namespace), who)})
	}
	if len(out) == 0 {
		out = append(out, Result{Pass, name, fmt.Sprintf("list and watch allowed on %s, %s, for %s at %s (%s); %d access reviews",
			resources(cfg.RequiredAPIAccess()), nsScope(cfg.Namespaces), who, rc.Host, via, allowed)})
	}
	return out
}

// restConfig builds the client the processor would build (internal/kube's
// RESTConfig), or one from --kubeconfig with the processor's context.
func restConfig(cfg *correlate502processor.Config, kubeconfig string) (*rest.Config, string, error) {
	overrides := &clientcmd.ConfigOverrides{CurrentContext: cfg.Context}
	if kubeconfig != "" {
		rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfig}
		rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
		return rc, "--kubeconfig " + kubeconfig, err
	}
	switch cfg.AuthType {
	case correlate502processor.AuthTypeServiceAccount:
		rc, err := rest.InClusterConfig()
		if err != nil {
			err = fmt.Errorf("%w (outside a pod, pass --kubeconfig)", err)
		}
		return rc, "auth_type serviceAccount: in-cluster service account", err
	default:
		rules := clientcmd.NewDefaultClientConfigLoadingRules()
		rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
		return rc, "auth_type kubeConfig: default kubeconfig", err
	}
}

// whoAmI names the identity the API server sees (SelfSubjectReview,
// Kubernetes 1.28+), for the message and the kubectl hint.
func whoAmI(ctx context.Context, client kubernetes.Interface) string {
	r, err := client.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil || r.Status.UserInfo.Username == "" {
		return "this identity"
	}
	return r.Status.UserInfo.Username
}

func groupName(g string) string {
	if g == "" {
		return `"" (core)`
	}
	return g
}

func nsName(ns string) string {
	if ns == "" {
		return "all namespaces"
	}
	return "namespace " + ns
}

func nsArg(ns string) string {
	if ns == "" {
		return "--all-namespaces"
	}
	return "-n " + ns
}

func resourceArg(a correlate502processor.APIAccess) string {
	if a.Group == "" {
		return a.Resource
	}
	return a.Resource + "." + a.Group
}

// resources names each resource once, in the processor's order.
func resources(as []correlate502processor.APIAccess) string {
	var out []string
	for _, a := range as {
		if r := resourceArg(a); !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return strings.Join(out, ", ")
}

func nsScope(namespaces []string) string {
	if len(namespaces) == 0 {
		return "in all namespaces"
	}
	return "in namespaces " + strings.Join(namespaces, ", ") + " (namespaces cluster-wide)"
}
