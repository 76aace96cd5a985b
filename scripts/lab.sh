#!/usr/bin/env bash
# Install the course, start the local AWS sandbox, and open JupyterLab on the first notebook.
set -euo pipefail
cd "$(dirname "$0")/.."
IAMLAB_SKIP_BROWSER=1 ./scripts/install.sh
python3 -m iamlab sandbox start
extra=()
[ "$(id -u)" -eq 0 ] && extra+=(--allow-root)  # containers and Binder-like images often run as root
exec python3 -m jupyter lab notebooks/00-start-here.ipynb "${extra[@]}" "$@"
