#!/bin/sh
# Installs what consultgw needs to build, run and test, from Debian 12's
# packages and (for the browser tests) the npm registry. Idempotent and quiet
# when everything is already there. Usage: tools/install-deps.sh [build|test]
set -eu
want="${1:-test}"
cd "$(dirname "$0")/.."

build_pkgs="build-essential cmake pkg-config libglib2.0-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-nice libnice-dev libsrtp2-dev libssl-dev openssl
  libwebsockets-dev libwebsockets-evlib-glib libconfig-dev libjansson-dev
  libsqlite3-dev libsystemd-dev curl ca-certificates"
test_pkgs="chromium iproute2 coturn clang-format"

pkgs="$build_pkgs"
[ "$want" = test ] && pkgs="$pkgs $test_pkgs"

missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
# node/npm may come from outside Debian on some machines; only add them if absent.
if [ "$want" = test ] && ! command -v npm >/dev/null 2>&1; then
    missing="$missing nodejs npm"
fi

if [ -n "$missing" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "install-deps: missing packages:$missing (run as root to install them)" >&2
        exit 1
    fi
    echo "install-deps: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ "$want" = test ] && [ -f tests/e2e/package.json ] &&
    [ ! -d tests/e2e/node_modules/playwright-core ]; then
    echo "install-deps: installing browser test packages (npm)"
    (cd tests/e2e && npm ci --no-audit --no-fund --silent >/dev/null 2>&1 ||
        npm install --no-audit --no-fund --silent >/dev/null)
fi
