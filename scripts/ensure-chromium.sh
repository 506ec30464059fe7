#!/bin/sh
# Installs Debian's chromium for the browser test when it is missing (CI runs as root).
# The test never downloads a browser of its own: it drives /usr/bin/chromium with playwright-core.
set -eu
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "chromium is missing and installing it needs root: sudo $0" >&2
    exit 1
fi
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
