#!/usr/bin/env bash
# The script a lecturer would otherwise write to grade a class by hand: for
# each student's namespace (one per line on stdin), fetch what kubelab's
# checks look at with kubectl. It only fetches; judging the JSON and reading
# the images would come on top.
#
#   KUBECONFIG=... bench/baseline.sh < namespaces.txt
#
# BASELINE_MODE=per-kind (default): one kubectl call per kind, as written by
# hand:  kubectl get deployment -n NS -o json; ... pods; services;
# endpointslices; events.
# BASELINE_MODE=one-call: one kubectl call per student for all five kinds.
# KUBECTL names the kubectl binary (default: kubectl on PATH).
set -euo pipefail
kubectl=${KUBECTL:-kubectl}
mode=${BASELINE_MODE:-per-kind}
out=${BASELINE_OUT:-/dev/null}
while IFS= read -r ns; do
  [[ -z $ns ]] && continue
  case $mode in
    per-kind)
      for kind in deployment pods services endpointslices events; do
        "$kubectl" get "$kind" -n "$ns" -o json >>"$out"
      done
      ;;
    one-call)
      "$kubectl" get deployment,pods,services,endpointslices,events -n "$ns" -o json >>"$out"
      ;;
    *)
      echo "BASELINE_MODE=$mode: use per-kind or one-call" >&2
      exit 2
      ;;
  esac
done
