# tide — the commands a newcomer and CI run.
GO ?= go

.PHONY: test vet fmt-check bench build quickstart

## test: vet, gofmt check, and every test with the race detector (what CI runs)
test: fmt-check vet
	$(GO) test -race -count=1 ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l . | grep -v '^vendor/'); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## bench: the micro-benchmarks of the hot paths
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## build: a static binary
build:
	CGO_ENABLED=0 $(GO) build -trimpath -o tide .

## quickstart: the README's first command
quickstart:
	$(GO) run . sync --integration file --file-glob 'testdata/quickstart/**' --port-url local:.tide/catalog.json
