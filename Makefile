# Build, test and lint otelcol-k8s502.
#
#   make tools     install ocb (builder) and mdatagen into .tools/bin
#   make generate  run mdatagen on every component's metadata.yaml
#   make build     build the collector with ocb into _build/otelcol-k8s502
#   make test      unit tests with the race detector
#   make lint      gofmt + go vet
#   make bench     benchmarks of the receiver's parsers
#   make e2e       end-to-end tests (build tag e2e) against the built collector
#   make chaos     chaos suite (build tag chaos): SIGKILLs, rotation, outages, full disk (test/chaos)
#   make chaos-short  the same in about five minutes (the CI length)
#   make demo      build, then replay the demo log through the collector
#   make image     the container image (OCI layout, IMAGE_ARCHS) without Docker, in _build/image
#   make doctor    build the pre-flight check into _build/k8s502-doctor
#   make clean     remove _build/ and .tools/

# Collector core (0.x modules) and contrib; core's 1.x modules are OTELCOL_STABLE_VERSION.
# builder-config.yaml names these versions too: change them together.
OTELCOL_VERSION        ?= 0.151.0
OTELCOL_STABLE_VERSION ?= 1.57.0
# mdatagen (v0.150.0) is pinned in tools/go.mod and built from that module:
# `go install .../cmd/mdatagen@version` fails here.

GO        ?= go
# VCS stamping needs a git checkout that the current user owns; builds here do not use it.
GOFLAGS   ?= -buildvcs=false
export GOFLAGS

TOOLS_DIR := $(CURDIR)/.tools
TOOLS_BIN := $(TOOLS_DIR)/bin
BUILDER   := $(TOOLS_BIN)/builder
MDATAGEN  := $(TOOLS_BIN)/mdatagen

BUILD_DIR     := $(CURDIR)/_build
COLLECTOR_BIN := $(BUILD_DIR)/otelcol-k8s502

# Directories holding a component's metadata.yaml (testdata excluded).
METADATA_DIRS = $(sort $(dir $(shell find receiver processor connector -name metadata.yaml -not -path '*/testdata/*' 2>/dev/null)))
# Go files that gofmt checks: all but testdata, ocb output and tools.
GO_FILES = $(shell find . -name '*.go' -not -path '*/testdata/*' -not -path './_build/*' -not -path './.tools/*' -not -path './.git/*')

.PHONY: all
all: lint test build

## Tools ---------------------------------------------------------------------

.PHONY: tools
tools: $(BUILDER) $(MDATAGEN)

# The stamp file changes only when OTELCOL_VERSION does, so the builder is
# reinstalled exactly when its version moves.
$(TOOLS_DIR)/builder.version: FORCE
	@mkdir -p $(@D)
	@echo v$(OTELCOL_VERSION) | cmp -s - $@ || echo v$(OTELCOL_VERSION) > $@

$(BUILDER): $(TOOLS_DIR)/builder.version
	GOBIN=$(TOOLS_BIN) $(GO) install go.opentelemetry.io/collector/cmd/builder@v$(OTELCOL_VERSION)
	@touch $@

$(MDATAGEN): tools/go.mod tools/go.sum
	cd tools && $(GO) build -o $@ go.opentelemetry.io/collector/cmd/mdatagen

## Code generation -----------------------------------------------------------

.PHONY: generate
generate: $(MDATAGEN)
	@for d in $(METADATA_DIRS); do \
		echo "mdatagen $${d}metadata.yaml"; \
		(cd $$d && $(MDATAGEN) metadata.yaml) || exit 1; \
	done

## Build ---------------------------------------------------------------------

.PHONY: build
# ocb's strict versioning checks only the listed components; the second step
# fails the build if `go mod tidy` moved any other collector module off our versions.
build: $(BUILDER)
	$(BUILDER) --config builder-config.yaml --skip-strict-versioning=false
	@drift="$$(grep -E '^[[:space:]]*(go\.opentelemetry\.io/collector|github\.com/open-telemetry/opentelemetry-collector-contrib)/' $(BUILD_DIR)/go.mod \
		| grep -vE ' v($(OTELCOL_VERSION)|$(OTELCOL_STABLE_VERSION))( |$$)')"; \
	if [ -n "$$drift" ]; then \
		echo "collector modules off v$(OTELCOL_VERSION)/v$(OTELCOL_STABLE_VERSION) in $(BUILD_DIR)/go.mod:"; \
		echo "$$drift"; exit 1; \
	fi

# The pre-flight check (cmd/k8s502-doctor): a plain Go build, no ocb. Run it on the config a
# pod runs: _build/k8s502-doctor --config <config.yaml> [--kubeconfig <file>] [--no-send].
DOCTOR_BIN := $(BUILD_DIR)/k8s502-doctor
.PHONY: doctor
doctor:
	$(GO) build -trimpath -ldflags="-s -w" -o $(DOCTOR_BIN) ./cmd/k8s502-doctor

.PHONY: image
# The container image without Docker: static binaries for each of IMAGE_ARCHS, then an OCI image
# layout (one index over the platforms) in _build/image, written by tools/image. Push it with
# `crane push _build/image <ref>` or `skopeo copy oci:_build/image docker://<ref>`; the Dockerfile
# builds the same image where Docker is at hand.
IMAGE_ARCHS ?= amd64 arm64
IMAGE_VERSION ?= $(shell sed -n 's/^  version: //p' builder-config.yaml)
image: build
	@set -e; plats=""; for arch in $(IMAGE_ARCHS); do \
		echo "== linux/$$arch"; \
		(cd $(BUILD_DIR) && CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build -trimpath -ldflags="-s -w" -o otelcol-k8s502-linux-$$arch .); \
		CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build -trimpath -ldflags="-s -w" -o $(BUILD_DIR)/k8s502-doctor-linux-$$arch ./cmd/k8s502-doctor; \
		plats="$$plats --platform $$arch=$(BUILD_DIR)/otelcol-k8s502-linux-$$arch,$(BUILD_DIR)/k8s502-doctor-linux-$$arch"; \
	done; \
	cd tools/image && $(GO) run . $$plats --out $(BUILD_DIR)/image --version $(IMAGE_VERSION)

