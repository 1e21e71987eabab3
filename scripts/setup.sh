#!/usr/bin/env bash
# Sets up everything Sori needs in this checkout, and does nothing that is already done:
#   .venv/          the Python virtualenv with Sori installed (editable) and its pinned dependencies
#   node_modules/   libsodium.js from the npm registry, exactly as package-lock.json pins it, and
#                   node_modules/.sori/libsodium.js, the cut-down build of it that pages load
#                   (scripts/build-sodium.mjs; generated, never committed)
#   translations    the compiled Korean and English catalogues
#   *.br, *.gz      compressed copies of the static and vendor files (core/precompressed.py)
# On a fresh Debian it installs the Debian packages it needs (as root, or through sudo): the build tools of
# the Python dependencies (BUILD_PACKAGES below) and the Korean font dossier PDFs embed.
# With --test it also installs what the test suite drives: Debian's Chromium (for Playwright) and
# PostgreSQL (the suite runs against a throwaway cluster as well as SQLite).
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

say() { printf '\033[1msori setup:\033[0m %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

python=${PYTHON:-python3}
command -v "$python" >/dev/null || die "Python 3.11 or newer is needed (python3 not found)"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "Python 3.11 or newer is needed"
command -v npm >/dev/null || die "Node.js and npm are needed (npm not found)"

# Debian packages, installed only when missing; as root directly, otherwise through sudo.
apt_install() {
    local missing=()
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    ((${#missing[@]})) || return 0
    local sudo=""
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || die "please install these Debian packages as root: ${missing[*]}"
        sudo="sudo"
    fi
    say "installing Debian packages: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

stamp_of() { cat "$@" | sha256sum | cut -c1-64; }

# What the Python dependencies need to build on a fresh Debian: followthemoney needs PyICU (through
# normality), which has no wheels and compiles against ICU with a C++ compiler; the Python headers come
# with python3-dev unless this Python carries its own (python3-venv, for the virtualenv, just below).
BUILD_PACKAGES=(libicu-dev pkg-config g++)
"$python" -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
    || BUILD_PACKAGES+=(python3-dev)

if [[ ! -x .venv/bin/python ]]; then
    "$python" -c 'import ensurepip' 2>/dev/null || apt_install python3-venv
    say "creating the virtualenv in .venv"
    "$python" -m venv .venv
fi
py_stamp=$(stamp_of pyproject.toml)
if [[ "$(cat .venv/.sori-installed 2>/dev/null)" != "$py_stamp" ]]; then
    apt_install "${BUILD_PACKAGES[@]}"
    say "installing Python dependencies"
    .venv/bin/python -m pip install -q --upgrade pip
    # Editable, so that the checkout is what runs. The card's layout puts Sori's packages at the top of
    # the checkout, which setuptools' editable mode reports on every install ("folders ... with the same
    # name as your package"); that is the intended layout, so the notice is silenced, nothing else.
    PYTHONWARNINGS="ignore:Editable installation" .venv/bin/python -m pip install -q -e '.[test]'
    echo "$py_stamp" > .venv/.sori-installed
fi

js_stamp=$(stamp_of package.json package-lock.json)
if [[ "$(cat node_modules/.sori-installed 2>/dev/null)" != "$js_stamp" ]]; then
    say "installing libsodium.js from the npm registry"
    npm ci --no-audit --no-fund --loglevel=error
    echo "$js_stamp" > node_modules/.sori-installed
fi

# Rebuilt whenever the packages or the build script change; `npm ci` removes it with node_modules.
sodium_stamp=$(stamp_of package-lock.json scripts/build-sodium.mjs)
if [[ "$(cat node_modules/.sori/built 2>/dev/null)" != "$sodium_stamp" || ! -f node_modules/.sori/libsodium.js ]]; then
    say "building the browser's libsodium.js (node_modules/.sori/libsodium.js)"
    node scripts/build-sodium.mjs node_modules
    echo "$sodium_stamp" > node_modules/.sori/built
fi

# Brotli and gzip copies of every static and vendor file, sent to browsers that accept them (sori serve and
# nginx alike); made only where missing or older than the file.
.venv/bin/python -m core.assets node_modules >/dev/null

.venv/bin/pybabel -q compile -d translations 2>/dev/null || .venv/bin/pybabel compile -d translations >/dev/null

# Dossier PDFs embed a Korean font from Debian's fonts-nanum (reviewer/exports/pdf.py).
apt_install fonts-nanum
if ((want_test)); then
    # poppler-utils: the tests read exported PDFs with pdftotext and pdffonts.
    # libimage-exiftool-perl: the tests write metadata into attachments and check that none is left.
    apt_install chromium postgresql nginx libnginx-mod-http-brotli-static poppler-utils libimage-exiftool-perl
fi
