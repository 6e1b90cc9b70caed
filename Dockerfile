# syntax=docker/dockerfile:1
#
# otelcol-k8s502 image: the collector built by `make build` (ocb), static, on distroless.
#
#   docker build -t ghcr.io/k8s502/otelcol-k8s502:0.0.1 .
#
# The binary is /otelcol-k8s502 (the path the opentelemetry-collector Helm chart runs for
# command.name: otelcol-k8s502); the pre-flight check is /k8s502-doctor (cmd/k8s502-doctor,
# the shipped manifests' initContainers). The image runs as distroless' nonroot user (65532); the
# log-tailing DaemonSet overrides that with uid 0 (see examples/kubernetes/daemonset.yaml).

ARG GO_VERSION=1.25

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# No cgo: a static binary for a base image without libc.
ENV CGO_ENABLED=0
# Only what `make build` and `make doctor` read: the ocb config, the Makefile and the root
# module's packages (builder-config.yaml replaces the module with this checkout).
COPY go.mod go.sum Makefile builder-config.yaml ./
COPY internal/ internal/
COPY receiver/ receiver/
COPY processor/ processor/
COPY connector/ connector/
COPY cmd/k8s502-doctor/ cmd/k8s502-doctor/
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    make build doctor && ./_build/otelcol-k8s502 components > /dev/null && ./_build/k8s502-doctor -h 2> /dev/null

FROM gcr.io/distroless/static:nonroot
COPY --from=build /src/_build/otelcol-k8s502 /otelcol-k8s502
COPY --from=build /src/_build/k8s502-doctor /k8s502-doctor
# OTLP gRPC and HTTP (gateway), health_check, the collector's own metrics.
EXPOSE 4317 4318 13133 8888
ENTRYPOINT ["/otelcol-k8s502"]
