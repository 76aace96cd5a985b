#!/usr/bin/env bash
# Install everything, then run the whole test suite: unit and integration tests (among them
# the learners who type nothing or make the classic mistakes, tests/test_learner_paths.py,
# and the browser test), then every notebook under nbval in solutions mode, where each
# exercise gets its reference and the hidden test cells assert every claim.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh
python3 -m pytest tests "$@"
IAMLAB_SOLUTIONS=1 python3 -m pytest notebooks \
  --nbval-lax --nbval-current-env "$@"  # bounds: tests/waits.py, via conftest.py
