#!/usr/bin/env bash
# Issue 13's last point on a machine with many cores (the GPU machine has 16): do several serve-api workers
# on PostgreSQL turn more cores into more submits/s? Runs bench/api_workers.py with the REST stack and
# PostgreSQL 16 carried as wheels (bash bench/gpu_carry.sh here first), no network, no .venv.
#
#   bash bench/api_check.sh OUTDIR          # writes OUTDIR/api_workers.json and OUTDIR/api_workers.txt
#
# API_ARGS overrides the loads (default below: 64 annotators in 8 client processes on 4 sessions, back to
# back, pinned to 2, 16, 8 and 4 cores with as many workers, and 1 worker on 16 cores for reference; in
# that order, so that a run cut short still has both ends).
set -uo pipefail
OUT=${1:?usage: bash bench/api_check.sh OUTDIR}
cd "$(dirname "$0")/.."
mkdir -p "$OUT"
CARRY=${GPU_CARRY:-.gpu-carry}
PY=${PYTHON:-python3}
SITE=$(mktemp -d -t api-check-site.XXXX)
chmod 755 "$SITE"  # PostgreSQL runs as an unprivileged user (tests/postgres.py) and must reach its binaries
"$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$SITE" "$CARRY"/api-wheels/*.whl \
  || echo "wheel install FAILED" >>"$OUT/api_workers.txt"
export PYTHONPATH="$SITE:$PWD" PYTHONUNBUFFERED=1 JUDGE_STUDIO_PG_BIN="$SITE/pgserver/pginstall/bin"
DEFAULT_ARGS="--annotators 64 --submits 10 --sessions 4 --client-processes 8 --saturation-only --no-lock
  --pairs 2:2,16:16,8:8,4:4,16:1"
# shellcheck disable=SC2086
"$PY" bench/api_workers.py ${API_ARGS:-$DEFAULT_ARGS} --json "$OUT/api_workers.json" >>"$OUT/api_workers.txt" 2>&1
echo "api_workers exit $?" >>"$OUT/api_workers.txt"
grep -v "^ \|^\[\|^{\|^}" "$OUT/api_workers.txt" | tail -20
