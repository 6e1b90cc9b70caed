package netpol

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type evalCase struct {
	name     string
	policies string // YAML documents
	src, dst Peer   // zero: nginx, checkout
	port     Port   // zero: httpPort
	want     Verdict
	// wantReasons, when set, are substrings expected in want.Reasons[i];
	// otherwise want.Reasons is compared exactly.
	wantReasons []string
}

func (c evalCase) peers() (Peer, Peer, Port) {
	src, dst, port := c.src, c.dst, c.port
	if src.Namespace == "" && src.IP == "" {
		src = nginx
	}
	if dst.Namespace == "" && dst.IP == "" {
		dst = checkout
	}
	if port == (Port{}) {
		port = httpPort
	}
	return src, dst, port
}

func runEvalCases(t *testing.T, eval func(*testing.T, evalCase) Verdict, cases []evalCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := eval(t, tc)
			if tc.wantReasons != nil {
				require.Len(t, got.Reasons, len(tc.wantReasons), "reasons: %q", got.Reasons)
				for i, sub := range tc.wantReasons {
					assert.Contains(t, got.Reasons[i], sub)
				}
				got.Reasons = nil
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

const denyAll = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec:
  podSelector: {}
`

func TestEvaluateIngress(t *testing.T) {
	allowed := func(allowing ...string) Verdict {
		return Verdict{Isolated: true, Allowed: true, Isolating: allowing, Allowing: allowing}
	}
	denied := func(isolating ...string) Verdict {
		return Verdict{Isolated: true, Isolating: isolating}
	}
	notIsolated := Verdict{Allowed: true}

	cases := []evalCase{
		{
			name: "no policies",
			want: notIsolated,
		},
		{
			name:     "deny all",
			policies: denyAll,
			want: Verdict{
				Isolated:  true,
				Isolating: []string{"shop/default-deny"},
				Reasons:   []string{"policy shop/default-deny selects every pod in namespace shop and has no ingress rules"},
			},
		},
		{
			name: "deny all with explicit empty ingress list",
			policies: `
metadata: {name: deny, namespace: shop}
spec:
  podSelector: {matchLabels: {app: checkout}}
  policyTypes: [Ingress]
  ingress: []
`,
			want: Verdict{
				Isolated:  true,
				Isolating: []string{"shop/deny"},
				Reasons:   []string{"policy shop/deny selects pod (app=checkout) and has no ingress rules"},
			},
		},
		{
			name: "policy selecting other pods does not isolate",
			policies: `
metadata: {name: cart-deny, namespace: shop}
spec:
  podSelector: {matchLabels: {app: cart}}
`,
			want: notIsolated,
		},
		{
			name: "allow all with an empty rule",
			policies: `
metadata: {name: allow-all, namespace: shop}
spec:
  podSelector: {}
  ingress: [{}]
`,
			want: allowed("shop/allow-all"),
		},
		{
			name: "policies of other namespaces are ignored",
			policies: `
metadata: {name: default-deny, namespace: other}
spec:
  podSelector: {}
`,
			want: notIsolated,
		},
		{
			name: "egress-only policy does not isolate ingress",
			policies: `
metadata: {name: egress-deny, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  ingress:
  - {}
`,
			want: notIsolated,
		},
		{
			name: "empty policyTypes with only egress rules still isolates ingress",
			policies: `
metadata: {name: egress-rules, namespace: shop}
spec:
  podSelector: {}
  egress:
  - to: [{namespaceSelector: {}}]
`,
			want: Verdict{
				Isolated:  true,
				Isolating: []string{"shop/egress-rules"},
				Reasons:   []string{"policy shop/egress-rules selects every pod in namespace shop and has no ingress rules"},
			},
		},
		{
			name: "policyTypes Ingress and Egress without ingress rules denies",
			policies: `
metadata: {name: both, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  egress: [{}]
`,
			want:        denied("shop/both"),
			wantReasons: []string{"has no ingress rules"},
		},
		{
			name: "additive: deny all plus an allow",
			policies: denyAll + `---
metadata: {name: allow-nginx, namespace: shop}
spec:
  podSelector: {matchLabels: {app: checkout}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}
`,
			want: Verdict{
				Isolated:  true,
				Allowed:   true,
				Isolating: []string{"shop/allow-nginx", "shop/default-deny"},
				Allowing:  []string{"shop/allow-nginx"},
				Reasons:   []string{"policy shop/default-deny selects every pod in namespace shop and has no ingress rules"},
			},
		},
		{
			name: "namespaceSelector by implicit metadata.name label",
			policies: `
metadata: {name: from-nginx, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}}]
`,
			want: allowed("shop/from-nginx"),
		},
		{
			name: "namespaceSelector mismatch",
			policies: `
metadata: {name: from-frontend, namespace: shop}
spec:
  podSelector: {matchLabels: {app: checkout}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {team: frontend}}}]
