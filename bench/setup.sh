#!/usr/bin/env bash
# Creates the benchmark environment from the repo's files: bench/.venv (the project + cfn-guard-rs,
# matplotlib, moto), bench/.venv-checkov (checkov), bench/node_modules (cfn-guard CLI binary).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
PYTHON="${PYTHON:-python3}"
if [ ! -f "$here/.venv/.installed" ] || [ "$here/requirements.txt" -nt "$here/.venv/.installed" ] \
   || [ "$root/pyproject.toml" -nt "$here/.venv/.installed" ]; then
  "$PYTHON" -m venv "$here/.venv"
  "$here/.venv/bin/pip" install --quiet --upgrade pip
  "$here/.venv/bin/pip" install --quiet -r "$here/requirements.txt" "$root[cli]"
  touch "$here/.venv/.installed"
fi
if [ ! -f "$here/.venv-checkov/.installed" ] || [ "$here/requirements-checkov.txt" -nt "$here/.venv-checkov/.installed" ]; then
  "$PYTHON" -m venv "$here/.venv-checkov"
  "$here/.venv-checkov/bin/pip" install --quiet --upgrade pip
  "$here/.venv-checkov/bin/pip" install --quiet -r "$here/requirements-checkov.txt"
  touch "$here/.venv-checkov/.installed"
fi
if [ ! -x "$here/node_modules/@cdklabs/cdk-validator-cfnguard/bin/ubuntu/x86_64/cfn-guard" ]; then
  (cd "$here" && npm install --no-audit --no-fund --ignore-scripts --legacy-peer-deps --omit=peer --no-package-lock >/dev/null)
  chmod +x "$here"/node_modules/@cdklabs/cdk-validator-cfnguard/bin/ubuntu/*/cfn-guard
fi
