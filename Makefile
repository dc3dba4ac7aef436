# tide — the commands a newcomer and CI run.
GO ?= go

.PHONY: test vet fmt-check bench microbench loadbench loadbench-full build quickstart

## test: vet, gofmt check, and every test with the race detector (what CI runs)
test: fmt-check vet
	$(GO) test -race -count=1 ./...

vet:
	$(GO) vet ./...
	$(GO) vet -tags tidebench ./...

fmt-check:
	@out=$$(gofmt -l . | grep -v '^vendor/'); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## bench: the micro-benchmarks, then the load benchmark at 10k and 100k items
bench: microbench loadbench

## microbench: the hot paths (decode a page, map an item, hash, encode a bulk request, ...)
microbench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## loadbench: tide as its own process against a Port fake process (BENCHMARKS.md)
loadbench:
	$(GO) run ./bench/load -n 10000,100000 -latency 0,10ms

## loadbench-full: the whole BENCHMARKS.md table, 1M items included (about 15 minutes)
loadbench-full:
	$(GO) run ./bench/load -n 10000,100000,1000000 -latency 0,10ms -json bench-results.json

## build: a static binary
build:
	CGO_ENABLED=0 $(GO) build -trimpath -o tide .

## quickstart: the README's first command
quickstart:
	$(GO) run . sync --integration file --file-glob 'testdata/quickstart/**' --port-url local:.tide/catalog.json