`,
			want: Verdict{
				Isolated:  true,
				Isolating: []string{"shop/from-frontend"},
				Reasons: []string{"policy shop/from-frontend selects pod (app=checkout); " +
					"rule 1 allows namespaceSelector {team: frontend} but namespace ingress-nginx has labels " +
					"{kubernetes.io/metadata.name: ingress-nginx, team: platform}"},
			},
		},
		{
			name: "empty namespaceSelector selects every namespace",
			policies: `
metadata: {name: any-ns, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from: [{namespaceSelector: {}}]
`,
			want: allowed("shop/any-ns"),
		},
		{
			name: "podSelector alone selects only the policy's namespace",
			policies: `
metadata: {name: from-nginx-pods, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from: [{podSelector: {matchLabels: {app.kubernetes.io/name: ingress-nginx}}}]
`,
			want: denied("shop/from-nginx-pods"),
			wantReasons: []string{"rule 1 allows podSelector {app.kubernetes.io/name: ingress-nginx} in namespace shop " +
				"but the source is in namespace ingress-nginx"},
		},
		{
			name: "podSelector alone admits a matching pod of the same namespace",
			policies: `
metadata: {name: from-web, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from: [{podSelector: {matchLabels: {tier: web}}}]
`,
			src:  Peer{Namespace: "shop", PodLabels: map[string]string{"tier": "web", "app": "front"}},
			want: allowed("shop/from-web"),
		},
		{
			name: "empty podSelector alone selects every pod of the policy's namespace only",
			policies: `
metadata: {name: same-ns, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from: [{podSelector: {}}]
`,
			want:        denied("shop/same-ns"),
			wantReasons: []string{"podSelector {} in namespace shop but the source is in namespace ingress-nginx"},
		},
		{
			name: "namespaceSelector AND podSelector in one peer: both match",
			policies: `
metadata: {name: and, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: platform}}
      podSelector: {matchLabels: {app.kubernetes.io/name: ingress-nginx}}
`,
			want: allowed("shop/and"),
		},
		{
			name: "namespaceSelector AND podSelector in one peer: pod differs",
			policies: `
metadata: {name: and, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: platform}}
      podSelector: {matchLabels: {app.kubernetes.io/name: traefik}}
`,
			want: denied("shop/and"),
			wantReasons: []string{"rule 1 allows namespaceSelector {team: platform} with podSelector " +
				"{app.kubernetes.io/name: traefik} but the source pod has labels {app.kubernetes.io/component: controller, " +
				"app.kubernetes.io/name: ingress-nginx, pod-template-hash: 7d9f8b6c5}"},
		},
		{
			name: "namespaceSelector AND podSelector in one peer: namespace differs",
			policies: `
metadata: {name: and, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: frontend}}
      podSelector: {matchLabels: {app.kubernetes.io/name: ingress-nginx}}
`,
			want:        denied("shop/and"),
			wantReasons: []string{"but namespace ingress-nginx has labels"},
		},
		{
			name: "empty namespaceSelector AND podSelector: matching pods in any namespace",
			policies: `
metadata: {name: nginx-anywhere, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from:
    - namespaceSelector: {}
      podSelector: {matchLabels: {app.kubernetes.io/component: controller}}
`,
			want: allowed("shop/nginx-anywhere"),
		},
		{
			name: "separate peers are ORed: the podSelector item means pods of shop, so nothing matches",
			policies: `
metadata: {name: or, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: frontend}}
    - podSelector: {matchLabels: {app.kubernetes.io/name: ingress-nginx}}
`,
			want: denied("shop/or"),
			wantReasons: []string{"rule 1 allows namespaceSelector {team: frontend} but namespace ingress-nginx has labels " +
				"{kubernetes.io/metadata.name: ingress-nginx, team: platform}, or podSelector " +
				"{app.kubernetes.io/name: ingress-nginx} in namespace shop but the source is in namespace ingress-nginx"},
		},
		{
			name: "separate peers are ORed: the second matches",
			policies: `
metadata: {name: or, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: frontend}}
    - namespaceSelector: {matchLabels: {team: platform}}
