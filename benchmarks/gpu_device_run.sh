#!/usr/bin/env bash
# The GPU checks of issue 11, as one script for a lent GPU machine (docs/gpu.md has the results).
#
#   bash benchmarks/gpu_device_run.sh         # from the repository root, as root
#
# The machine has no network: pure-Python packages it lacks travel as wheels in .whl/ (and
# libseccomp as a .deb), the prepared course data in .gpudata/. Everything it writes goes to
# $OUT (or ./gpu-out): one log and a tarball of calibration/cuda. Steps run most important
# first, each with its own time limit, so that a short lease still brings back the first ones.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/gpu-out}
mkdir -p "$OUT"
LOG=$OUT/gpu.log
exec > >(tee -a "$LOG") 2>&1
export PYTHONUNBUFFERED=1
step() { echo; echo "=== $(date +%T) $*"; }
# STEPS="1 3" runs only those numbered steps (setup always runs).
want() { [ -z "${STEPS:-}" ] || [[ " $STEPS " == *" $1 "* ]]; }

step "setup"
if [ -d .whl ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH=$PWD:/tmp/site
fi
if ! python3 -c "import ctypes.util, sys; sys.exit(not ctypes.util.find_library('seccomp'))"; then
    dpkg -x .whl/libseccomp2_*.deb / && ldconfig
fi
chmod -R go-rwx .gpudata
export RNN_GRADER_DATA=$PWD/.gpudata
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
python3 -c "import torch, sys; print('python', sys.version.split()[0], 'torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name(0))"
nproc; uname -r; id

if want 1; then
step "1. the GPU test, both tiers, on the host"
timeout 240 python3 -m pytest -q -p no:cacheprovider tests/test_training.py -k gpu -rA 2>&1 | tail -15
fi
if want 2; then
step "2. the GPU test in the Docker-default simulation (namespaces refused)"
timeout 180 python3 tests/dockersim_exec.py -- python3 -m pytest -q -p no:cacheprovider \
    tests/test_training.py -k "gpu and container" -rA 2>&1 | tail -8
fi
if want 3; then
step "3. every solved notebook through its Gradescope zip, device: cuda, both tiers"
timeout 420 python3 -m benchmarks.gpu_grade --device cuda --json "$OUT/grade-cuda.json"
fi
if want 4; then
step "4. the same on the CPU, namespaces tier (for the comparison)"
timeout 240 python3 -m benchmarks.gpu_grade --device cpu --tiers namespaces \
    --json "$OUT/grade-cpu.json"
fi
if want 5; then
step "5. calibrations on cuda through the sandbox"
if python3 -m autograder.cli calibrate --help 2>/dev/null | grep -q -- "--workers"; then
    for check in $(python3 -c "
from autograder.config import Course
c = Course(__import__('pathlib').Path('grader.yaml'))
print(' '.join(e for a in c.config.assignments.values() for e, x in a.exercises.items()
               if x.training and 'cuda' in x.training.budgets))"); do
        timeout 300 python3 -m autograder.cli calibrate --exercise "$check" --device cuda \
            --seeds "${SEEDS:-50}" --mistake-seeds 3 --workers "${WORKERS:-12}" 2>&1 | tail -6
    done
    tar -czf "$OUT/calibration-cuda.tgz" calibration/cuda
else
    echo "no sandboxed calibration in this checkout: skipped"
fi
fi
if want 6; then
step "6. a class with training checks: GPU against CPU"
timeout 300 python3 -m benchmarks.gpu_batch --students 24 --workers 8
fi

step "done"
