#!/usr/bin/env bash
# The scale benchmark (README, "The scale benchmark"): makes an N-image MNIST-format set by tiling a real one
# (Debian's Fashion-MNIST; copy c of an image shifted by up to 3 pixels and dimmed a little, so that copies
# differ; uncompressed IDX, written record by record by org.vaespark.bench.TiledIdx), then runs prepare, one
# training epoch and generate on it, each as its own job through deploy/vae-local.sh with its default heap, and
# writes OUT/scale-report.json and OUT/scale-report.md: images/s of each job and the peak resident memory of its
# JVM (local mode: the executors run inside the driver's JVM, so this is the driver's and the executors' memory).
# Usage: deploy/vae-scale-bench.sh N OUT     (build first: mvn -q package -DskipTests)
# Environment: SCALE_SOURCE (default /usr/share/datasets/fashion-mnist: apt-get install dataset-fashion-mnist),
#              SCALE_KEEP=1 keeps the tiled set and the outputs (OUT/data, OUT/run; removed otherwise), and
#              whatever deploy/vae-local.sh reads (VAE_HEAP, VAE_OFFHEAP).
set -euo pipefail
# Problems with the script's own input exit 2, like the tool's bad input (README, "Exit codes").
bad_input() { echo "error: $*" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -eq 2 ] || bad_input "usage: deploy/vae-scale-bench.sh N OUT (N images, at least 10)"
n=$1
[[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 10 ] && [ "$n" -le 2147483647 ] \
  || bad_input "N = '$n' is not a number of images in [10, 2147483647]"
source_dir=${SCALE_SOURCE:-/usr/share/datasets/fashion-mnist}
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  [ -f "$source_dir/$f" ] || [ -f "$source_dir/$f.gz" ] \
    || bad_input "$source_dir/$f(.gz) not found: set SCALE_SOURCE to an MNIST-format set, or apt-get install dataset-fashion-mnist"
done
mkdir -p "$2"
out=$(cd "$2" && pwd)
data=$out/data
run=$out/run
rm -rf "$data" "$run" "$out"/scale-*.log "$out"/scale-*.time "$out"/scale-report.* "$out/jobs.tsv"
log() { printf '[scale %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# Runs a command with its output in $out/scale-NAME.log, sampling the peak resident memory (VmHWM) of its process
# and children while it runs (GNU time's exact maximum and the CPU seconds when /usr/bin/time exists); appends
# "NAME exit wall_seconds peak_mb cpu_seconds" to jobs.tsv. CPU seconds show the cost when other work shares the
# machine, which wall time does not.
gnu_time=""
[ -x /usr/bin/time ] && /usr/bin/time -f '%M' true 2>/dev/null && gnu_time=/usr/bin/time
job() {
  local name=$1; shift
  local start peak=0 pid kb code=0 cpu=null
  start=$(date +%s.%N)
  if [ -n "$gnu_time" ]; then
    "$gnu_time" -f '%M %U %S' -o "$out/scale-$name.time" "$@" > "$out/scale-$name.log" 2>&1 &
  else
    "$@" > "$out/scale-$name.log" 2>&1 &
  fi
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    for p in $pid $(pgrep -P "$pid" 2>/dev/null || true); do
      kb=$(awk '/VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
      [ "${kb:-0}" -gt "$peak" ] && peak=$kb
    done
    sleep 0.2
  done
  wait "$pid" || code=$?
  if [ -s "$out/scale-$name.time" ]; then
    read -r kb user sys < <(tail -n 1 "$out/scale-$name.time")
    [ "${kb:-0}" -gt "$peak" ] && peak=$kb
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.1f", u + s }')
  fi
  awk -v n="$name" -v c="$code" -v s="$start" -v e="$(date +%s.%N)" -v p="$peak" -v cpu="$cpu" \
    'BEGIN { printf "%s\t%d\t%.2f\t%.0f\t%s\n", n, c, e - s, p / 1024, cpu }' >> "$out/jobs.tsv"
  log "$name: exit $code, $(tail -n 1 "$out/jobs.tsv" | cut -f3) s ($cpu CPU s), peak resident memory $(tail -n 1 "$out/jobs.tsv" | cut -f4) MB"
  if [ "$code" -ne 0 ]; then
    log "last lines of $out/scale-$name.log:"; tail -n 5 "$out/scale-$name.log"
  fi
  return 0
}

log "tiling $source_dir to $n images in $data"
vae=$root/deploy/vae-local.sh
job tile env VAE_MAIN=org.vaespark.bench.TiledIdx "$vae" "$source_dir" "$n" "$data"
job prepare "$vae" prepare --input "$data" --output "$run" --overwrite
job train "$vae" train --output "$run" --overwrite --set vae.training.epochs=1
job generate "$vae" generate --output "$run" --overwrite

field() { awk -F'\t' -v n="$1" -v c="$2" '$1 == n { print $c }' "$out/jobs.tsv"; }
# images/s as the jobs report them: prepare's summary, the epoch's log line, generate's summary (all images over
# its wall time) and its embeddings' rate.
prepare_rate=$(sed -n 's/.*prepare [0-9]* images in [0-9.]* s (\([0-9]*\) images\/s).*/\1/p' "$out/scale-prepare.log" | tail -n 1)
train_rate=$(sed -n 's/.*Epoch 1 of 1: .*, \([0-9]*\) examples\/s.*/\1/p' "$out/scale-train.log" | tail -n 1)
generate_seconds=$(sed -n 's/.*time  *generate \([0-9.]*\) s, embeddings.*/\1/p' "$out/scale-generate.log" | tail -n 1)
embedding_rate=$(sed -n 's/.*embeddings of [0-9]* examples in [0-9.]* s (\([0-9]*\) examples\/s).*/\1/p' "$out/scale-generate.log" | tail -n 1)
generate_rate=$(awk -v n="$n" -v s="${generate_seconds:-0}" 'BEGIN { if (s > 0) printf "%.0f", n / s }')
num() { [ -n "$1" ] && echo "$1" || echo null; }
data_bytes=$(du -sb "$data" 2>/dev/null | cut -f1 || echo 0)

cat > "$out/scale-report.json" <<EOF
{
  "images": $n,
  "source": "$source_dir",
  "data_bytes": ${data_bytes:-0},
  "machine": {"cores": $(nproc), "memory_gb": $(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo), "cpu": "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"},
  "heap": "${VAE_HEAP:-the default of deploy/vae-local.sh}",
  "load_average_at_end": "$(cut -d' ' -f1-3 /proc/loadavg)",
  "commit": "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)",
  "jobs": {
    "tile": {"exit": $(field tile 2), "seconds": $(field tile 3), "cpu_seconds": $(field tile 5), "peak_rss_mb": $(field tile 4)},
    "prepare": {"exit": $(field prepare 2), "seconds": $(field prepare 3), "cpu_seconds": $(field prepare 5), "peak_rss_mb": $(field prepare 4), "images_per_second": $(num "$prepare_rate")},
    "train_one_epoch": {"exit": $(field train 2), "seconds": $(field train 3), "cpu_seconds": $(field train 5), "peak_rss_mb": $(field train 4), "examples_per_second": $(num "$train_rate")},
    "generate": {"exit": $(field generate 2), "seconds": $(field generate 3), "cpu_seconds": $(field generate 5), "peak_rss_mb": $(field generate 4), "images_per_second": $(num "$generate_rate"), "embedding_examples_per_second": $(num "$embedding_rate")}
  }
}
EOF

{
  echo "# Scale benchmark: $n images"
  echo
  echo "Tiled from \`$source_dir\` ($(awk -v b="${data_bytes:-0}" 'BEGIN { printf "%.2f", b / 1e9 }') GB of uncompressed IDX), $(nproc) cores,"
  echo "heap ${VAE_HEAP:-the default of deploy/vae-local.sh}, commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)."
  echo "Each job is one JVM through \`deploy/vae-local.sh\` (local mode: its executors run inside the driver's JVM);"
  echo "wall time includes its start-up; the rate is the job's own (prepare: its summary, train: the epoch's log line,"
  echo "generate: all images over its time, and its embeddings alone)."
  echo
  echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine slows every figure)."
  echo
  echo "| job | exit | wall s | CPU s | images/s | peak resident memory |"
  echo "| --- | --- | --- | --- | --- | --- |"
  echo "| tile (TiledIdx) | $(field tile 2) | $(field tile 3) | $(field tile 5) | | $(field tile 4) MB |"
  echo "| prepare | $(field prepare 2) | $(field prepare 3) | $(field prepare 5) | ${prepare_rate:-n/a} | $(field prepare 4) MB |"
  echo "| train, one epoch | $(field train 2) | $(field train 3) | $(field train 5) | ${train_rate:-n/a} (examples/s) | $(field train 4) MB |"
  echo "| generate | $(field generate 2) | $(field generate 3) | $(field generate 5) | ${generate_rate:-n/a} (embeddings ${embedding_rate:-n/a}) | $(field generate 4) MB |"
} > "$out/scale-report.md"

if [ "${SCALE_KEEP:-0}" != "1" ]; then
  rm -rf "$data" "$run"
fi
log "report: $out/scale-report.md"
cat "$out/scale-report.md"
