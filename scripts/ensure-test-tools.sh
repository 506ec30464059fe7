#!/bin/sh
# Installs the Debian packages the tests drive (tshark for the dissector, chromium for the editor,
# mosquitto for the scale-out test over MQTT), each only when missing, so `npm test` passes on a fresh machine with nothing installed by hand.
set -eu
here=$(dirname "$0")
sh "$here/ensure-tshark.sh"
sh "$here/ensure-chromium.sh"
sh "$here/ensure-mosquitto.sh"
