#!/usr/bin/env bash
# Builds the release archives action.yml downloads:
#   tide_<version>_<os>_<arch>.tar.gz   (the static binary `tide`, plus README and LICENSE when present)
#   tide_<version>_checksums.txt        (sha256sum format)
# Usage: VERSION=1.2.3 [PLATFORMS="linux/amd64 darwin/arm64"] [OUT=dist] scripts/release.sh
set -euo pipefail
cd "$(dirname "$0")/.."

: "${VERSION:?set VERSION, e.g. VERSION=1.2.3 (no leading v)}"
VERSION="${VERSION#v}"
OUT="${OUT:-dist}"
PLATFORMS="${PLATFORMS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64}"
GO="${GO:-go}"

mkdir -p "$OUT"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

archives=()
for p in $PLATFORMS; do
	os="${p%/*}" arch="${p#*/}"
	bin=tide
	[ "$os" = windows ] && bin=tide.exe
	dir="$work/${os}_${arch}"
	mkdir -p "$dir"
	# The same build as the Dockerfile's build stage: static, trimmed paths,
	# version stamped.
	CGO_ENABLED=0 GOOS="$os" GOARCH="$arch" "$GO" build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o "$dir/$bin" .
	files=("$bin")
	for f in README.md LICENSE; do
		if [ -f "$f" ]; then
			cp "$f" "$dir/"
			files+=("$f")
		fi
	done
	name="tide_${VERSION}_${os}_${arch}.tar.gz"
	# Reproducible archives: fixed order, owner and times.
	tar -C "$dir" --sort=name --owner=0 --group=0 --numeric-owner --mtime='2000-01-01 00:00:00Z' -cf - "${files[@]}" | gzip -n >"$OUT/$name"
	archives+=("$name")
done

(cd "$OUT" && sha256sum "${archives[@]}" >"tide_${VERSION}_checksums.txt")
echo "release ${VERSION}: ${archives[*]} in ${OUT}/"