`,
			want: allowed("shop/or"),
		},
		{
			name: "port number matches",
			policies: `
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - ports: [{port: 8080, protocol: TCP}]
`,
			want: allowed("shop/p"),
		},
		{
			name: "port number differs",
			policies: `
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from: [{namespaceSelector: {}}]
    ports: [{port: 9090}]
`,
			want:        denied("shop/p"),
			wantReasons: []string{"policy shop/p selects every pod in namespace shop; rule 1 allows port 9090/TCP, not 8080/TCP"},
		},
		{
			name: "protocol defaults to TCP when omitted in the policy",
			policies: `
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - ports: [{port: 8080}]
`,
			want: allowed("shop/p"),
		},
		{
			name: "protocol mismatch: UDP rule, TCP traffic",
			policies: `
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - ports: [{port: 8080, protocol: UDP}]
`,
			want:        denied("shop/p"),
			wantReasons: []string{"rule 1 allows port 8080/UDP, not 8080/TCP"},
		},
		{
			name: "protocol mismatch: defaulted TCP rule, UDP traffic",
			policies: `
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - ports: [{port: 8080}]
`,
			port:        Port{Number: 8080, Protocol: "UDP"},
			want:        denied("shop/p"),
			wantReasons: []string{"rule 1 allows port 8080/TCP, not 8080/UDP"},
		},
		{
			name: "port without number matches every port of its protocol",
			policies: `
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - ports: [{protocol: TCP}]
`,
			want: allowed("shop/p"),
		},
		{
			name: "port without number for another protocol",
			policies: `
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - ports: [{protocol: SCTP}]
`,
			want:        denied("shop/p"),
			wantReasons: []string{"rule 1 allows any SCTP port, not 8080/TCP"},
		},
		{
			name: "named port matches the container port name",
			policies: `
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - ports: [{port: http}]
`,
			want: allowed("shop/p"),
		},
		{
			name: "named port differs",
			policies: `
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - ports: [{port: metrics}, {port: 9090}]
`,
			want:        denied("shop/p"),
			wantReasons: []string{"rule 1 allows ports metrics/TCP, 9090/TCP, not 8080/TCP (named http)"},
		},
		{
			name: "named port against an unnamed container port",
			policies: `
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - ports: [{port: http}]
`,
			port:        Port{Number: 8080},
			want:        denied("shop/p"),
			wantReasons: []string{"rule 1 allows port http/TCP, not 8080/TCP (an unnamed port)"},
		},
		{
			name: "endPort range contains the port",
			policies: `
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - ports: [{port: 8000, endPort: 8100}]
`,
			want: allowed("shop/p"),
		},
		{
			name: "endPort range is inclusive",
			policies: `
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - ports: [{port: 8000, endPort: 8080}]
`,
			want: allowed("shop/p"),
		},
		{
			name: "endPort range misses the port",
			policies: `
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - ports: [{port: 8081, endPort: 9000}]
`,
			want:        denied("shop/p"),
			wantReasons: []string{"rule 1 allows port 8081-9000/TCP, not 8080/TCP"},
		},
		{
			name: "peer and port must match in the same rule",
			policies: `
metadata: {name: split, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {team: platform}}}]
    ports: [{port: 9090}]
  - from: [{namespaceSelector: {matchLabels: {team: frontend}}}]
    ports: [{port: 8080}]
`,
			want: denied("shop/split"),
			wantReasons: []string{"policy shop/split selects every pod in namespace shop; " +
				"rule 1 allows port 9090/TCP, not 8080/TCP; " +
				"rule 2 allows namespaceSelector {team: frontend} but namespace ingress-nginx has labels " +
				"{kubernetes.io/metadata.name: ingress-nginx, team: platform}"},
		},
		{
			name: "peer and port both miss",
			policies: `
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {team: frontend}}}]
    ports: [{port: 9090}]
