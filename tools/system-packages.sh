#!/usr/bin/env bash
# The Debian packages the tests drive for real, installed when missing (`make test` runs this;
# so does CI through .ci/run). Without root it only says what is missing: those tests then
# fail under CI=true and are skipped, with the reason, on a developer's machine.
set -euo pipefail

need_apt=()
# Headless browser for the waiting-hall board and citizen page tests (Playwright drives it).
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
# PostgreSQL binaries: the portal tests start their own private cluster with them.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
# Vietnamese text-to-speech: the hub renders the waiting hall's voice clips with it.
command -v espeak-ng >/dev/null || need_apt+=(espeak-ng)
# LibreOffice Calc: the Mẫu 07 XLSX is opened by it headless (tests/test_exports_sheetml.py).
command -v soffice >/dev/null || need_apt+=(libreoffice-calc-nogui)

if ((${#need_apt[@]} == 0)); then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "system packages missing (install them as root): ${need_apt[*]}" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
