#!/usr/bin/env bash
# Prints the catalog's target names as a JSON array, for a CI matrix (one bench shard each):
# the list comes from targets.toml, so a new target gets its shard without editing CI.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 - <<'PY'
import json, tomllib
with open("targets.toml", "rb") as f:
    print(json.dumps([t["name"] for t in tomllib.load(f)["targets"]]))
PY
