#!/usr/bin/env bash
# Builds the simulated cluster's binaries (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kubectl, kwok; kubelet and
# kube-proxy for the real node) from the versions
# pinned in tools/go.mod into a cache outside the work tree, and writes kwok's
# stage configs beside them.
#
# The cache directory is keyed by a hash of go.mod, go.sum, this script and the
# Go version, so a second run with nothing changed does nothing. Prints the
# directory on stdout as its last line.
set -euo pipefail
cd "$(dirname "$0")"

K8S_VERSION=v1.36.3
KWOK_VERSION=v0.8.0
key=$( (cat go.mod go.sum build.sh; go version) | sha256sum | cut -c1-16)
root=${KUBELAB_BIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubelab/bin}
dir=$root/$K8S_VERSION-$key

if [[ -f $dir/.complete ]]; then
  echo "cluster binaries up to date in $dir" >&2
  echo "$dir"
  exit 0
fi

start=$(date +%s)
tmp=$dir.tmp.$$
rm -rf "$tmp"; mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT

cv=k8s.io/component-base/version
gv=k8s.io/client-go/pkg/version
ldflags="-s -w"
for p in $cv $gv; do
  ldflags+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=36"
  ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
done
ldflags+=" -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION"

echo "building cluster binaries into $dir (cold: ~15 min on 2 cores)" >&2
go build -trimpath -ldflags "$ldflags" -o "$tmp/" \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler \
  k8s.io/kubernetes/cmd/kubectl \
  k8s.io/kubernetes/cmd/kubelet \
  k8s.io/kubernetes/cmd/kube-proxy \
  go.etcd.io/etcd/server/v3 \
  sigs.k8s.io/kwok/cmd/kwok
# The etcd main package lives at the module root, so go names it "server".
mv "$tmp/server" "$tmp/etcd"

# kwok exits "no stages found" without stage configs: node fast + heartbeat,
# and the general pod lifecycle.
kwokdir=$(go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
for f in "$kwokdir"/kustomize/stage/node/fast/*.yaml \
         "$kwokdir"/kustomize/stage/node/heartbeat/*.yaml \
         "$kwokdir"/kustomize/stage/pod/general/pod-*.yaml; do
  case $(basename "$f") in kustomization.yaml) continue ;; esac
  echo "---"; cat "$f"
done > "$tmp/kwok-stages.yaml"

rm -rf "$dir"; mv "$tmp" "$dir"; trap - EXIT
touch "$dir/.complete"
echo "built in $(( $(date +%s) - start ))s" >&2
echo "$dir"
