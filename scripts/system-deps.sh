#!/usr/bin/env bash
# Installs the system packages casevault needs when they are missing; `system-deps.sh test`
# adds those only the tests need. As root it uses apt-get; otherwise it names the packages and stops.
set -euo pipefail

packages=(
  tesseract-ocr tesseract-ocr-eng
  poppler-utils  # pdftotext, for the text layer tests
  fonts-dejavu-core  # the subject access bundle's text pages, in every European script
)
if [ "${1:-}" = test ]; then
  packages+=(chromium chromium-driver)  # the web pages' tests drive a real browser
fi
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
# node and npm build the web pages' assets; a node from elsewhere that brings its own npm will do.
command -v npm >/dev/null || missing+=(nodejs npm)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "casevault needs these system packages: ${missing[*]}" >&2
  echo "Install them with:  sudo apt-get install -y ${missing[*]}   and run make again." >&2
  exit 1
fi
echo "Installing ${missing[*]} ..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
