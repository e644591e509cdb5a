# Shared by the scripts in this folder: repo root, the Python environment, small helpers.
# shellcheck shell=bash
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# A virtualenv made by install-deps (only where pip may not install system-wide) comes first.
if [ -x "$REPO/.venv/bin/python" ]; then
    export PATH="$REPO/.venv/bin:$PATH"
fi
export PATH="$PATH:/usr/local/go/bin"

step() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else die "this step needs root: $*"
    fi
}
