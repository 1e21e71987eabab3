#!/usr/bin/env bash
# Sets up everything Sori needs in this checkout, and does nothing that is already done:
#   .venv/          the Python virtualenv with Sori installed (editable) and its pinned dependencies
#   node_modules/   libsodium.js from the npm registry, exactly as package-lock.json pins it, and
#                   node_modules/.sori/libsodium.js, the cut-down build of it that pages load
#                   (scripts/build-sodium.mjs; generated, never committed)
#   translations    the compiled Korean and English catalogues
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

if [[ ! -x .venv/bin/python ]]; then
    say "creating the virtualenv in .venv"
    "$python" -m venv .venv
fi
py_stamp=$(stamp_of pyproject.toml)
if [[ "$(cat .venv/.sori-installed 2>/dev/null)" != "$py_stamp" ]]; then
    say "installing Python dependencies"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e '.[test]'
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

.venv/bin/pybabel -q compile -d translations 2>/dev/null || .venv/bin/pybabel compile -d translations >/dev/null

# Dossier PDFs embed a Korean font from Debian's fonts-nanum (reviewer/exports/pdf.py).
apt_install fonts-nanum
if ((want_test)); then
    # poppler-utils: the tests read exported PDFs with pdftotext and pdffonts.
    # libimage-exiftool-perl: the tests write metadata into attachments and check that none is left.
    apt_install chromium postgresql nginx poppler-utils libimage-exiftool-perl
fi
