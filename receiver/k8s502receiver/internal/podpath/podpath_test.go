package podpath

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		path string
		want Identity
	}{
		{
			path: "/var/log/pods/ingress-nginx_ingress-nginx-controller-7d9f8b6c5d-x2x4z_3f5b2c1e-8a4d-4e2b-9c7f-1a2b3c4d5e6f/controller/0.log",
			want: Identity{Namespace: "ingress-nginx", Pod: "ingress-nginx-controller-7d9f8b6c5d-x2x4z", UID: "3f5b2c1e-8a4d-4e2b-9c7f-1a2b3c4d5e6f", Container: "controller",
				Key: "/var/log/pods/ingress-nginx_ingress-nginx-controller-7d9f8b6c5d-x2x4z_3f5b2c1e-8a4d-4e2b-9c7f-1a2b3c4d5e6f"},
		},
		{
			// hostPath mounted elsewhere, rotated file
			path: "/host/var/log/pods/ns_p_u/c/1.log.20261125-101500",
			want: Identity{Namespace: "ns", Pod: "p", UID: "u", Container: "c", Key: "/host/var/log/pods/ns_p_u"},
		},
		{
			path: "/var/lib/docker/containers/8d3f/8d3f-json.log",
			want: Identity{ContainerID: "8d3f", Key: "/var/lib/docker/containers/8d3f"},
		},
		{path: "/var/log/nginx/access.log", want: Identity{Key: "/var/log/nginx"}},
		{path: "/var/log/nginx/a_b/x.log", want: Identity{Key: "/var/log/nginx/a_b"}},
	} {
		assert.Equal(t, tc.want, Parse(tc.path), tc.path)
	}
}
