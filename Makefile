# make demo (as root): install what the build needs, build the example CLI
# and run a container with it.
# make test (as root): install what the tests need, then run every test.
GO ?= go

.PHONY: all build demo test test-deps check-go vet bench clean

all: build

build: check-go
	$(GO) build ./...
	GO=$(GO) ./scripts/build-cli.sh bin/dock

demo:
	GO=$(GO) ./scripts/demo.sh

test-deps:
	./scripts/test-deps.sh

check-go:
	GO=$(GO) ./scripts/check-go.sh

vet: check-go
	$(GO) vet ./...
	GOOS=darwin $(GO) build ./...
	CGO_ENABLED=0 $(GO) build ./...

test: check-go test-deps vet
	# One package at a time: several tests check host-wide state (mounts,
	# dock cgroups) that another package's containers would change.
	$(GO) test -race -count=1 -p 1 -timeout 40m ./...
	# testcontainers-go against dockd and the in-process handler: a module
	# of its own, which ./... does not reach.
	cd examples/dockd/tctest && $(GO) vet ./... && $(GO) test -race -count=1 -timeout 20m ./...

bench: build
	./bench/run.sh

clean:
	rm -rf bin
