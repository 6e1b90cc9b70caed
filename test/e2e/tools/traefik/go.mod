// Pins the Traefik the e2e tests run (see ../build.sh). Not a build module:
// Traefik's go.mod has replace directives, which apply only when Traefik is
// the main module, so build.sh builds a writable copy of this exact module
// version (verified against go.sum) instead of building it from here.
// Kept apart from the product's go.mod on purpose.
module github.com/k8s502/otelcol-k8s502/test/e2e/tools/traefik

go 1.26.0

require github.com/traefik/traefik/v3 v3.6.12
