#!/usr/bin/env bash
# Executes notebooks/explore_outputs.ipynb headless against a small pipeline run (2 epochs on the bundled sample)
# and a score of its dataset,
# and exits non-zero if any cell fails. Needs the jar (mvn package) and Jupyter with pandas and matplotlib
# (notebooks/README.md); pyarrow, which Debian does not package, is installed beside the build if missing.
# Writes target/notebook/: the run's outputs and the executed notebook.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$root/target/notebook
nbconvert=$(command -v jupyter-nbconvert || true)
if [ -z "$nbconvert" ]; then
  echo "error: jupyter-nbconvert not found: apt-get install -y jupyter-nbconvert python3-nbclient python3-ipykernel python3-pandas python3-matplotlib" >&2
  exit 2
fi
kernel_python=/usr/bin/python3
if ! "$kernel_python" -c 'import pyarrow' 2>/dev/null; then
  site=$root/target/notebook-site
  if [ ! -d "$site/pyarrow" ]; then
    version=$("$kernel_python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    echo "installing pyarrow for Python $version into $site"
    python3 -m pip install -q --no-deps --only-binary=:all: --python-version "$version" --target "$site" pyarrow
  fi
  export PYTHONPATH=$site${PYTHONPATH:+:$PYTHONPATH}
fi
rm -rf "$work/output" "$work/explore_outputs.ipynb"
mkdir -p "$work"
echo "pipeline on the bundled sample (2 epochs) into $work/output"
"$root/deploy/vae-local.sh" pipeline --config "$root/conf/local.conf" --output "$work/output" --overwrite \
  --set vae.training.epochs=2 --set vae.training.checkpoint.interval=0 > "$work/pipeline.log" 2>&1 \
  || { tail -n 30 "$work/pipeline.log"; exit 1; }
echo "score of the dataset's two splits into $work/output/scored"
"$root/deploy/vae-local.sh" score --output "$work/output" --set vae.score.source=dataset \
  --model "$work/output/model" > "$work/score.log" 2>&1 || { tail -n 30 "$work/score.log"; exit 1; }
echo "executing notebooks/explore_outputs.ipynb"
cd "$root/notebooks"
VAE_OUTPUT=$work/output MPLBACKEND=Agg "$nbconvert" --to notebook --execute explore_outputs.ipynb \
  --output-dir "$work" --ExecutePreprocessor.timeout=600
echo "every cell ran; the executed notebook is $work/explore_outputs.ipynb"
