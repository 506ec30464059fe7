#!/bin/sh
# Installs Debian's mosquitto (the MQTT broker the scale-out test starts on 127.0.0.1) when it is
# missing (CI runs as root). The test runs the binary with a config file of its own; the package's
# system service is not used.
set -eu
if [ -x /usr/sbin/mosquitto ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "mosquitto is missing and installing it needs root: sudo $0" >&2
    exit 1
fi
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mosquitto
