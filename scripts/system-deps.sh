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
# More speakers for `quietroom evaluate` (speaker re-identification): real recorded voices of
# other asterisk prompt sets, and flite/festival synthetic voices.
for voice in fr_CA_f_June:asterisk-core-sounds-fr-wav it_IT_m_Carlo:asterisk-core-sounds-it-wav \
             ru_RU_f_IvrvoiceRU:asterisk-core-sounds-ru-wav it_IT_f_Menardi:asterisk-prompt-it-menardi-wav; do
  [ -d "/usr/share/asterisk/sounds/${voice%%:*}" ] || missing+=("${voice#*:}")
done
# French: the transcripts of June's prompts (WER of the French listener, `evaluate --locale fr-FR`).
[ -f /usr/share/doc/asterisk-core-sounds-fr/core-sounds-fr.txt.gz ] || missing+=(asterisk-core-sounds-fr)
command -v flite >/dev/null || missing+=(flite)
command -v text2wave >/dev/null || missing+=(festival)
[ -d /usr/share/festival/voices/english/ked_diphone ] || missing+=(festvox-kdlpc16k)
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
