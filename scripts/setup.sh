#!/usr/bin/env bash
# Set up everything giftreview needs on a fresh Debian/Ubuntu machine with Python >= 3.11:
#   - system packages (Chromium for PDF printing and browser tests, poppler-utils for pdftotext/pdffonts,
#     fonts with the glyphs the report uses) via apt-get, when missing;
#   - a virtual environment in .venv with giftreview and its test dependencies.
# Safe to run again: it only installs what is missing. Set GIFTREVIEW_SKIP_APT=1 to skip apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
# An empty SOURCE_DATE_EPOCH breaks wheel builds; treat it as unset.
[ -n "${SOURCE_DATE_EPOCH:-}" ] || unset SOURCE_DATE_EPOCH
APT_PACKAGES=(chromium poppler-utils qpdf fonts-dejavu-core fonts-noto-core fonts-noto-color-emoji)

need_apt=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$pkg")
done
command -v chromium >/dev/null 2>&1 || [[ " ${need_apt[*]} " == *" chromium "* ]] || need_apt+=(chromium)

if [ ${#need_apt[@]} -gt 0 ] && [ "${GIFTREVIEW_SKIP_APT:-0}" != "1" ]; then
  SUDO=""
  if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      echo "setup: cannot install ${need_apt[*]} (not root, no sudo)."
      echo "       Ask an administrator for: apt-get install ${APT_PACKAGES[*]}"
      echo "       HTML reports still work without Chromium: giftreview run --formats html"
    fi
  fi
  if [ "$(id -u)" = "0" ] || [ -n "$SUDO" ]; then
    echo "setup: installing system packages: ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  fi
fi

if [ ! -x .venv/bin/python ]; then
  "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "giftreview needs Python >= 3.11")'
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev,lab]'
touch .venv/.giftreview-installed
echo "setup: done ($(.venv/bin/python --version), giftreview $(.venv/bin/python -c 'import giftreview; print(giftreview.__version__)'))"
