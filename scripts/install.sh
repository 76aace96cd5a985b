#!/usr/bin/env bash
# Install everything the course and its tests need, on a fresh Debian/Ubuntu machine
# or a learner's laptop. Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: graphviz (diagrams), skopeo (registry client for the pull checks),
# chromium (the browser test). Installed only where apt exists and they are missing.
missing=()
command -v dot >/dev/null || missing+=(graphviz)
command -v skopeo >/dev/null || missing+=(skopeo)
if [ "${IAMLAB_SKIP_BROWSER:-}" != "1" ]; then
  command -v chromium >/dev/null || missing+=(chromium)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "Installing system packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "Please install these with your package manager: ${missing[*]}" >&2
  fi
fi

if ! command -v terraform >/dev/null; then
  echo "Terraform is not installed: see https://developer.hashicorp.com/terraform/install" >&2
  echo "(python -m iamlab doctor explains what else the course needs.)" >&2
fi

python3 -m pip install --quiet --disable-pip-version-check -r requirements.txt

# The classroom test runs a real JupyterHub, whose proxy comes from npm.
if ! command -v configurable-http-proxy >/dev/null; then
  if command -v npm >/dev/null; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO npm install --global --silent configurable-http-proxy@5.3.0
  else
    echo "configurable-http-proxy (npm) is missing: the JupyterHub classroom test needs it." >&2
  fi
fi
# Keep notebook outputs out of commits (harmless outside a git checkout).
git rev-parse --git-dir >/dev/null 2>&1 && python3 -m nbstripout --install --attributes .gitattributes || true
# The differential test's independent oracle (@cloud-copilot/iam-simulate), pinned by its lock file.
if command -v npm >/dev/null; then
  (cd tests/oracle && npm ci --no-audit --no-fund --silent) || echo "npm ci in tests/oracle failed: the differential test installs it itself" >&2
else
  echo "node/npm are missing: the differential test (tests/test_policy_differential.py) needs them" >&2
fi
