// Package testing holds no code; its directories are the test harnesses,
// each a package of its own that real programs and fixtures are started
// through:
//
//   - base packages, shared by the others:
//     testcri (the container runtime's side of a log: CRI files written
//     and read), testproc (the one process launcher: start, readiness,
//     stop, kill, commands run to their end, free ports, finding binaries;
//     HTTP to a proxy) and
//     testupstream (loopback backends with one behaviour each);
//   - harnesses, one per thing a test runs against: testnginx, testhaproxy,
//     testtraefik (real proxies configured like their controllers),
//     testcluster (etcd and kube-apiserver), testvlogs (VictoriaLogs),
//     testotlp (an OTLP backend), teststorage, testkustomize, testlabels.
//
// The dependency rule, kept by TestHarnessImports: a harness imports only
// base packages, never another harness; among the base packages testproc
// may import testcri, and testupstream testproc.
package testing
