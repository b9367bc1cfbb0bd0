#!/usr/bin/env bash
# Installs the Debian packages httpq needs, when they are missing.
# As root it runs apt-get; otherwise it prints the exact command to run and fails.
set -euo pipefail

packages=(
  libev-dev     # the reactor (CEv links libev)
  libc-ares-dev # name resolution driven by the loop (CAres)
  libssl-dev    # TLS for https (COpenSSL)
  openssl       # the tests make their own CA and certificates
  ca-certificates # the system's trust store https verifies against
  dnsmasq-base  # a real DNS server on loopback in the client's tests
  curl          # a real peer in the tests
  nginx-light   # a real server in the tests and benchmarks
  wrk           # load generator in the tests and benchmarks
  python3-h11   # an independent HTTP/1.1 parser for the differential test (Debian python3)
  media-types   # /etc/mime.types, the server's table of content types
  aria2         # a real segmented downloader (Range requests) in the tests
  wget          # a real resuming client (wget -c) in the tests
  zlib1g-dev    # gzip and deflate response bodies (CZlib)
  libbrotli-dev # br response bodies (CBrotli)
  tinyproxy     # a real HTTP proxy (absolute form, CONNECT) in the client's tests
  python3-venv  # a virtual environment for PyPI's hdrhistogram (below)
  default-jre-headless  # Java for HdrHistogram's own HistogramLogProcessor ...
  libhdrhistogram-java  # ... which reads the interval logs httpq writes, in the tests
  apache2-bin   # real servers the client's tests fetch from (Apache, lighttpd, Node, Go; gunicorn
  lighttpd      # and uvicorn come from PyPI below): each frames, keeps alive and closes its own way
  nodejs
  golang-go     # Go's net/http: a server app and a client in TestPeers/, built by the tests
)

# From PyPI, in a virtual environment beside the build folders (never committed):
# HdrHistogram's Python port (hdrhistogram), an independent reader of the histogram logs httpq
# writes; gunicorn and uvicorn, real servers the client's tests fetch from (TestPeers/).
python_tools() {
  local venv
  venv="$(cd "$(dirname "$0")/.." && pwd)/.build-venv"
  if ! "$venv/bin/python" -c "import hdrh, gunicorn, uvicorn" 2>/dev/null; then
    echo "setup: preparing $venv with PyPI hdrhistogram, gunicorn and uvicorn" >&2
    [ -x "$venv/bin/pip" ] || /usr/bin/python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "hdrhistogram==0.10.8" "gunicorn==23.0.0" "uvicorn==0.30.6"
  fi
}

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  python_tools
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  python_tools
else
  echo "setup: missing Debian packages; run:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
