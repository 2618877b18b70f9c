#!/usr/bin/env bash
# Install everything and open the app (on the generated demo dataset unless a
# dataset folder is given).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec irstlabel "$@"
