#!/usr/bin/env bash
# Builds the programs the e2e tests run — etcd, kube-apiserver, VictoriaLogs,
# Traefik — from the Go module proxy, into a version-keyed cache outside the clone:
#
#   ${K8S502_E2E_CACHE:-$HOME/.cache/k8s502-e2e}/<name>-<version>/<name>
#
# A binary already in the cache is not rebuilt, so running this again is cheap.
# Each program has its own build module next to this script (etcd/,
# apiserver/, victorialogs/, traefik/); the version comes from that module's
# go.mod, and k8s.io/kubernetes never enters the product's go.mod. Traefik's
# module is only a pin: see build_traefik.
#
# Cold on 2 cores: etcd ~1 min, kube-apiserver ~5-6 min (2.9 GB peak),
# VictoriaLogs ~1 min, Traefik ~13 min (781 s measured with an empty build
# cache and most of its modules still to download; the fixture capture's
# build with modules at hand took 5 min 21 s). The builds run one after the
# other on purpose.
#
# Usage: build.sh [etcd|kube-apiserver|victoria-logs|traefik]...   (default: all)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${K8S502_E2E_CACHE:-$HOME/.cache/k8s502-e2e}"
export GOFLAGS=-buildvcs=false GOWORK=off CGO_ENABLED=0

# version <module dir> <module path>: the version the build module requires.
version() {
	(cd "$1" && go list -m -f '{{.Version}}' "$2")
}

# build <name> <module dir> <version> <package> [go build flags...]
build() {
	local name="$1" dir="$2" ver="$3" pkg="$4"
	shift 4
	local dest="$cache/$name-$ver"
	if [[ -x "$dest/$name" ]]; then
		echo "$name $ver: cached at $dest/$name"
		return
	fi
	mkdir -p "$dest"
	echo "$name $ver: building $pkg ..."
	local start=$SECONDS
	# Build next to the destination, then rename: an interrupted build never
	# leaves a binary that looks complete.
	(cd "$dir" && go build -trimpath "$@" -o "$dest/$name.tmp" "$pkg")
	mv "$dest/$name.tmp" "$dest/$name"
	echo "$name $ver: built in $((SECONDS - start))s at $dest/$name"
}

build_etcd() {
	local ver
	ver="$(version "$here/etcd" go.etcd.io/etcd/server/v3)"
	# The module root is the etcd main package; `go install ...@version` is
	# refused because etcd's go.mod has replace directives.
	build etcd "$here/etcd" "$ver" go.etcd.io/etcd/server/v3 -ldflags "-s -w"
}

build_apiserver() {
	local ver minor v=k8s.io/component-base/version
	ver="$(version "$here/apiserver" k8s.io/kubernetes)"
	minor="${ver#v1.}"
	minor="${minor%%.*}"
	build kube-apiserver "$here/apiserver" "$ver" k8s.io/kubernetes/cmd/kube-apiserver \
		-ldflags "-s -w -X $v.gitVersion=$ver -X $v.gitMajor=1 -X $v.gitMinor=$minor"
}

build_victorialogs() {
	local ver
	ver="$(version "$here/victorialogs" github.com/VictoriaMetrics/VictoriaLogs)"
	build victoria-logs "$here/victorialogs" "$ver" \
		github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs -ldflags "-s -w"
}

# Traefik's go.mod has replace directives, which Go applies only to the main
# module: neither `go install ...@version` nor a build module requiring it
# builds it. So the exact version pinned in traefik/go.mod is downloaded
# (checked against traefik/go.sum), copied somewhere writable, and built there
# as the main module, with its own go.mod, go.sum and replaces.
build_traefik() {
	local ver src
	ver="$(version "$here/traefik" github.com/traefik/traefik/v3)"
	if [[ -x "$cache/traefik-$ver/traefik" ]]; then
		echo "traefik $ver: cached at $cache/traefik-$ver/traefik"
		return
	fi
	src="$(cd "$here/traefik" && go mod download -json github.com/traefik/traefik/v3 >/dev/null &&
		go list -m -f '{{.Dir}}' github.com/traefik/traefik/v3)"
	mkdir -p "$cache"
	# The module cache is read-only; the copy goes away however this ends.
	traefik_src="$(mktemp -d "$cache/src-traefik.XXXXXX")"
	trap 'rm -rf "$traefik_src"' EXIT
	cp -R "$src/." "$traefik_src/"
	chmod -R u+w "$traefik_src"
	local v=github.com/traefik/traefik/v3/pkg/version
	build traefik "$traefik_src" "$ver" ./cmd/traefik -ldflags "-s -w -X $v.Version=$ver"
	rm -rf "$traefik_src"
}

targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(etcd kube-apiserver victoria-logs traefik)
for t in "${targets[@]}"; do
	case "$t" in
	etcd) build_etcd ;;
	kube-apiserver) build_apiserver ;;
	victoria-logs) build_victorialogs ;;
	traefik) build_traefik ;;
	*)
		echo "build.sh: unknown target $t (etcd, kube-apiserver, victoria-logs, traefik)" >&2
		exit 2
		;;
	esac
done
