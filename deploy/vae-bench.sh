#!/usr/bin/env bash
# The benchmark: this pipeline and the PyTorch reference (../shared/bench/torch_vae.py, or $TORCH_VAE) side by
# side, in one run, on the same cores and data, alternately. Writes OUTPUT_DIR/report.json and report.md.
# Usage: deploy/vae-bench.sh OUTPUT_DIR [--quick]     (build first: mvn -q package -DskipTests)
#   --quick  5 epochs on the bundled sample only, one run of each (a smoke run, under 3 minutes on 2 cores)
#   full     20-epoch runs on the bundled sample (twice each, alternating; the reference at Adam 1e-3 and 3e-3),
#            one worker against the reference with one thread, workers scaling (1 and 2), DL4J's
#            layer against the fused step, and the
#            70,000-image Fashion-MNIST set (prepare, train 3 epochs on 60,000, generate) as separate jobs
# Environment: TORCH_PYTHON (default .venv-torch/bin/python, else python3 if it imports torch),
#              FASHION_MNIST (default /usr/share/datasets/fashion-mnist), BENCH_THREADS (default: nproc).
# Installs nothing: README, "Benchmark", says what gives the reference and the 70k data set.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: deploy/vae-bench.sh OUTPUT_DIR [--quick]}
quick=false
[ "${2:-}" = "--quick" ] && quick=true
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "$out"/ours-* "$out"/torch-* "$out"/jobs.tsv "$out"/report.* "$out"/gemm.json
threads=${BENCH_THREADS:-$(nproc)}
torch_script=${TORCH_VAE:-$root/../shared/bench/torch_vae.py}
fashion=${FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
sample=$root/data-prep/sample
vae() { "$root/deploy/vae-local.sh" "$@"; }

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# Runs a command with its output in $out/NAME.log, sampling its peak resident memory (VmHWM of the process and
# its children) while it runs; appends "NAME wall_seconds peak_mb" to jobs.tsv.
job() {
  local name=$1; shift
  local start peak=0 pid kb
  start=$(date +%s.%N)
  "$@" > "$out/$name.log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    for p in $pid $(pgrep -P "$pid" 2>/dev/null || true); do
      kb=$(awk '/VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
      [ "${kb:-0}" -gt "$peak" ] && peak=$kb
    done
    sleep 0.2
  done
  if ! wait "$pid"; then
    log "$name FAILED; last lines of $out/$name.log:"; tail -n 20 "$out/$name.log"; exit 1
  fi
  awk -v n="$name" -v s="$start" -v e="$(date +%s.%N)" -v p="$peak" 'BEGIN { printf "%s\t%.2f\t%.0f\n", n, e - s, p / 1024 }' >> "$out/jobs.tsv"
  log "$name done ($(tail -n 1 "$out/jobs.tsv" | cut -f2) s, peak $(tail -n 1 "$out/jobs.tsv" | cut -f3) MB)"
}

# --- the reference -----------------------------------------------------------------------------------------
torch_python=${TORCH_PYTHON:-$root/.venv-torch/bin/python}
if ! "$torch_python" -c 'import torch' 2>/dev/null; then
  torch_python=python3
fi
if [ -f "$torch_script" ] && "$torch_python" -c 'import torch, numpy' 2>/dev/null; then
  printf 'torch_version=%s\ntorch_threads=%s\ntorch_python=%s\n' \
    "$("$torch_python" -c 'import torch; print(torch.__version__)')" "$threads" "$torch_python" > "$out/torch.properties"
  have_torch=true
else
  printf 'torch_reason=PyTorch is not installed (python3 -m venv .venv-torch && .venv-torch/bin/pip install torch numpy) or %s is missing\n' \
    "$torch_script" > "$out/torch.properties"
  have_torch=false
fi
# NAME EPOCHS TRAIN_IMAGES TEST_IMAGES [LEARNING_RATE [THREADS]]: the reference at Adam 1e-3 (the script's own
# rate) or, through deploy/bench/torch_at_lr.py, at another rate.
torch_run() {
  $have_torch || return 0
  local rate=${5:-1e-3} n=${6:-$threads}
  local run=("$torch_python" "$root/deploy/bench/torch_at_lr.py" "$rate" "$torch_script")
  [ "$rate" = 1e-3 ] && run=("$torch_python" "$torch_script")
  job "$1" "${run[@]}" --images "$3" --test-images "$4" --epochs "$2" --threads "$n"
}

# --- the machine -------------------------------------------------------------------------------------------
{
  echo "cores=$(nproc)"
  echo "cpu_model=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "cpu_family=$(awk -F': ' '/cpu family/ {print $2; exit}' /proc/cpuinfo)"
  echo "cpu_simd=$(grep -m1 -o -w -E 'avx|avx2|fma|avx512f|avx512bw|avx512dq|avx512vl|avx512cd|avx512_bf16' /proc/cpuinfo | sort -u | tr '\n' ' ')"
  echo "openblas_coretype_inherited=${OPENBLAS_CORETYPE:-unset}"
  echo "java=$(java -version 2>&1 | head -n 1)"
  echo "git_commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "spark_master=local[$threads]"
  [ -f "$fashion/train-images-idx3-ubyte.gz" ] || echo "fashion_mnist_reason=Fashion-MNIST not found at $fashion (apt-get install dataset-fashion-mnist)"
  $quick && echo "fashion_mnist_reason=--quick runs the bundled sample only"
} > "$out/machine.properties"
log "machine: $(grep cpu_model "$out/machine.properties" | cut -d= -f2), $threads cores; reference: $(head -n 1 "$out/torch.properties")"

log "GEMM probe ($threads concurrent single-threaded callers)"
VAE_MAIN=org.vaespark.bench.GemmProbe vae "$threads" 3 2>/dev/null | grep gemm_gflops > "$out/gemm.json"
sed -n 's/.*"openblas_kernel": "\([^"]*\)".*/openblas_kernel=\1/p' "$out/gemm.json" >> "$out/machine.properties"

# --- bundled sample, ours and the reference alternately ----------------------------------------------------
epochs=20; runs=2
$quick && { epochs=5; runs=1; }
common=(--input "$sample" --overwrite --set "vae.spark.master=local[$threads]" --set vae.training.checkpoint.interval=0)
for run in $(seq 1 $runs); do
  log "bundled sample, run $run of $runs: ours ($epochs epochs)"
  job "ours-bundled-$run" vae pipeline "${common[@]}" --output "$out/ours-bundled-$run" --set "vae.training.epochs=$epochs"
  log "bundled sample, run $run of $runs: PyTorch ($epochs epochs, Adam 1e-3 and 3e-3)"
  torch_run "torch-bundled-$run" "$epochs" "$sample/train-images-idx3-ubyte.gz" "$sample/t10k-images-idx3-ubyte.gz"
  torch_run "torch-bundled-lr3e-3-$run" "$epochs" "$sample/train-images-idx3-ubyte.gz" \
    "$sample/t10k-images-idx3-ubyte.gz" 3e-3
done

# One worker against the reference with one thread (same cores free, same epochs).
pair_epochs=6
$quick && pair_epochs=5
log "per core: ours with 1 worker, then PyTorch with 1 thread ($pair_epochs epochs each)"
job ours-workers-1 vae train "${common[@]}" --output "$out/ours-workers-1" \
  --set "vae.paths.dataset=$out/ours-bundled-1/dataset" --set vae.training.epochs=$pair_epochs --set vae.training.workers=1
torch_run torch-one-thread "$pair_epochs" "$sample/train-images-idx3-ubyte.gz" "$sample/t10k-images-idx3-ubyte.gz" 1e-3 1
grep -h "native build" "$out/ours-bundled-1.log" | head -n 1 | sed 's/^.*native build: /native_build=/' >> "$out/machine.properties" || true

if ! $quick; then
  log "workers scaling: 2 workers, $pair_epochs epochs (1 worker ran above)"
  job ours-workers-2 vae train "${common[@]}" --output "$out/ours-workers-2" \
    --set "vae.paths.dataset=$out/ours-bundled-1/dataset" --set vae.training.epochs=$pair_epochs --set vae.training.workers=2
  log "DL4J's own VAE layer instead of the fused step (vae.training.step=dl4j), 4 epochs"
  job ours-dl4j-step vae train "${common[@]}" --output "$out/ours-dl4j-step" \
    --set "vae.paths.dataset=$out/ours-bundled-1/dataset" --set vae.training.epochs=4 --set vae.training.step=dl4j
  if [ -f "$fashion/train-images-idx3-ubyte.gz" ]; then
    f70=(--input "$fashion" --output "$out/ours-70k" --overwrite --set "vae.spark.master=local[$threads]")
    log "Fashion-MNIST 70k: prepare"
    job ours-70k-prepare vae prepare "${f70[@]}"
    log "Fashion-MNIST 70k: train 3 epochs on 60,000"
    job ours-70k-train vae train "${f70[@]}" --set vae.training.epochs=3 --set vae.training.checkpoint.interval=0
    log "Fashion-MNIST 70k: generate"
    job ours-70k-generate vae generate "${f70[@]}"
    log "Fashion-MNIST 70k: PyTorch 3 epochs"
    torch_run torch-70k 3 "$fashion/train-images-idx3-ubyte.gz" "$fashion/t10k-images-idx3-ubyte.gz"
  fi
fi

VAE_MAIN=org.vaespark.bench.BenchReport vae "$out" 2>/dev/null | grep '^report:'
cat "$out/report.md"
