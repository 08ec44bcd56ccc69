#!/usr/bin/env bash
# Debian packages QuietRoom needs beyond Python wheels: public recorded speech for the demo and
# test fixtures (asterisk prompts, espeak-ng) and Chromium for the browser tests.
# Installs what is missing when run as root; otherwise prints the command to run.
set -euo pipefail
missing=()
[ -d /usr/share/asterisk/sounds/en ] && [ -f /usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz ] \
  || missing+=(asterisk-core-sounds-en-wav asterisk-core-sounds-en)
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -eq 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "QuietRoom needs these Debian packages: ${missing[*]}" >&2
  echo "run: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
