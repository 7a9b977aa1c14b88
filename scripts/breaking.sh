#!/usr/bin/env bash
# buf breaking against a git ref (default main). The google/api and google/rpc protos come from
# node_modules, which git does not hold, so both sides are built into images beside the installed
# google-proto-files and the images are compared.
set -euo pipefail
ref="${1:-main}"
root="$(cd "$(dirname "$0")/.." && pwd)"
buf="$root/node_modules/.bin/buf"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if ! git -C "$root" cat-file -e "$ref:proto" 2>/dev/null; then
  echo "buf breaking: $ref has no proto/ yet; nothing to compare" >&2
  exit 0
fi
mkdir "$tmp/ref"
git -C "$root" archive "$ref" proto buf.yaml | tar -x -C "$tmp/ref"
ln -s "$root/node_modules" "$tmp/ref/node_modules"
(cd "$tmp/ref" && "$buf" build --path proto/signet -o "$tmp/against.binpb")
(cd "$root" && "$buf" build --path proto/signet -o "$tmp/current.binpb")
"$buf" breaking "$tmp/current.binpb" --against "$tmp/against.binpb" --config "$root/buf.yaml"
echo "buf breaking: no breaking change against $ref"
