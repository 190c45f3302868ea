#!/usr/bin/env bash
# Regenerates README.md's parameter table from the registry (between the PARAMS markers).
set -euo pipefail
cd "$(dirname "$0")/.."
table=$(build/tools/sipring --list-params)
python3 - "$table" <<'PY'
import re, sys
table = sys.argv[1].strip()
readme = open("README.md").read()
block = "<!-- PARAMS:BEGIN (tools/update-readme-params.sh) -->\n" + table + "\n<!-- PARAMS:END -->"
if "PARAMS_TABLE" in readme:
    readme = readme.replace("PARAMS_TABLE", block)
else:
    readme = re.sub(r"<!-- PARAMS:BEGIN.*?<!-- PARAMS:END -->", lambda m: block, readme, flags=re.S)
open("README.md", "w").write(readme)
PY
