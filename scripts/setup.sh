#!/usr/bin/env bash
# Idempotent fresh-machine set-up: npm dependencies, then a WebGPU adapter (Mesa lavapipe) if none is found; with
# --with-browser (npm test) also Debian's chromium for the demo page's headless test (test/package/web.test.ts).
set -euo pipefail
with_browser=0
for a in "$@"; do
  case "$a" in
    --with-browser) with_browser=1 ;;
    *) echo "[setup] unknown flag: $a (--with-browser)" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"

# 1. npm dependencies (skipped when node_modules matches the lock file)
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[setup] npm ci"
  npm ci --no-audit --no-fund
fi

# 2. A Vulkan driver for Dawn. Debian bookworm's own Mesa 22 is too old; Mesa 25 from bookworm-backports works.
have_vulkan_icd() { ls /usr/share/vulkan/icd.d/*.json >/dev/null 2>&1 && ldconfig -p 2>/dev/null | grep -q libvulkan.so.1; }
mesa_major() { dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | sed -E 's/^([0-9]+:)?([0-9]+).*/\2/'; }
if have_vulkan_icd && [ "$(mesa_major || echo 0)" -ge 23 ] 2>/dev/null; then
  echo "[setup] Vulkan driver present (mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers))"
elif have_vulkan_icd && ! command -v dpkg-query >/dev/null; then
  echo "[setup] Vulkan driver present"
elif [ -f /etc/debian_version ] && [ "$(id -u)" = 0 ] && grep -q bookworm /etc/os-release; then
  src=/etc/apt/sources.list.d/debian.sources
  bp=/etc/apt/sources.list.d/hvar-bookworm-backports.sources
  if [ ! -f "$bp" ]; then
    # Same URIs and keyring as the machine's main Debian suite (never a hard-coded mirror).
    uris=$(awk '/^URIs:/{print $2; exit}' "$src")
    key=$(awk '/^Signed-By:/{print $2; exit}' "$src")
    [ -n "$uris" ] || { echo "[setup] cannot read URIs from $src" >&2; exit 1; }
    printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\n%s\n' "$uris" "${key:+Signed-By: $key}" > "$bp"
    echo "[setup] added bookworm-backports from $src ($uris)"
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
  echo "[setup] installed Mesa lavapipe $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)"
else
  cat >&2 <<MSG
[setup] No Vulkan driver found and this is not a Debian bookworm machine with root, so nothing was installed.
  Install a WebGPU-capable driver yourself, e.g. Mesa >= 23 lavapipe (software Vulkan) and the Vulkan loader:
    Debian/Ubuntu: apt-get install mesa-vulkan-drivers libvulkan1   (Mesa >= 23; on bookworm use -t bookworm-backports)
    Fedora:        dnf install mesa-vulkan-drivers vulkan-loader
  or a GPU vendor's Vulkan driver. Then run 'npx hvar doctor'.
MSG
fi

# 3. A browser for the demo page's test: Debian's chromium, driven by playwright-core (which downloads nothing).
if [ "$with_browser" = 1 ]; then
  if [ -x /usr/lib/chromium/chromium ] || command -v chromium >/dev/null; then
    echo "[setup] chromium present"
  elif [ -f /etc/debian_version ] && [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
    echo "[setup] installed chromium $(dpkg-query -W -f='${Version}' chromium)"
  else
    echo "[setup] chromium not found and this is not Debian with root: the headless page test will be skipped (install chromium, or set HVAR_CHROMIUM to a Chromium binary)" >&2
  fi
fi
