#!/usr/bin/env bash
# JupyterLab as the course serves it, for scripts/lab.sh and the browser test alike.
# The repository root is the server's root, so the notebooks' figures (../images/),
# the readings (lessons/) and your working copy (workspace/tf/) are all reachable;
# the first notebook opens by URL (LabApp.default_url: JupyterLab overrides
# ServerApp.default_url with its own /lab). Extra arguments go to JupyterLab.
set -euo pipefail
cd "$(dirname "$0")/.."
# workspace/ beside the notebooks leads to your working copy wherever IAMLAB_HOME puts it (a symlink);
# a folder of its own already named workspace/ is left alone, and the message says what to do.
python3 -m iamlab link-workspace --folder "$PWD" || echo "(workspace/ does not lead to your working copy: see above)" >&2
extra=()
[ "$(id -u)" -eq 0 ] && extra+=(--allow-root)  # containers and Binder-like images often run as root
exec python3 -m jupyter lab --ServerApp.root_dir="$PWD" \
  --LabApp.default_url=/lab/tree/notebooks/00-start-here.ipynb "${extra[@]}" "$@"
