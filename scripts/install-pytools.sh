#!/usr/bin/env bash
# Python packages the tests use as independent checkers (never the product): the `gguf`
# reader from PyPI. Installed into $XDG_CACHE_HOME/quantty/pylib, outside the repository.
set -euo pipefail
dir=${XDG_CACHE_HOME:-$HOME/.cache}/quantty/pylib
if ! PYTHONPATH="$dir" python3 -c "import gguf" 2>/dev/null; then
  echo "installing the gguf Python package into $dir (test oracle)..." >&2
  python3 -m pip install -q --disable-pip-version-check --target "$dir" gguf >/dev/null 2>&1 ||
    python3 -m pip install -q --disable-pip-version-check --break-system-packages --target "$dir" gguf >/dev/null
fi
