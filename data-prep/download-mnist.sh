#!/usr/bin/env bash
# Downloads the full official MNIST (60,000 train / 10,000 test) in IDX form and checks each file's MD5
# (the checksums torchvision publishes). Needs internet access.
# Usage: data-prep/download-mnist.sh [output dir] [base URL]
set -euo pipefail
out=${1:-mnist-full}
base=${2:-${MNIST_MIRROR:-https://ossci-datasets.s3.amazonaws.com/mnist}}
mkdir -p "$out"
declare -A md5=(
  [train-images-idx3-ubyte.gz]=f68b3c2dcbeaaa9fbdd348bbdeb94873
  [train-labels-idx1-ubyte.gz]=d53e105ee54ea40749a09fcbcd1e9432
  [t10k-images-idx3-ubyte.gz]=9fb629c4189551a2d022fa330f9573f3
  [t10k-labels-idx1-ubyte.gz]=ec29112dd5afa0611ce80d1b7f02629c
)
for f in "${!md5[@]}"; do
  if [ ! -f "$out/$f" ]; then
    curl --fail --location --silent --show-error -o "$out/$f.part" "$base/$f"
    mv "$out/$f.part" "$out/$f"
  fi
  echo "${md5[$f]}  $out/$f" | md5sum --check --quiet || { echo "checksum mismatch for $out/$f: delete it and retry" >&2; exit 1; }
done
echo "MNIST ready in $out: run 'prepare --input $out'"
