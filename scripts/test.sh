#!/usr/bin/env bash
# Install everything, then run the whole test suite: unit and integration tests,
# every notebook twice in a row under nbval, and the browser test.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh
exec python3 -m pytest tests notebooks notebooks \
  --keep-duplicates --nbval-lax --nbval-current-env --nbval-cell-timeout=900 "$@"
