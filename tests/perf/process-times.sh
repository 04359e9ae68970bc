#!/usr/bin/env bash
# Whole-process times a command-line or Python user feels, side by side in one run:
#   fit      forgetpredict fit of an 85 x 141,816 synthetic matrix (mf, rank 5)  vs  numpy's plain biased ALS, rank 5,
#            10 sweeps (tests/perf/numpy_als.py), both reading the same .npy
#   predict  forgetpredict predict against that model from 30 measured cells
# Targets: fit process at most 1/3 of numpy's, predict process at most 0.4 s.
# Usage: tests/perf/process-times.sh [RUNS]  (default 5: each run, then the medians; wall and CPU time per process).
# The engine is $FORGETPREDICT (a command line), else forgetpredict on PATH (make install), else the repo's Release build.
set -euo pipefail
exec "${PYTHON:-/usr/bin/python3}" "$(dirname "$0")/process_times.py" "$@"