## Checks --------------------------------------------------------------------

.PHONY: test
test:
	$(GO) test -race ./...
	cd tools/image && $(GO) test ./...

.PHONY: lint
lint:
	@unformatted="$$(gofmt -l $(GO_FILES))"; \
	if [ -n "$$unformatted" ]; then \
		echo "gofmt: these files need formatting:"; echo "$$unformatted"; exit 1; \
	fi
	$(GO) vet ./...
	$(GO) vet -tags e2e ./test/e2e/... ./processor/correlate502processor/internal/kube/ ./processor/correlate502processor/internal/netpol/
	$(GO) vet -tags chaos ./test/chaos/
	$(GO) vet -tags storm ./test/storm/

.PHONY: bench
# The receiver (hot path and whole component) and the stock filelog pipeline
# run in one process on the same 201,527-line file; the ratio is printed last.
bench:
	$(GO) test -p 1 -run '^$$' -bench . -benchmem -benchtime 3x \
		./receiver/k8s502receiver/internal/ingest/ ./receiver/k8s502receiver/internal/haproxy/ \
		./receiver/k8s502receiver/internal/traefik/ ./receiver/k8s502receiver/internal/envoy/ \
		./test/bench/ ./processor/... | tee bench.out
	@awk '/lines\/s/ { for (i = 1; i < NF; i++) if ($$(i+1) == "lines/s") v[$$1] = $$i } \
	     END { for (k in v) if (k ~ /K8s502Receiver/) r = v[k]; else if (k ~ /PeerPipeline/) p = v[k]; \
	           if (p > 0) printf "receiver/peer (same run) = %.1fx\n", r / p; \
	           for (k in v) if (k ~ /GatewayMix\/ingress-nginx/) n = v[k]; \
	           for (k in v) if (k ~ /GatewayMix\// && n > 0) { g = k; sub(/.*GatewayMix\//, "", g); sub(/-[0-9]+$$/, "", g); \
	             printf "%s / ingress-nginx at 1%% failures (same run) = %.2f\n", g, v[k] / n } }' bench.out

.PHONY: fuzz
# Every fuzz target in the repository, one after the other, FUZZTIME each.
FUZZTIME ?= 30s
fuzz:
	@set -e; for f in $$(grep -rl --include='*_test.go' '^func Fuzz' receiver processor internal); do \
		dir=$$(dirname $$f); \
		for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
			echo "== $$dir $$t"; \
			$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) ./$$dir/; \
		done; \
	done

.PHONY: e2e
# Real etcd, kube-apiserver and VictoriaLogs (built once into a version-keyed
# cache by test/e2e/tools/build.sh) and the built collector. TestLabeled's
# accuracy tables also go to $(LABELED_REPORT).
LABELED_REPORT ?= $(BUILD_DIR)/labeled-report.md
e2e: build
	bash test/e2e/tools/build.sh
	K8S502_OTELCOL_BIN=$(COLLECTOR_BIN) K8S502_LABELED_REPORT=$(LABELED_REPORT) $(GO) test -p 1 -tags e2e -count=1 ./test/e2e/... ./processor/correlate502processor/internal/kube/ ./processor/correlate502processor/internal/netpol/

.PHONY: chaos chaos-short
# Real collector processes killed, starved and restarted while a kubelet-style
# log grows and rotates; fails on any failed request lost or delivered twice
# (test/chaos/README.md). Builds the collector first; the
# report table also goes to $(CHAOS_REPORT).
CHAOS_REPORT ?= $(BUILD_DIR)/chaos-report.md
chaos: build
	K8S502_CHAOS=full K8S502_REQUIRE_BUILD=1 K8S502_OTELCOL_BIN=$(COLLECTOR_BIN) CHAOS_REPORT=$(CHAOS_REPORT) \
		$(GO) test -tags chaos -count=1 -run . -v -timeout 30m ./test/chaos/

chaos-short: build
	K8S502_CHAOS=short K8S502_REQUIRE_BUILD=1 K8S502_OTELCOL_BIN=$(COLLECTOR_BIN) CHAOS_REPORT=$(CHAOS_REPORT) \
		$(GO) test -tags chaos -count=1 -run . -v -timeout 10m ./test/chaos/

# A storm: the demo log replayed 2,000 times within the same seconds through the
# built collector; every record must get its original's cause, none unjudged.
.PHONY: storm
storm: build
	K8S502_REQUIRE_BUILD=1 K8S502_OTELCOL_BIN=$(COLLECTOR_BIN) $(GO) test -tags storm -count=1 -v -run TestStorm ./test/storm/

# The replay command (cmd/k8s502-replay) runs the collector on the bundled real log against the
# bundled cluster snapshot and prints the incidents; RECORDS=1 prints every request record too.
.PHONY: demo
demo: build
	$(GO) run ./cmd/k8s502-replay -collector $(COLLECTOR_BIN) \
		-logs examples/demo/var/log/pods -snapshot examples/demo/cluster-snapshot.yaml $(if $(RECORDS),-records)

## Housekeeping --------------------------------------------------------------

.PHONY: clean
clean:
	rm -rf $(BUILD_DIR) $(TOOLS_DIR)
	find . -name '*.test' -type f -not -path './.git/*' -delete

.PHONY: FORCE
FORCE:
