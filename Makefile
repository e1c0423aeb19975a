# kubelab's build. `make demo` and `make test` are all a fresh machine needs
# (plus the Debian packages .ci/run installs: docker.io, chromium, iproute2,
# and containerd, runc, CNI plugins, conntrack, iptables, gcc for the real node).

GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS   := -X github.com/kubelab/kubelab/report.Version=$(VERSION) -X main.commit=$(COMMIT)
BIN       := bin
SIMDIR    ?= .sim
# Tests that need a real component fail instead of skipping when CI is set.
TESTFLAGS ?= -count=1 -timeout 30m

.PHONY: all build release test test-short lint demo cluster-bins node-bins sim-up sim-down bench fuzz clean real-up real-down demo-real

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/kubelab ./cmd/kubelab
	$(GO) build -o $(BIN)/kubelab-sim ./cmd/kubelab-sim

# The release students install from (docs/install.md): archives for linux
# and darwin (amd64, arm64) and windows (amd64) with LICENSE and README,
# checksums.txt, its minisign signature (KUBELAB_MINISIGN_KEY=secret key
# file; unsigned without it), and the krew, Homebrew and Scoop manifests.
# RELEASE_VERSION defaults to the tag on HEAD (v0.0.0-dev+gCOMMIT untagged).
RELEASE_DIR     ?= dist
RELEASE_VERSION ?=
release:
	$(GO) run ./cmd/kubelab-release -out $(RELEASE_DIR) $(if $(RELEASE_VERSION),-version $(RELEASE_VERSION))

# The simulated cluster's binaries, built from tools/go.mod into
# ~/.cache/kubelab/bin (a no-op when current; ~12 min cold on 2 cores).
# node-bins adds the real node's kubelet and kube-proxy (~5 min more).
# One build at a time: tools/build.sh takes a lock on the cache.
cluster-bins:
	@bash tools/build.sh control >/dev/null

node-bins:
	@bash tools/build.sh node >/dev/null

test: cluster-bins node-bins
	$(GO) test $(TESTFLAGS) ./...

# The pure tests only (judges and fixtures, report goldens, lab loading,
# roster, LMS, the CLI's flags and exit codes): every test that needs the
# simulated cluster, a real node, Docker or Chromium skips under -short
# (internal/testenv.Real), so no cluster binary is built.
test-short:
	$(GO) test -short $(TESTFLAGS) ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@# Students run kubelab on macOS and Windows: nothing Linux-only may reach it.
	GOOS=darwin GOARCH=arm64 $(GO) build -o /dev/null ./cmd/kubelab
	GOOS=windows GOARCH=amd64 $(GO) build -o /dev/null ./cmd/kubelab
	cd tools && $(GO) vet ./... 2>/dev/null || true

demo: build cluster-bins
	$(BIN)/kubelab-sim demo --kubelab $(BIN)/kubelab --out out/demo

# Figures for docs/performance.md: classes of 30, 300, 1000 and
# 10 000 students on one simulated cluster (the 10 000 also as 4 shards,
# merged), graded by bin/kubelab, against the kubectl script of
# bench/baseline.sh. Writes bench/results.{md,json} and the table in docs/performance.md
# (about 30 min on 2 cores, most of it creating the 10 000 students).
# BENCHFLAGS="-sizes 30,100 -repeat 1" for a quick run.
BENCHFLAGS ?=
bench: build cluster-bins
	$(GO) run ./bench -kubelab $(BIN)/kubelab -readme docs/performance.md $(BENCHFLAGS)

# Every fuzz target for FUZZTIME each (default 60s); crashes are left in
# <package>/testdata/fuzz/ to commit as regression tests.
FUZZTIME ?= 60s
fuzz:
	FUZZTIME=$(FUZZTIME) .ci/fuzz

sim-up: build cluster-bins
	@$(BIN)/kubelab-sim up --dir $(SIMDIR)

sim-down:
	@$(GO) run ./cmd/kubelab-sim down --dir $(SIMDIR)

clean:
	rm -rf $(BIN) out $(SIMDIR)

# A real node (internal/realnode): kubelet, kube-proxy, containerd and the
# control plane inside the network namespace $(REALNETNS); needs root and the
# Debian packages .ci/run installs. real-up prints the KUBECONFIG line and
# the nsenter prefix; real-down leaves nothing behind.
REALDIR   ?= .real
REALNETNS ?= kubelab-real
real-up: node-bins
	@$(GO) build -o $(BIN)/kubelab-real ./cmd/kubelab-real
	@$(BIN)/kubelab-real up --dir $(REALDIR) --netns $(REALNETNS)

real-down:
	@$(GO) build -o $(BIN)/kubelab-real ./cmd/kubelab-real
	@$(BIN)/kubelab-real down --dir $(REALDIR) --netns $(REALNETNS)

# The lesson played on a real node: the Debian-built Python base, the
# lesson's Dockerfile through docker build/push, kubectl create deployment
# and expose, the app through the NodePort and the LoadBalancer ingress,
# kubelab check (reports in out/demo-real); then everything is torn down.
demo-real: build node-bins
	@$(GO) build -o $(BIN)/kubelab-real ./cmd/kubelab-real
	$(BIN)/kubelab-real demo --kubelab $(BIN)/kubelab --out out/demo-real
