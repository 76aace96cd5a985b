#!/usr/bin/env bash
# Install the course, start the local AWS sandbox, and open JupyterLab on the first notebook
# (served from the repository root: see scripts/jupyterlab.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
IAMLAB_SKIP_BROWSER=1 ./scripts/install.sh
python3 -m iamlab sandbox start
exec ./scripts/jupyterlab.sh "$@"
