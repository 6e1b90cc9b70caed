// Package testcluster runs a real etcd and kube-apiserver on 127.0.0.1 for
// end-to-end tests: free ports picked at run time, state in t.TempDir, both
// processes started and stopped with testproc. There is no controller-manager:
// tests create what controllers would (the default ServiceAccount is not
// needed, that admission plugin is off) and write statuses themselves.
//
// The binaries come from test/e2e/tools/build.sh. Tests skip when they are
// missing, unless EnvRequire (K8S502_REQUIRE_E2E) is 1.
package testcluster
