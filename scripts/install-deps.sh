#!/usr/bin/env bash
# Installs every build, test and run dependency of nianbao from Debian 12 packages.
# The one install step the README names; .ci/run calls it too. Idempotent.
# Usage: scripts/install-deps.sh [--fixtures] [--bench]
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang-format git
  # fuzzing (libFuzzer and the sanitizers' runtimes for clang)
  clang libclang-rt-14-dev
  # parser
  libgumbo-dev libuchardet-dev libre2-dev nlohmann-json3-dev libssl-dev zlib1g-dev
  # parser: the document readers (DOCX, DOC; PDF through poppler-cpp; OFD, a ZIP of XML)
  libpoppler-cpp-dev libzip-dev libpugixml-dev
  # crawler, daemon, sinks
  libcurl4-openssl-dev libboost-dev libboost-system-dev librdkafka-dev libspdlog-dev
  libtomlplusplus-dev libcli11-dev libsqlite3-dev libsystemd-dev
  # the Debian package (scripts/package.sh: cpack's DEB generator needs dpkg-dev, from
  # build-essential) and its checks; the man page's rendering test
  lintian file man-db groff-base
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev libvalijson-dev kcat python3 python3-jsonschema systemd
  python3-scrapy python3-lxml
  # the alerts e2e test's self-signed certificate for its STARTTLS SMTP server
  openssl
  # the status page in a real browser (headless), promtool for the metrics and the ops/ rules
  chromium prometheus
  # independent readers of nianbao's output in the tests (npm packages in tests/tools)
  nodejs
)

# --bench: also what the benchmark scripts use beside the build (BENCHMARKS.md): the peers'
# tools (pdftotext, lxml), callgrind for scripts/bench-instructions.sh and perf for profiles.
# --fixtures: also what remakes the document fixtures of tests/fixtures/documents (make.sh and
# make_all.sh: LibreOffice writes the DOCX, DOC and PDF files, poppler-utils and img2pdf the
# scan, qpdf the encrypted one); CI only reads the checked-in files and does not need them.
for arg in "$@"; do
  case "$arg" in
    --fixtures) PACKAGES+=(libreoffice-writer-nogui fonts-noto-cjk poppler-utils img2pdf qpdf python3-lxml) ;;
    --bench) PACKAGES+=(poppler-utils python3-lxml valgrind linux-perf) ;;
    *) echo "usage: scripts/install-deps.sh [--fixtures] [--bench]" >&2; exit 2 ;;
  esac
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm comes with nodesource's nodejs; Debian's nodejs needs its npm package beside it.
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Test tools from the npm registry, pinned in tests/tools/package-lock.json (warcio: the WARC
# reader the archive tests check nianbao's files with).
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [ ! -d "$ROOT/tests/tools/node_modules/warcio" ]; then
  echo "install-deps: npm ci in tests/tools"
  (cd "$ROOT/tests/tools" && npm ci --no-audit --no-fund --silent)
fi
