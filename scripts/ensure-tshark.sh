#!/bin/sh
# Makes sure tshark (with text2pcap and mergecap) is installed; a no-op when it already is.
# Installs non-interactively on Debian/Ubuntu: the wireshark-common debconf question
# ("should non-superusers be able to capture packets?") is answered in advance, so apt never prompts.
set -eu

if command -v tshark >/dev/null 2>&1 && command -v text2pcap >/dev/null 2>&1 && command -v mergecap >/dev/null 2>&1; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-tshark: tshark is missing and apt-get is not available; install Wireshark's tshark by hand." >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo -n"
  else
    echo "ensure-tshark: tshark is missing; run this script as root (or install sudo) to install it." >&2
    exit 1
  fi
fi

echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends tshark >/dev/null
command -v tshark >/dev/null 2>&1
