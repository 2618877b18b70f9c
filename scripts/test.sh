#!/usr/bin/env bash
# Install everything and run the whole test suite (what CI runs).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k metrics`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_python.sh
bash scripts/install.sh dev
export QT_QPA_PLATFORM=offscreen
exec "$PYTHON" -m pytest "$@"
