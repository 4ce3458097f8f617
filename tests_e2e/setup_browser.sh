#!/bin/sh
# Installs what the browser tests (tests_e2e/) need on a Debian machine:
#   - Chromium from Debian (apt-get), used headless by Playwright; Playwright
#     never downloads a browser of its own here,
#   - npm (apt-get), only to fetch axe-core,
#   - axe-core into tests_e2e/.cache/node_modules/axe-core/axe.min.js,
#   - the Playwright Python package into the project's venv (.venv),
#   - pdftoppm (apt-get: poppler-utils), to render every PDF to PNG (test_pdfs.py).
# Each step is skipped when its result is already there, so running this
# before every `make test-e2e` costs almost nothing.
# Exits 3 with a message when something is missing and cannot be installed.
#
# Environment: VENV (default: <project>/.venv), LMS_E2E_CHROMIUM (default:
# /usr/bin/chromium), AXE_CORE_VERSION (default: 4).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
PROJECT=$(dirname "$HERE")
VENV=${VENV:-$PROJECT/.venv}
CHROMIUM=${LMS_E2E_CHROMIUM:-/usr/bin/chromium}
CACHE=$HERE/.cache
AXE=$CACHE/node_modules/axe-core/axe.min.js
AXE_CORE_VERSION=${AXE_CORE_VERSION:-4}

fail() {
    echo "setup_browser.sh: $*" >&2
    echo "setup_browser.sh: the browser tests cannot run on this machine until that is fixed." >&2
    exit 3
}

as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        return 1
    fi
}

APT_UPDATED=
apt_install() {
    # apt_install WHAT PACKAGE...
    what=$1
    shift
    command -v apt-get >/dev/null 2>&1 \
        || fail "$what is missing and there is no apt-get to install it. Install $what (Debian package: $*) by hand."
    if [ -z "$APT_UPDATED" ]; then
        echo "setup_browser.sh: apt-get update"
        as_root apt-get update -qq \
            || fail "apt-get update failed (are you root, or is sudo available?). Install $* by hand."
        APT_UPDATED=1
    fi
    echo "setup_browser.sh: apt-get install $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" \
        || fail "apt-get install $* failed (are you root, or is sudo available?). Install $* by hand."
}

# 1. Chromium from Debian.
if [ ! -x "$CHROMIUM" ]; then
    [ "$CHROMIUM" = /usr/bin/chromium ] \
        || fail "LMS_E2E_CHROMIUM=$CHROMIUM is not an executable file."
    apt_install Chromium chromium
    [ -x "$CHROMIUM" ] || fail "apt-get installed chromium, but $CHROMIUM does not exist."
fi

# 2. axe-core from the npm registry (npm itself from Debian if needed).
if [ ! -f "$AXE" ]; then
    if ! command -v npm >/dev/null 2>&1; then
        apt_install npm npm
    fi
    mkdir -p "$CACHE"
    # Nothing in the cache belongs in git.
    printf '*\n' > "$CACHE/.gitignore"
    echo "setup_browser.sh: npm install axe-core@$AXE_CORE_VERSION into $CACHE"
    npm install --prefix "$CACHE" --no-audit --no-fund --no-save --loglevel=error "axe-core@$AXE_CORE_VERSION" \
        || fail "npm install axe-core failed (no access to the npm registry?)."
    [ -f "$AXE" ] || fail "npm ran, but $AXE does not exist."
fi

# 3. Playwright (the Python package only) into the project's venv.
[ -x "$VENV/bin/python" ] \
    || fail "no virtualenv at $VENV. Run 'make test' first (it creates the venv with the dev dependencies)."
if ! "$VENV/bin/python" -c "import playwright.sync_api" >/dev/null 2>&1; then
    echo "setup_browser.sh: pip install playwright into $VENV"
    "$VENV/bin/python" -m pip install --quiet "playwright>=1.40,<2" \
        || fail "pip install playwright failed (no access to the package index?)."
fi

# 4. pdftoppm from Debian's poppler-utils.
if ! command -v pdftoppm >/dev/null 2>&1; then
    apt_install pdftoppm poppler-utils
    command -v pdftoppm >/dev/null 2>&1 || fail "apt-get installed poppler-utils, but there is no pdftoppm."
fi

echo "setup_browser.sh: ready (chromium: $CHROMIUM, axe-core: $AXE, venv: $VENV, pdftoppm: $(command -v pdftoppm))"
