#!/usr/bin/env bash
# Time the SGNS trainer on a GPU against gensim on the same machine's CPU.
#
# Run it from a checkout on a machine whose python3 has JAX for CUDA, optax,
# numpy, scipy and scikit-learn. benchmarks/prepare_gpu_bench.py writes the
# git-ignored .gpu/ folder, which must be copied along. Nothing is downloaded.
# Results go to $OUT when it is set, else to benchmarks/results/.
# PLATFORM=cpu and EPOCHS=1 make a quick rehearsal on a machine without a GPU.
#
# Before the benchmark, the script checks .gpu/ (token file, manifest and
# wheels) and that python3 has the Python version and machine the wheels
# were downloaded for. It records the GPU, the driver and JAX's devices in
# bench-sgns-$PLATFORM-machine.json and at the top of the log.
set -euo pipefail
cd "$(dirname "$0")/.."

out="${OUT:-benchmarks/results}"
platform="${PLATFORM:-gpu}"
epochs="${EPOCHS:-1 5}"
gpu=.gpu
prepare="benchmarks/prepare_gpu_bench.py"

fail() {
  echo "run_gpu_bench.sh: error: $*" >&2
  exit 1
}

if [ ! -d "$gpu" ]; then
  fail "no $gpu/ folder in $PWD; run $prepare on a machine with the archive" \
    "and the package index, and copy $gpu/ beside the code"
fi
if [ ! -f "$gpu/tokens.txt.gz" ]; then
  fail "$gpu/tokens.txt.gz not found; run $prepare again and copy all of $gpu/"
fi
if [ ! -f "$gpu/manifest.json" ]; then
  fail "$gpu/manifest.json not found, so the wheels cannot be checked against" \
    "python3; run $prepare again (it writes the manifest) and copy all of $gpu/"
fi
command -v python3 >/dev/null || fail "python3 not found on PATH"

# Prints the manifest's wheel Python version, machine and file count, or
# "none none 0" when prepare ran with --no-wheels.
read -r want_python want_machine want_count < <(
  python3 - "$gpu/manifest.json" <<'PY'
import json
import sys

wheels = json.load(open(sys.argv[1], encoding="utf-8")).get("wheels") or {}
print(
    wheels.get("python_version", "none"),
    wheels.get("machine", "none"),
    len(wheels.get("files", [])),
)
PY
) || fail "cannot read $gpu/manifest.json; run $prepare again and copy all of $gpu/"
have_python="$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
have_machine="$(python3 -c 'import platform; print(platform.machine())')"

shopt -s nullglob
wheel_files=("$gpu"/wheels/*.whl)
shopt -u nullglob

site=""
cleanup() {
  if [ -n "$site" ]; then
    rm -rf -- "$site"
  fi
}
trap cleanup EXIT

if [ "$want_count" -eq 0 ]; then
  # After prepare_gpu_bench.py --no-wheels, python3 must have the packages.
  if ! python3 -c 'import gensim, nltk, smart_open, wrapt' 2>/dev/null; then
    fail "$gpu/ has no wheels (prepare ran with --no-wheels), and python3" \
      "($have_python) cannot import gensim, nltk, smart_open and wrapt;" \
      "install them into python3, or run $prepare without --no-wheels" \
      "--python-version $have_python and copy $gpu/ again"
  fi
  echo "no wheels in $gpu/; using the gensim and nltk of python3 ($have_python)"
else
  if [ "${#wheel_files[@]}" -ne "$want_count" ]; then
    fail "$gpu/manifest.json lists $want_count wheels, but $gpu/wheels/ holds" \
      "${#wheel_files[@]}; copy all of $gpu/ again"
  fi
  if [ "$have_python" != "$want_python" ]; then
    fail "the wheels in $gpu/wheels/ are for Python $want_python, but python3" \
      "here is Python $have_python; run $prepare --python-version" \
      "$have_python and copy $gpu/ again, or put a Python $want_python" \
      "first on PATH as python3"
  fi
  if [ "$have_machine" != "$want_machine" ]; then
    fail "the wheels in $gpu/wheels/ are for $want_machine Linux, but this" \
      "machine is $have_machine; install gensim, nltk, smart_open and wrapt" \
      "into python3, and run $prepare with --no-wheels"
  fi
  site="$(mktemp -d)"
  python3 -m pip install --quiet --no-index --no-deps --no-compile \
    --no-cache-dir --target "$site" "${wheel_files[@]}"
fi

export PYTHONPATH="$PWD:$site${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1
mkdir -p "$out"
log="$out/bench-sgns-$platform.log"
machine="$out/bench-sgns-$platform-machine.json"

if command -v nvidia-smi >/dev/null; then
  gpus="$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv \
    2>&1 || true)"
else
  gpus="nvidia-smi not found"
fi

# Writes the machine record and prints it, so the log starts with it.
GPUS="$gpus" JAX_PLATFORMS="$platform" python3 - "$gpu/manifest.json" "$machine" \
  <<'PY' 2>&1 | tee "$log"
import datetime
import json
import os
import platform
import sys

record = {
    "created": datetime.datetime.now(datetime.timezone.utc).isoformat(
        timespec="seconds"
    ),
    "host": platform.node(),
    "python": platform.python_version(),
    "nvidia_smi": os.environ["GPUS"].splitlines(),
    "manifest": json.load(open(sys.argv[1], encoding="utf-8")),
}
try:
    import jax

    record["jax"] = jax.__version__
    record["jax_devices"] = [
        f"{device} ({device.device_kind})" for device in jax.devices()
    ]
except Exception as error:
    # A missing or broken JAX is recorded in the file and does not stop the script.
    record["jax_error"] = f"{type(error).__name__}: {error}"
with open(sys.argv[2], "w", encoding="utf-8") as stream:
    json.dump(record, stream, indent=2)
    stream.write("\n")
print(json.dumps(record, indent=2))
PY

python3 -m embedsent.cli -v --no-progress bench sgns \
  --tokens "$gpu/tokens.txt.gz" --platform "$platform" \
  --bench-epochs $epochs --repeats 1 --gensim-workers 2 16 \
  --json "$out/bench-sgns-$platform.json" 2>&1 | tee -a "$log"
