#!/usr/bin/env bash
# Builds the simulated cluster's binaries from the versions pinned in
# tools/go.mod into a cache outside the work tree, and writes kwok's stage
# configs beside them.
#
#   tools/build.sh [control|node|all]     (default: control)
#
#   control  etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
#            kubectl, kwok: the simulated cluster (make demo, most tests)
#   node     kubelet and kube-proxy as well: the real node (internal/realnode)
#
# The cache directory is keyed by a hash of go.mod, go.sum, this script and the
# Go version, so a second run with nothing changed does nothing; each set is
# marked complete on its own. One build at a time: however many test packages
# ask at once, the first takes a lock on the cache and the others wait for it,
# then find the binaries built. Prints the directory on stdout as its last line.
set -euo pipefail
cd "$(dirname "$0")"

set_=${1:-control}
case $set_ in
  control) sets=(control) ;;
  node) sets=(control node) ;;
  all) sets=(control node) ;;
  *) echo "usage: tools/build.sh [control|node|all]" >&2; exit 2 ;;
esac

K8S_VERSION=v1.36.3
KWOK_VERSION=v0.8.0
key=$( (cat go.mod go.sum build.sh; go version) | sha256sum | cut -c1-16)
root=${KUBELAB_BIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubelab/bin}
dir=$root/$K8S_VERSION-$key

done_() {
  for s in "${sets[@]}"; do [[ -f $dir/.complete-$s ]] || return 1; done
}
if done_; then
  echo "cluster binaries ($set_) up to date in $dir" >&2
  echo "$dir"
  exit 0
fi

mkdir -p "$root" "$dir"
exec 9>"$root/.lock"
if ! flock -n 9; then
  echo "waiting for another build of the cluster binaries (lock $root/.lock)" >&2
  flock 9
fi

cv=k8s.io/component-base/version
gv=k8s.io/client-go/pkg/version
ldflags="-s -w"
for p in $cv $gv; do
  ldflags+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=36"
  ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
done
ldflags+=" -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION"

build_control() {
  go build -trimpath -ldflags "$ldflags" -o "$1/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler \
    k8s.io/kubernetes/cmd/kubectl \
    go.etcd.io/etcd/server/v3 \
    sigs.k8s.io/kwok/cmd/kwok
  # The etcd main package lives at the module root, so go names it "server".
  mv "$1/server" "$1/etcd"
  # kwok exits "no stages found" without stage configs: node fast +
  # heartbeat, and the general pod lifecycle.
  local kwokdir f
  kwokdir=$(go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
  for f in "$kwokdir"/kustomize/stage/node/fast/*.yaml \
           "$kwokdir"/kustomize/stage/node/heartbeat/*.yaml \
           "$kwokdir"/kustomize/stage/pod/general/pod-*.yaml; do
    case $(basename "$f") in kustomization.yaml) continue ;; esac
    echo "---"; cat "$f"
  done > "$1/kwok-stages.yaml"
}

build_node() {
  go build -trimpath -ldflags "$ldflags" -o "$1/" \
    k8s.io/kubernetes/cmd/kubelet \
    k8s.io/kubernetes/cmd/kube-proxy
}

for s in "${sets[@]}"; do
  [[ -f $dir/.complete-$s ]] && continue
  start=$(date +%s)
  echo "building cluster binaries ($s) into $dir (cold: control ~12 min, node ~5 min more on 2 cores)" >&2
  tmp=$(mktemp -d "$dir/.tmp.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  "build_$s" "$tmp"
  # Each file is renamed into place, so a reader never sees half a binary.
  for f in "$tmp"/*; do mv -f "$f" "$dir/"; done
  rm -rf "$tmp"; trap - EXIT
  touch "$dir/.complete-$s"
  echo "built $s in $(( $(date +%s) - start ))s" >&2
done
echo "$dir"
