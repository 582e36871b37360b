#!/usr/bin/env bash
# Time the SGNS trainer on a GPU against gensim on the same machine's CPU.
#
# Run it from a checkout on a machine whose python3 has JAX for CUDA, optax,
# numpy, scipy and scikit-learn. benchmarks/prepare_gpu_bench.py writes the
# git-ignored .gpu/ folder, which must be copied along. Nothing is downloaded.
# Results go to $OUT when it is set, else to benchmarks/results/.
# PLATFORM=cpu and EPOCHS=1 make a quick rehearsal on a machine without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."

out="${OUT:-benchmarks/results}"
platform="${PLATFORM:-gpu}"
epochs="${EPOCHS:-1 5}"
mkdir -p "$out"
site="$(mktemp -d)"
python3 -m pip install --quiet --no-index --no-deps --no-compile \
  --no-cache-dir --target "$site" .gpu/wheels/*.whl
export PYTHONPATH="$PWD:$site${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true
python3 -c 'import jax; print("jax", jax.__version__, jax.devices())'

python3 -m embedsent.cli -v --no-progress bench sgns \
  --tokens .gpu/tokens.txt.gz --platform "$platform" \
  --bench-epochs $epochs --repeats 1 --gensim-workers 2 16 \
  --json "$out/bench-sgns-$platform.json" 2>&1 | tee "$out/bench-sgns-$platform.log"
