#!/bin/sh
# Installs the Debian packages the tests drive (tshark for the dissector, chromium for the editor),
# each only when missing, so `npm test` passes on a fresh machine with nothing installed by hand.
set -eu
here=$(dirname "$0")
sh "$here/ensure-tshark.sh"
sh "$here/ensure-chromium.sh"
