#!/usr/bin/env bash
# Set up the project's .venv and Graphviz `dot` on a bare Debian (python3, pip, make).
# Every step is idempotent; make wraps calls in stamp files so re-runs are instant.
#
#   scripts/setup.sh venv            create .venv (with pip >= 21.3)
#   scripts/setup.sh install EXTRA   venv + `pip install -e .[EXTRA]`
#   scripts/setup.sh dot             make a Graphviz program available: the system's `dot` (apt, as
#                                    root, with a Korean font), else graphviz-pure in .venv
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
PYTHON=${PYTHON:-python3}             # interpreter used to create the venv
export DEBIAN_FRONTEND=noninteractive # CI has no stdin: never let apt prompt
export PIP_NO_INPUT=1

log() { echo "setup: $*" >&2; }
is_root() { [ "$(id -u)" -eq 0 ]; }

apt_install() {
    # Try with the current package lists first; refresh them only if that fails.
    # (Recommends kept: for graphviz they bring fonts-liberation2, Times-compatible metrics.)
    apt-get install -y "$@" || { apt-get update && apt-get install -y "$@"; }
}

make_venv() {
    # A failed `python3 -m venv` (no ensurepip) leaves a half-made dir behind: remove it.
    "$PYTHON" -m venv "$VENV" && return 0
    rm -rf "$VENV"
    if is_root; then
        log "python3 -m venv failed; installing python3-venv (Debian splits it out)"
        apt_install python3-venv && "$PYTHON" -m venv "$VENV" && return 0
        rm -rf "$VENV"
    fi
    # Non-root (or apt failed): virtualenv ships its own pip, so it needs no ensurepip.
    # --break-system-packages is needed on Debian 12 (PEP 668); older pips lack the flag.
    log "falling back to virtualenv"
    "$PYTHON" -m pip install --user --break-system-packages virtualenv ||
        "$PYTHON" -m pip install --user virtualenv
    "$PYTHON" -m virtualenv "$VENV"
}

ensure_venv() {
    if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
        rm -rf "$VENV"
        log "creating $VENV"
        make_venv
    fi
    # Editable installs from pyproject.toml (PEP 660) need pip >= 21.3; upgrade only if older.
    if ! "$VENV/bin/python" - <<'EOF'
import sys
from pip import __version__ as v
sys.exit(0 if tuple(int(x) for x in v.split(".")[:2]) >= (21, 3) else 1)
EOF
    then
        log "upgrading pip in $VENV"
        "$VENV/bin/python" -m pip install -q --upgrade "pip>=21.3"
    fi
}

install_project() {
    ensure_venv
    local spec=.
    [ -n "${1:-}" ] && spec=".[$1]"
    log "pip install -e '$spec'"
    "$VENV/bin/python" -m pip install -q -e "$spec"
}

ensure_dot() {
    if command -v dot >/dev/null 2>&1; then
        :
    elif is_root && { apt_install graphviz || true; } && command -v dot >/dev/null 2>&1; then
        log "installed Graphviz from apt"
    elif [ -x "$VENV/bin/graphviz-pure" ]; then
        :
    else
        # No root (or apt failed): graphviz-pure is a static Rust port of dot on PyPI. It installs
        # a program named `graphviz-pure` (never `dot`); circuitgrad.viz finds it beside the venv's
        # python by itself, so nothing needs linking or activating.
        ensure_venv
        log "no dot and no root: installing graphviz-pure into $VENV (SVG and PNG; no PDF)"
        "$VENV/bin/python" -m pip install -q graphviz-pure
    fi
    ensure_korean_font
    if command -v dot >/dev/null 2>&1; then dot -V; else "$VENV/bin/graphviz-pure" -V; fi
}

ensure_korean_font() {
    # Learners label values in Korean; without a font with Hangul, Graphviz's PNGs and matplotlib
    # draw boxes. fonts-nanum is small (about 20 MB). Without root there is no font to install
    # (SVG keeps the text; viz says so when it writes such a PNG).
    if command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=ko family 2>/dev/null)" ]; then
        return 0
    fi
    if is_root; then
        log "installing a Korean font (fonts-nanum) for Korean labels"
        apt_install fonts-nanum || log "could not install fonts-nanum: Korean text in PNGs will show as boxes"
    else
        log "no Korean font and no root: Korean labels show as boxes in PNGs (SVGs keep them)"
    fi
}

case "${1:-}" in
    venv) ensure_venv ;;
    install) install_project "${2:-}" ;;
    dot) ensure_dot ;;
    *) echo "usage: $0 venv | install [EXTRA] | dot" >&2; exit 2 ;;
esac
