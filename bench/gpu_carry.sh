#!/usr/bin/env bash
# Prepare what bench/gpu_check.sh needs on a GPU machine that has PyTorch and transformers but no network,
# no bitsandbytes and no demo-judge package: run it HERE (with network), once, from the repository root.
#
#   bash bench/gpu_carry.sh            # writes .gpu-carry/ (git-ignored, ~17 MB)
#
# .gpu-carry/wheels/     bitsandbytes (one py3-none wheel serves every CPython 3.x), with only the CPU and
#                        CUDA 12.8 / 13.x kernels kept, so the working tree stays under the device's 64 MiB upload
#                        limit (FULL_WHEEL=1 keeps all of them: 43 MB).
# .gpu-carry/tokenizer/  the demo judge's tokenizer (SmolLM2), saved as plain files: the random-weight models
#                        there use it, and the tests find it through $JUDGE_STUDIO_TOKENIZER.
# .gpu-carry/api-wheels/ what bench/api_check.sh needs there (issue 13: serve-api workers on PostgreSQL on
#                        16 cores): the REST stack's packages that machine lacks, at this venv's versions, and
#                        the pgserver wheel for its PostgreSQL 16 binaries (no package manager reaches there).
# Model weights never travel: gpu_check.sh builds random-weight models on the GPU from a config.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
CARRY=${GPU_CARRY:-.gpu-carry}
BNB_VERSION=${BNB_VERSION:-0.50.2}
rm -rf "$CARRY" && mkdir -p "$CARRY/wheels" "$CARRY/tokenizer" "$CARRY/api-wheels"

"$PY" -m pip download --quiet --no-deps --only-binary=:all: --implementation cp --python-version 3.12 \
  --platform manylinux_2_24_x86_64 --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 \
  -d "$CARRY/wheels" "bitsandbytes==$BNB_VERSION"

if [ "${FULL_WHEEL:-0}" != 1 ]; then
  # Drop the ROCm, XPU and older-CUDA kernels (and their RECORD lines); the wheel stays installable with pip.
  "$PY" - "$CARRY"/wheels/bitsandbytes-*.whl <<'EOF'
import re, sys, zipfile
from pathlib import Path

path = Path(sys.argv[1])
keep = re.compile(r"libbitsandbytes_(cpu|cuda12[89]|cuda13\d)\.so$")
slim = path.with_suffix(".slim")
with zipfile.ZipFile(path) as src, zipfile.ZipFile(slim, "w", zipfile.ZIP_DEFLATED) as dst:
    dropped = {i.filename for i in src.infolist() if "libbitsandbytes_" in i.filename and not keep.search(i.filename)}
    for info in src.infolist():
        if info.filename in dropped:
            continue
        data = src.read(info.filename)
        if info.filename.endswith(".dist-info/RECORD"):
            lines = [ln for ln in data.decode().splitlines() if ln.split(",")[0] not in dropped]
            data = ("\n".join(lines) + "\n").encode()
        dst.writestr(info, data)
slim.replace(path)
print(f"{path.name}: dropped {len(dropped)} kernel libraries")
EOF
fi

"$PY" - "$CARRY/tokenizer" <<'EOF'
import os, sys
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, os.getcwd())
from judge_runtime.loading import DEMO_MODEL, load_tokenizer

load_tokenizer(DEMO_MODEL).save_pretrained(sys.argv[1])
EOF

# The REST stack (bench/api_workers.py, serve-api) at this venv's versions, minus what the GPU image has
# (/work/.library/device/KINDS.md lists it), for CPython 3.12 there.
API_PACKAGES="Mako SQLAlchemy alembic annotated-types fastapi krippendorff opentelemetry-api orjson psycopg
  psycopg-binary pydantic pydantic_core python-multipart pytz starlette typing-inspection uvicorn"
# shellcheck disable=SC2086
PINS=$("$PY" -c 'import sys, importlib.metadata as m; print(" ".join(f"{d}=={m.version(d)}" for d in sys.argv[1:]))' \
  $API_PACKAGES)
# shellcheck disable=SC2086
"$PY" -m pip download --quiet --no-deps --only-binary=:all: --implementation cp --python-version 3.12 \
  --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 \
  -d "$CARRY/api-wheels" $PINS "pgserver==${PGSERVER_VERSION:-0.1.4}"

du -sh "$CARRY"/* && git check-ignore -q "$CARRY" || echo "warning: $CARRY is not git-ignored: it would be committed"
echo "tree that travels: $(git ls-files -co --exclude-standard | xargs -d '\n' du -cb 2>/dev/null | tail -1 | cut -f1) bytes + $(du -sb "$CARRY" | cut -f1) carried (limit 67108864)"