`,
			want: denied("shop/p"),
			wantReasons: []string{"rule 1 allows namespaceSelector {team: frontend} but namespace ingress-nginx has labels " +
				"{kubernetes.io/metadata.name: ingress-nginx, team: platform}, and port 9090/TCP, not 8080/TCP"},
		},
		{
			name: "ipBlock contains the source pod IP",
			policies: `
metadata: {name: cidr, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from: [{ipBlock: {cidr: 10.244.0.0/16}}]
`,
			want: allowed("shop/cidr"),
		},
		{
			name: "ipBlock except excludes the source",
			policies: `
metadata: {name: cidr, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from: [{ipBlock: {cidr: 10.244.0.0/16, except: [10.244.2.0/24, 10.244.1.0/24]}}]
`,
			want: denied("shop/cidr"),
			wantReasons: []string{"rule 1 allows ipBlock 10.244.0.0/16 except [10.244.2.0/24, 10.244.1.0/24] " +
				"but the source IP 10.244.1.5 is in the exception 10.244.1.0/24"},
		},
		{
			name: "ipBlock except elsewhere still admits",
			policies: `
metadata: {name: cidr, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.244.2.0/24]}}]
`,
			want: allowed("shop/cidr"),
		},
		{
			name: "ipBlock outside",
			policies: `
