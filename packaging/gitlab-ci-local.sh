#!/usr/bin/env bash
# Runs the GitLab template's example pipeline with gitlab-ci-local (npm) and
# its shell executor: a throwaway project with the template, the example
# pipeline (image cleared: no container engine needed; tide from this
# checkout on PATH), the e2e catalog and the embedded local Port target.
# Needs node/npm and rsync. Usage: packaging/gitlab-ci-local.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/bin" "$work/proj/catalog"
(cd "$root" && CGO_ENABLED=0 go build -trimpath -o "$work/bin/tide" .)
cp "$root"/testdata/e2e/catalog/* "$work/proj/catalog/"
cp "$root/.gitlab-ci-template.yml" "$work/proj/"
# The example pipeline, with the image cleared (shell executor) and the
# local target in place of Port.
sed -e 's#^  extends: .tide-sync#  extends: .tide-sync\n  image: null#' \
    -e 's#^    TIDE_INIT_RESOURCES: "true"#    TIDE_PORT_URL: "local:.tide/catalog.json"#' \
    "$root/packaging/testdata/gitlab/.gitlab-ci.yml" >"$work/proj/.gitlab-ci.yml"
cd "$work/proj"
git init -q . && git add -A && git -c user.email=ci@example.com -c user.name=ci commit -qm pipeline

# 4.52.0 is the last release that runs on Node 20; schema validation is off
# only because it rejects `image: null`, the shell-executor override.
PATH="$work/bin:$PATH" npx --yes gitlab-ci-local@4.52.0 --json-schema-validation=false \
	--variable CI_PIPELINE_SOURCE=schedule | tee "$work/log"
grep -q 'tide completed created=10 deleted=0' "$work/log"
test -s .gitlab-ci-local/artifacts/tide-sync/tide/junit.xml
echo "gitlab-ci-local: the template's job ran, its reports were collected, and the needs: job read the dotenv"
