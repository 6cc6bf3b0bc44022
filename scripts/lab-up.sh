#!/usr/bin/env bash
# The README's first command: install what is needed, build, bring the lab up and print the
# verification. Arguments go to `lvslab up` (default lab: labs/seed.yaml).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec node dist/daemon/cli/main.js up "$@"
