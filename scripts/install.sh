#!/usr/bin/env bash
# Install irstlabel and its dependencies into the chosen Python (scripts/_python.sh: an active
# virtual environment, ./.venv, or python3 unless it refuses pip, in which case ./.venv is made).
# torch first, pinned to the CPU wheel that this kind of machine has on disk, so that resolving
# the project's torch range never pulls a multi-GB CUDA build.
# Set IRSTLABEL_TORCH to install another torch (e.g. "torch==2.13.0+cu128").
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_python.sh
extras=${1:-}
if ! "$PYTHON" -c "import torch" >/dev/null 2>&1; then
    "$PYTHON" -m pip install --quiet "${IRSTLABEL_TORCH:-torch==2.13.0}"
fi
# "fast": OpenVINO, the default CPU prediction path (eager PyTorch is the fallback without it)
"$PYTHON" -m pip install --quiet -e ".[fast${extras:+,$extras}]"
if [ "$extras" = "dev" ]; then
    # Test-only cross-check of the legacy metrics. Its metadata pins numpy<2, which it does not
    # need; --no-deps keeps pip from downgrading numpy for it.
    "$PYTHON" -m pip install --quiet --no-deps "pyirstdmetrics==1.0.2"
fi
# the starter model's OpenVINO form (~20 s once), so the app's first prediction takes seconds, not ~20 s
"$PYTHON" -c "from irstlabel.model.openvino_backend import convert_starter; print('irstlabel:', convert_starter())" >&2 \
    || echo "irstlabel: the starter model could not be converted now; the first prediction will do it" >&2
echo "irstlabel: installed into $("$PYTHON" -c 'import sys; print(sys.prefix)')" >&2
