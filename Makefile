# tide — the commands a newcomer and CI run.
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null | sed 's/^v//' || echo dev)
IMAGE ?= tide:$(VERSION)

.PHONY: test vet fmt-check fuzz bench microbench loadbench loadbench-full build quickstart release docker act gitlab-ci-local

## test: vet, gofmt check, and every test with the race detector (what CI runs)
test: fmt-check vet
	$(GO) test -race -count=1 ./...

vet:
	$(GO) vet ./...
	$(GO) vet -tags tidebench ./...

fmt-check:
	@out=$$(gofmt -l . | grep -v '^vendor/'); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## fuzz: each fuzz target for FUZZTIME (default 30s), the deletion-safety property and the JQ fast path against gojq included; `make test` runs only their seeds (testdata/fuzz)
FUZZTIME ?= 30s
FUZZ_TARGETS = \
	./sync/mapping:FuzzParse \
	./sync/mapping:FuzzAppendValue \
	./sync/mapping:FuzzProcess \
	./sync/mapping:FuzzNumberText \
	./sync/mapping:FuzzFastPath \
	./sync/mapping:FuzzFootprint \
	./sync:FuzzDeletionSafety \
	./sync:FuzzProjectedSum \
	./internal/jsonx:FuzzDecode \
	./internal/jsonx:FuzzAppend \
	./internal/jsonx:FuzzDecodeProjected \
	./sync/port:FuzzDecodeBulkAnswer \
	./sync/port/catalog:FuzzPlainURL \
	./integrations/custom:FuzzLinkHeader \
	./integrations/custom:FuzzCursor \
	./integrations/github:FuzzNextLink
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "== $$name ($$pkg) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

## bench: the micro-benchmarks, then the load benchmark at 10k and 100k items
bench: microbench loadbench

## microbench: the hot paths (decode a page, map an item, hash, encode a bulk request, ...)
microbench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## loadbench: tide as its own process against a Port fake process and a vendor process: the custom integration over HTTP, GitHub, and the in-process synthetic source (BENCHMARKS.md)
loadbench:
	$(GO) run ./bench/load -source custom,github,synthetic -n 10000,100000 -latency 0,10ms

## loadbench-full: the whole BENCHMARKS.md table, medians of 3, 1M items included (about an hour)
loadbench-full:
	$(GO) run ./bench/load -source custom -n 10000,50000,100000,1000000 -latency 0,10ms -repeat 3 -json bench-results.json
	$(GO) run ./bench/load -source custom-offset,custom-cursor,github,synthetic -n 10000,100000 -latency 0,10ms -repeat 3 -json bench-results-sources.json

## build: a static binary, version stamped (the Dockerfile's build stage)
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags="-s -w -X main.version=$(VERSION)" -o tide .

## quickstart: the README's first command
quickstart:
	$(GO) run . sync --integration file --file-glob 'testdata/quickstart/**' --port-url local:.tide/catalog.json

## release: dist/tide_<version>_<os>_<arch>.tar.gz and the checksums file action.yml verifies
release:
	VERSION=$(VERSION) GO=$(GO) scripts/release.sh

## docker: the container image (needs a container engine)
docker:
	docker build --build-arg VERSION=$(VERSION) -t $(IMAGE) .
	docker build --build-arg VERSION=$(VERSION) --target ci -t $(IMAGE)-ci .

## act: run action.yml end to end with nektos/act on this machine, offline (go install github.com/nektos/act@v0.2.89)
act:
	act workflow_dispatch -W packaging/testdata/act/action-test.yml -P ubuntu-latest=-self-hosted

## gitlab-ci-local: run the GitLab template's example pipeline with gitlab-ci-local (shell executor; needs npm and rsync)
gitlab-ci-local:
	packaging/gitlab-ci-local.sh
