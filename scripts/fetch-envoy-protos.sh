#!/usr/bin/env bash
# Re-vendors the subset of Envoy's v3 API protos that the edge's gRPC ext_authz server loads
# (envoy.service.auth.v3 and everything it imports) into proto/envoy-ext-authz/.
#
# Source: the npm package @grpc/grpc-js-xds, which ships envoy-api, xds (udpa), googleapis and
# protoc-gen-validate under deps/ (the registry is the one source a build machine can always reach).
# The same files are in github.com/envoyproxy/data-plane-api, cncf/xds, googleapis/googleapis and
# bufbuild/protoc-gen-validate. Usage: scripts/fetch-envoy-protos.sh [grpc-js-xds version]
set -euo pipefail

VERSION="${1:-1.14.1}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/proto/envoy-ext-authz"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

(cd "$WORK" && npm pack --silent "@grpc/grpc-js-xds@$VERSION" >/dev/null && tar xzf grpc-grpc-js-xds-*.tgz)
DEPS="$WORK/package/deps"
ROOTS=("$DEPS/envoy-api" "$DEPS/xds" "$DEPS/googleapis" "$DEPS/protoc-gen-validate")

find_proto() {
  for root in "${ROOTS[@]}"; do
    if [[ -f "$root/$1" ]]; then echo "$root/$1"; return 0; fi
  done
  # google/protobuf/*.proto ship with protobufjs (proto-loader loads them itself).
  [[ "$1" == google/protobuf/* ]] && return 0
  echo "missing import: $1" >&2
  return 1
}

# The transitive closure of imports, starting from the service.
declare -A SEEN=()
QUEUE=("envoy/service/auth/v3/external_auth.proto")
while ((${#QUEUE[@]} > 0)); do
  file="${QUEUE[0]}"
  QUEUE=("${QUEUE[@]:1}")
  [[ -n "${SEEN[$file]:-}" ]] && continue
  SEEN[$file]=1
  path="$(find_proto "$file")"
  [[ -z "$path" ]] && continue
  mkdir -p "$OUT/$(dirname "$file")"
  cp "$path" "$OUT/$file"
  while read -r imported; do
    QUEUE+=("$imported")
  done < <(tr -d '\r' <"$path" | sed -n 's/^import\( public\)\? "\(.*\)";/\2/p')
done

# Envoy, xds, googleapis and protoc-gen-validate are all Apache-2.0; the package ships no licence file,
# so the licence text comes from @grpc/proto-loader (Apache-2.0, a dependency of this service).
cp "$ROOT/node_modules/@grpc/proto-loader/LICENSE" "$OUT/LICENSE"
cat >"$OUT/VERSION" <<NOTE
Vendored from the npm package @grpc/grpc-js-xds@$VERSION (its deps/ folder: envoy-api, xds,
googleapis, protoc-gen-validate) by scripts/fetch-envoy-protos.sh on $(date -u +%Y-%m-%d).
Only envoy/service/auth/v3/external_auth.proto and its transitive imports are kept. Licence:
Apache-2.0 (LICENSE beside this file), from envoyproxy/data-plane-api, cncf/xds, googleapis/googleapis
and bufbuild/protoc-gen-validate.
NOTE
echo "vendored $(find "$OUT" -name '*.proto' | wc -l) files into $OUT"
