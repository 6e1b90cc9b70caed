package gateways

// generic is the profile of a proxy no file here describes: evidence names
// it by its k8s502.gateway value, remediations speak of "the gateway's"
// settings rather than guess another proxy's, a peer that is not an
// address is taken for one server's name, and upstream names are tried as
// ingress-nginx makes them.
func generic(name string) *Profile {
	return &Profile{
		Name:    name,
		Words:   name,
		Resolve: byUpstreamName,
		Knobs: func(r Route) Knobs {
			return Knobs{
				ReadTimeout:    "the gateway's upstream response timeout for " + r.Ingress,
				ConnectTimeout: "the gateway's upstream connect timeout for " + r.Ingress,
				BackendTLS:     "the gateway's backend TLS setting for " + r.Ingress,
				TrustCA:        "the CA the gateway trusts for this upstream",
				Keepalive:      "the gateway's idle timeout for upstream connections, below the app's own",
				HeaderBuffer:   "the gateway's response header buffer size",
			}
		},
	}
}
