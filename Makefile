# kubelab's build. `make demo` and `make test` are all a fresh machine needs
# (plus the Debian packages .ci/run installs: docker.io, chromium, iproute2).

GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X github.com/kubelab/kubelab/checks.Version=$(VERSION)
BIN       := bin
SIMDIR    ?= .sim
# Tests that need a real component fail instead of skipping when CI is set.
TESTFLAGS ?= -count=1 -timeout 30m

.PHONY: all build test lint demo cluster-bins sim-up sim-down bench fuzz clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/kubelab ./cmd/kubelab
	$(GO) build -o $(BIN)/kubelab-sim ./cmd/kubelab-sim

# The simulated cluster's binaries, built from tools/go.mod into
# ~/.cache/kubelab/bin (a no-op when current; ~10 min cold on 2 cores).
cluster-bins:
	@bash tools/build.sh >/dev/null

test: cluster-bins
	$(GO) test $(TESTFLAGS) ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	cd tools && $(GO) vet ./... 2>/dev/null || true

demo: build cluster-bins
	$(BIN)/kubelab-sim demo --kubelab $(BIN)/kubelab --out out/demo

sim-up: build cluster-bins
	@$(BIN)/kubelab-sim up --dir $(SIMDIR)

sim-down:
	@$(GO) run ./cmd/kubelab-sim down --dir $(SIMDIR)

clean:
	rm -rf $(BIN) out $(SIMDIR)
