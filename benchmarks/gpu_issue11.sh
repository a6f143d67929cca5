#!/usr/bin/env bash
# Issue 11 on a lent GPU machine, in one go: the GPU test (on the host and in the Docker-default
# simulation), every solved notebook graded on cuda through its Gradescope zip in both tiers,
# every check with a cuda budget calibrated through the sandbox (SKIP_CHECKS="..." leaves some
# out), and a class with training checks graded on the GPU against the CPU. docs/gpu.md has
# the results.
#
#   bash benchmarks/gpu_issue11.sh                  # on the GPU machine, from the repo root
#   DEVICE=cpu SEEDS=5 MISTAKE_SEEDS=1 WORKERS=2 PYTHON=.venv/bin/python \
#       bash benchmarks/gpu_issue11.sh              # the same steps on a CPU, in minutes
#
# The machine has no network and no copy of this package installed (it runs from PYTHONPATH=.).
# Its image has torch, numpy, pandas, matplotlib, pyyaml, typer, rich, tqdm and pytest; what it
# lacks travels as wheels in .whl/ (carry it): pydantic, pydantic-core, annotated-types,
# typing-inspection, nbformat, fastjsonschema, jsonschema, jsonschema-specifications,
# referencing, rpds-py, jupyter-core, traitlets, platformdirs, pyseccomp, and libseccomp2 as a
# .deb for the container tier. otter-grader, nbclient and ipykernel are not needed to grade or
# calibrate. The course data travels in $DATA_FROM (default .gpudata/, carry it): prepared data
# is used as it is, raw data is prepared first.
#
# Everything runs under one hard budget ($BUDGET s, 530 by default: the device tool's 600 s
# limit less the margin to rerun nothing). The GPU test and the grading run in the background
# (apart uid ranges) while the calibrations, the longest and most wanted part, run in front;
# what each step printed is in $OUT as soon as it has printed it.
#
# Out ($OUT, default ./gpu-out): gpu_issue11.log (everything), pytest_gpu.log, grade.log and
# calibration-<device>.tgz (calibration/<device>/ with every JSON, report and histogram).
set -uo pipefail
cd "$(dirname "$0")/.."
START=$SECONDS
BUDGET=${BUDGET:-530}
RESERVE=20 # seconds kept for packing the results
DEVICE=${DEVICE:-cuda}
SEEDS=${SEEDS:-50}
MISTAKE_SEEDS=${MISTAKE_SEEDS:-3}
WORKERS=${WORKERS:-12}
DATA_FROM=${DATA_FROM:-.gpudata}
PY=${PYTHON:-python3}
OUT=${OUT:-$PWD/gpu-out}
mkdir -p "$OUT"
LOG=$OUT/gpu_issue11.log
exec > >(tee -a "$LOG") 2>&1
export PYTHONUNBUFFERED=1
SCRATCH=$(mktemp -d /tmp/gpu-issue11-XXXX)
chmod 700 "$SCRATCH"

elapsed() { echo $((SECONDS - START)); }
step() { echo; echo "=== [$(elapsed) s] $*"; }
# capped CAP CMD...: CMD under `timeout`, at most CAP s and never past the budget's reserve.
capped() {
    local cap=$1 left=$((BUDGET - RESERVE - (SECONDS - START)))
    shift
    ((left < cap)) && cap=$left
    if ((cap < 15)); then echo "skipped, no time left: $*"; return 124; fi
    timeout -k 10 "$cap" "$@"
}

