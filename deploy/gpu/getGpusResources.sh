#!/usr/bin/env bash
# Spark GPU discovery script: prints the GPUs of this node as Spark's ResourceInformation JSON, e.g.
#   {"name": "gpu", "addresses": ["0", "1"]}
# Install it at the same path on every GPU node and point spark.executor.resource.gpu.discoveryScript (and, on a
# standalone cluster, spark.worker.resource.gpu.discoveryScript) at it. Needs nvidia-smi (the NVIDIA driver).
set -euo pipefail
if ! command -v nvidia-smi > /dev/null; then
  echo "getGpusResources.sh: nvidia-smi not found: this node has no NVIDIA driver" >&2
  exit 1
fi
addresses=$(nvidia-smi --query-gpu=index --format=csv,noheader | sed -e 's/^ *//' -e 's/.*/"&"/' | paste -sd, -)
echo "{\"name\": \"gpu\", \"addresses\": [$addresses]}"