metadata: {name: cidr, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from: [{ipBlock: {cidr: 192.168.0.0/16}}]
`,
			want:        denied("shop/cidr"),
			wantReasons: []string{"but the source IP 10.244.1.5 is outside it"},
		},
		{
			name: "ipBlock with unknown source IP",
			policies: `
metadata: {name: cidr, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from: [{ipBlock: {cidr: 0.0.0.0/0}}]
`,
			src:         Peer{Namespace: "ingress-nginx"},
			want:        denied("shop/cidr"),
			wantReasons: []string{"ipBlock 0.0.0.0/0 but the source IP is unknown"},
		},
		{
			name: "ipBlock IPv6, IPv4 address does not match",
			policies: `
metadata: {name: cidr6, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from: [{ipBlock: {cidr: "fd00:10:244::/56"}}]
`,
			want:        denied("shop/cidr6"),
			wantReasons: []string{"is outside it"},
		},
		{
			name: "ipBlock IPv6 matches",
			policies: `
metadata: {name: cidr6, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from: [{ipBlock: {cidr: "fd00:10:244::/56", except: ["fd00:10:244:2::/64"]}}]
`,
			src:  Peer{Namespace: "ingress-nginx", IP: "fd00:10:244:1::5"},
			want: allowed("shop/cidr6"),
		},
		{
			name: "ipBlock matches an IPv4-mapped IPv6 source",
			policies: `
metadata: {name: cidr, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from: [{ipBlock: {cidr: 10.244.1.0/24}}]
`,
			src:  Peer{Namespace: "ingress-nginx", IP: "::ffff:10.244.1.5"},
			want: allowed("shop/cidr"),
		},
		{
			name: "ipBlock with an invalid CIDR or source IP matches nothing",
			policies: `
metadata: {name: bad-cidr, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from: [{ipBlock: {cidr: 10.244.0.0/33}}, {ipBlock: {cidr: 0.0.0.0/0, except: [nonsense]}}]
`,
			src:  Peer{Namespace: "ingress-nginx", IP: "10.244.1.5:443"},
			want: denied("shop/bad-cidr"),
			wantReasons: []string{`rule 1 allows ipBlock 10.244.0.0/33, which is not a valid CIDR, ` +
				`or ipBlock 0.0.0.0/0 except [nonsense] but the source IP "10.244.1.5:443" is not an IP address`},
		},
		{
			name: "invalid podSelector in a peer matches nothing",
			policies: `
metadata: {name: bad, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from:
    - podSelector: {matchExpressions: [{key: app, operator: In}]}
`,
			src:         Peer{Namespace: "shop", PodLabels: map[string]string{"app": "x"}},
			want:        denied("shop/bad"),
			wantReasons: []string{"whose podSelector is invalid"},
		},
		{
			name: "a source that is no known pod matches no selector",
			policies: `
metadata: {name: any, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from: [{namespaceSelector: {}}]
`,
			src:         Peer{IP: "192.0.2.10"},
			want:        denied("shop/any"),
			wantReasons: []string{"namespaceSelector {} but the source is not a known pod"},
		},
		{
			name: "matchExpressions In and Exists on the namespace",
			policies: `
metadata: {name: expr, namespace: shop}
spec:
  podSelector:
    matchExpressions:
    - {key: tier, operator: In, values: [web, api]}
  ingress:
  - from:
    - namespaceSelector:
        matchExpressions:
        - {key: team, operator: In, values: [platform, sre]}
        - {key: kubernetes.io/metadata.name, operator: Exists}
`,
			want: allowed("shop/expr"),
		},
		{
			name: "matchExpressions NotIn excludes the namespace",
			policies: `
metadata: {name: expr, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from:
    - namespaceSelector:
        matchExpressions:
        - {key: team, operator: NotIn, values: [platform]}
`,
			want:        denied("shop/expr"),
			wantReasons: []string{"rule 1 allows namespaceSelector {team notin (platform)} but namespace ingress-nginx"},
		},
		{
			name: "matchExpressions DoesNotExist on the source pod",
			policies: `
metadata: {name: expr, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from:
    - namespaceSelector: {}
      podSelector:
        matchLabels: {app.kubernetes.io/name: ingress-nginx}
        matchExpressions:
        - {key: app.kubernetes.io/component, operator: DoesNotExist}
`,
			want: denied("shop/expr"),
			wantReasons: []string{"namespaceSelector {} with podSelector {app.kubernetes.io/name: ingress-nginx, " +
				"!app.kubernetes.io/component} but the source pod has labels"},
		},
		{
			name: "policy podSelector with matchExpressions not selecting the destination",
			policies: `
metadata: {name: expr, namespace: shop}
spec:
  podSelector:
    matchExpressions:
    - {key: tier, operator: NotIn, values: [web]}
`,
			want: notIsolated,
		},
		{
			name: "invalid peer selector matches nothing",
			policies: `
metadata: {name: bad, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from:
    - namespaceSelector:
        matchExpressions:
        - {key: team, operator: Equals, values: [platform]}
`,
			want:        denied("shop/bad"),
			wantReasons: []string{"whose namespaceSelector is invalid"},
		},
		{
			name: "empty peer matches nothing",
			policies: `
metadata: {name: empty-peer, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from: [{}]
`,
			want:        denied("shop/empty-peer"),
			wantReasons: []string{"rule 1 allows an empty peer, which matches nothing"},
		},
		{
			name: "results are sorted whatever the input order",
			policies: `
metadata: {name: zz-deny, namespace: shop}
spec:
  podSelector: {}
---
metadata: {name: mm-allow, namespace: shop}
spec:
  podSelector: {}
  ingress: [{}]
---
metadata: {name: aa-deny, namespace: shop}
spec:
  podSelector: {}
`,
			want: Verdict{
				Isolated:  true,
				Allowed:   true,
				Isolating: []string{"shop/aa-deny", "shop/mm-allow", "shop/zz-deny"},
				Allowing:  []string{"shop/mm-allow"},
			},
			wantReasons: []string{"policy shop/aa-deny", "policy shop/zz-deny"},
		},
	}
	runEvalCases(t, func(t *testing.T, tc evalCase) Verdict {
		src, dst, port := tc.peers()
		return EvaluateIngress(parsePolicies(t, tc.policies), src, dst, port)
	}, cases)
}

func TestEvaluateEgress(t *testing.T) {
	allowed := func(allowing ...string) Verdict {
		return Verdict{Isolated: true, Allowed: true, Isolating: allowing, Allowing: allowing}
	}
	denied := func(isolating ...string) Verdict {
		return Verdict{Isolated: true, Isolating: isolating}
	}
	notIsolated := Verdict{Allowed: true}

	cases := []evalCase{
		{
			name: "no policies",
			want: notIsolated,
		},
		{
			name: "ingress default-deny does not isolate egress",
			policies: `
metadata: {name: default-deny, namespace: ingress-nginx}
spec:
  podSelector: {}
`,
			want: notIsolated,
		},
		{
			name: "explicit empty egress list does not default policyTypes to Egress",
			policies: `
metadata: {name: no-egress-section, namespace: ingress-nginx}
spec:
  podSelector: {}
  egress: []
`,
			want: notIsolated,
		},
		{
			name: "egress default-deny",
			policies: `
metadata: {name: deny-egress, namespace: ingress-nginx}
spec:
  podSelector: {}
  policyTypes: [Egress]
`,
			want: Verdict{
				Isolated:  true,
				Isolating: []string{"ingress-nginx/deny-egress"},
				Reasons:   []string{"policy ingress-nginx/deny-egress selects every pod in namespace ingress-nginx and has no egress rules"},
			},
		},
		{
			name: "egress rules imply the Egress policyType",
			policies: `
metadata: {name: dns-only, namespace: ingress-nginx}
spec:
  podSelector: {matchLabels: {app.kubernetes.io/name: ingress-nginx}}
  egress:
  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}}]
    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
`,
			want: denied("ingress-nginx/dns-only"),
			wantReasons: []string{"policy ingress-nginx/dns-only selects pod (app.kubernetes.io/name=ingress-nginx); " +
				"rule 1 allows namespaceSelector {kubernetes.io/metadata.name: kube-system} but namespace shop has labels " +
				"{kubernetes.io/metadata.name: shop, team: shop}, and ports 53/UDP, 53/TCP, not 8080/TCP"},
		},
		{
			name: "egress to the destination namespace and port",
			policies: `
metadata: {name: to-backends, namespace: ingress-nginx}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{namespaceSelector: {matchLabels: {team: shop}}}]
    ports: [{port: 8080}]
`,
			want: allowed("ingress-nginx/to-backends"),
		},
		{
			name: "egress podSelector alone means pods of the source namespace",
			policies: `
metadata: {name: to-checkout, namespace: ingress-nginx}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {matchLabels: {app: checkout}}}]
`,
			want:        denied("ingress-nginx/to-checkout"),
			wantReasons: []string{"podSelector {app: checkout} in namespace ingress-nginx but the destination is in namespace shop"},
		},
		{
			name: "egress AND peer matching the destination pod",
			policies: `
metadata: {name: to-checkout, namespace: ingress-nginx}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}
      podSelector: {matchLabels: {app: checkout}}
`,
			want: allowed("ingress-nginx/to-checkout"),
		},
		{
			name: "egress ipBlock applies to the destination IP",
			policies: `
metadata: {name: to-cidr, namespace: ingress-nginx}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 10.244.2.0/24, except: [10.244.2.7/32]}}]
`,
			want:        denied("ingress-nginx/to-cidr"),
			wantReasons: []string{"but the destination IP 10.244.2.7 is in the exception 10.244.2.7/32"},
		},
		{
			name: "egress named port refers to the destination container port",
			policies: `
metadata: {name: to-http, namespace: ingress-nginx}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - ports: [{port: http}]
`,
			want: allowed("ingress-nginx/to-http"),
		},
		{
			name: "policies of the destination namespace are ignored for egress",
			policies: `
metadata: {name: deny-egress, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
`,
			want: notIsolated,
		},
	}
	runEvalCases(t, func(t *testing.T, tc evalCase) Verdict {
		src, dst, port := tc.peers()
		return EvaluateEgress(parsePolicies(t, tc.policies), src, dst, port)
	}, cases)
}

func TestEvaluateIgnoresNilPolicies(t *testing.T) {
	policies := append(parsePolicies(t, denyAll), nil)
	got := EvaluateIngress(policies, nginx, checkout, httpPort)
	assert.Equal(t, []string{"shop/default-deny"}, got.Isolating)
	assert.False(t, got.Allowed)
}

func TestNamespaceLabelsDoNotMutateInput(t *testing.T) {
	in := map[string]string{"team": "platform"}
	got := namespaceLabels(Peer{Namespace: "ingress-nginx", NamespaceLabels: in})
	assert.Equal(t, "ingress-nginx", got["kubernetes.io/metadata.name"])
	assert.Equal(t, map[string]string{"team": "platform"}, in)
}