step "setup: packages, data, the machine"
if ! $PY -c "import pydantic, nbformat, yaml, typer, rich, pandas, matplotlib" 2>/dev/null; then
    # world-readable, unlike $SCRATCH: the container tier's uid imports from it too
    $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/gpu-issue11-site .whl/*.whl || exit 1
    export PYTHONPATH=$PWD:/tmp/gpu-issue11-site
else
    export PYTHONPATH=$PWD
fi
if ! $PY -c "import ctypes.util, sys; sys.exit(not ctypes.util.find_library('seccomp'))"; then
    ls .whl/libseccomp2_*.deb >/dev/null 2>&1 && dpkg -x .whl/libseccomp2_*.deb / && ldconfig
fi
CLI=("$PY" -m autograder.cli)
export RNN_GRADER_DATA=$SCRATCH/data
if "${CLI[@]}" data check "$DATA_FROM" >/dev/null 2>&1; then
    cp -r "$DATA_FROM" "$RNN_GRADER_DATA"
else
    "${CLI[@]}" data prepare --from "$DATA_FROM" --to "$RNN_GRADER_DATA" || exit 1
fi
chmod -R go-rwx "$RNN_GRADER_DATA"
"${CLI[@]}" data check "$RNN_GRADER_DATA" || exit 1
command -v nvidia-smi >/dev/null &&
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
$PY -c "import torch, sys; print('python', sys.version.split()[0], 'torch', torch.__version__, \
'cuda', torch.version.cuda, torch.cuda.get_device_name(0) if torch.cuda.is_available() else '-')"
echo "cores $(nproc), $(uname -r), $(id -un); device $DEVICE, $SEEDS seeds, $MISTAKE_SEEDS per \
mistake, $WORKERS workers, budget $BUDGET s"
# The checks to calibrate: those with a cuda budget, the cheapest first (seconds per run in the
# calibration in force), so that a budget cut short still brings whole calibrations back.
CHECKS=$($PY - <<'EOF'
import json, os
from pathlib import Path
from autograder.config import Course
course = Course(Path("grader.yaml"))
checks = [e for a in course.config.assignments.values() for e, x in a.exercises.items()
          if x.training is not None and "cuda" in x.training.budgets]
def cost(check):
    path = Path("calibration/cuda") / f"{check}.json"
    return json.loads(path.read_text())["reference"]["train_seconds_mean"] if path.exists() else 1e9
skip = set(os.environ.get("SKIP_CHECKS", "").split())
print(" ".join(sorted((c for c in checks if c not in skip), key=cost)))
EOF
)
echo "checks to calibrate: $CHECKS"
# Calibration and grading each work in a copy of the course with a uid range of its own
# (grader.yaml's 61000 is left to the tests' preflights): no step meets another's sandbox uid
# (the container tier kills a uid's every process after each child), and grading never reads
# a half-written calibration. On the GPU machine the calibrations are copied into the checkout
# at the end; a CPU dry run leaves the committed calibration/cpu as it is.
copy_course() { # copy_course FOLDER UID_BASE
    mkdir -p "$1" && cp -r grader.yaml assignments solutions calibration "$1"/ && chmod 700 "$1"
    sed -i "s/uid_base: 61000/uid_base: $2/" "$1/grader.yaml"
    grep -q "uid_base: $2" "$1/grader.yaml" || { echo "no uid_base: 61000 in grader.yaml"; exit 1; }
}
COURSE=$SCRATCH/course
copy_course "$COURSE" 61400
copy_course "$SCRATCH/grading" 61200

step "1. (background) tests/test_training.py -k gpu: CUDA in a confined child, both tiers"
{
    capped 200 $PY -m pytest -q -p no:cacheprovider tests/test_training.py -k gpu -rA
    echo "--- the same in the Docker-default simulation (namespaces refused): container tier"
    capped 120 $PY tests/dockersim_exec.py -- $PY -m pytest -q -p no:cacheprovider \
        tests/test_training.py -k "gpu and container" -rA
} >"$OUT/pytest_gpu.log" 2>&1 &
PYTEST=$!

step "2. (background) every solved notebook through its Gradescope zip on $DEVICE, both tiers"
capped 360 $PY -m benchmarks.gpu_grade --device "$DEVICE" --json "$OUT/grade.json" \
    >"$OUT/grade.log" 2>&1 &
GRADE=$!

step "3. calibrate $CHECKS on $DEVICE through the sandbox: $SEEDS seeds, $MISTAKE_SEEDS per mistake"
calibrate() { # calibrate WORKERS CHECK...: one process, so the preflights run once
    local workers=$1
    shift
    local args=()
    for check in "$@"; do args+=(--exercise "$check"); done
    # COLUMNS: rich must not wrap the error lines the retry below looks for
    capped 100000 env COLUMNS=1000 "${CLI[@]}" calibrate --config "$COURSE/grader.yaml" \
        "${args[@]}" --device "$DEVICE" --seeds "$SEEDS" --mistake-seeds "$MISTAKE_SEEDS" \
        --through-sandbox --workers "$workers" 2>&1 | tee "$SCRATCH/calibrate.log"
}
# shellcheck disable=SC2086
calibrate "$WORKERS" $CHECKS
# A reference run cut off by its time budget means too many workers for this machine: once,
# those checks again with half as many.
RETRY=$(for check in $CHECKS; do
    grep -q "^error: $check: .*stopped before its budget" "$SCRATCH/calibrate.log" && echo "$check"
done)
if [ -n "$RETRY" ]; then
    step "3b. again with $((WORKERS / 2)) workers: $RETRY"
    # shellcheck disable=SC2086
    calibrate $((WORKERS / 2 > 0 ? WORKERS / 2 : 1)) $RETRY
fi

step "4. the calibrations"
$PY - "$COURSE" "$DEVICE" $CHECKS <<'EOF'
import json, sys
from pathlib import Path
folder = Path(sys.argv[1]) / "calibration" / sys.argv[2]
for check in sys.argv[3:]:
    path = folder / f"{check}.json"
    found = json.loads(path.read_text()) if path.exists() else {}
    if found.get("through") != "sandbox":
        failed = (folder / f"{check}.failed.md").exists()
        print(f"{check:18} not calibrated through the sandbox" + (" (see .failed.md)" * failed))
        continue
    ref = found["reference"]
    print(f"{check:18} {found['status']} threshold {found['threshold']:.4g}: {ref['n']} seeds, "
          f"mean {ref['mean']:.4g} sd {ref['sd']:.2g}, "
          f"false-fail {found['false_fail_estimate']:.2g}"
          f"; {ref['train_seconds_mean']:.2f} s training, {ref['wall_seconds_mean']:.2f} s per run"
          f" ({found['workers']} workers, {found['tier']}, {found['device_name']})")
    for mistake in found["mistakes"]:
        best = ", ".join("-" if v is None else f"{v:.4g}" for v in mistake["best"])
        print(f"{'':20}{mistake['name']}: {best}: {mistake['verdict']}")
EOF

step "5. a class with training checks, GPU against CPU (if time is left)"
capped 150 $PY -m benchmarks.gpu_batch --students 16 --workers 8 --devices "$DEVICE" cpu

step "6. waiting for the background steps"
wait "$PYTEST"; echo "pytest exit $?"
wait "$GRADE"; echo "grading exit $?"
echo "--- pytest_gpu.log"; tail -25 "$OUT/pytest_gpu.log"
echo "--- grade.log"; cat "$OUT/grade.log"
tar -czf "$OUT/calibration-$DEVICE.tgz" -C "$COURSE" "calibration/$DEVICE"
[ "$DEVICE" = cuda ] && cp -r "$COURSE/calibration/cuda/." calibration/cuda/
step "done in $(elapsed) s; $OUT: $(cd "$OUT" && echo *)"
rm -rf "$SCRATCH"
