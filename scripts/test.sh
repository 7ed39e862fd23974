#!/usr/bin/env bash
# Runs every check and test of slipstream on a fresh machine: formatting, clippy, the docs'
# links, a smoke run of each criterion bench, and the unit and integration tests
# (cargo-nextest when installed, else cargo test). Installs what it needs that a Rust machine
# may lack: the tansu Kafka broker the Kafka tests start (built once from crates.io, then
# reused) and, when run as root on Debian, Prometheus (with promtool) and Alertmanager for the
# compatibility tests and Chromium for the web page test; and schemathesis (PyPI, with pip)
# for the API fuzz test.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null; then
  echo "cargo not found: install Rust (https://rustup.rs)" >&2
  exit 1
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --all-targets --locked -- -D warnings

echo "== cargo doc (every intra-doc link resolves)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --document-private-items --locked

echo "== benches compile and run once"
cargo test --locked --bench decode --bench window --bench checkpoint --bench pipeline

echo "== tansu (real Kafka broker for the Kafka tests)"
scripts/tansu.sh install

echo "== prometheus, promtool, alertmanager (deploy tests run 'promtool check rules'; the"
echo "   prometheus and alertmanager tests scrape and notify through the real servers)"
missing=()
command -v promtool >/dev/null && command -v prometheus >/dev/null || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null || missing+=(prometheus-alertmanager)
if [ ${#missing[@]} = 0 ]; then
  echo "found: $(command -v prometheus promtool prometheus-alertmanager | tr '\n' ' ')"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  # Debian ships promtool only in the prometheus package (which also installs the server).
  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
else
  echo "note: ${missing[*]} not installed and not root: the tests that need them skip" \
    "(install the Debian packages to run them)" >&2
fi

echo "== chromium (the web page test loads the page in headless Chromium)"
if command -v chromium >/dev/null; then
  echo "found: $(command -v chromium)"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
else
  echo "note: chromium not installed and not root: the browser test skips" \
    "(install Debian's chromium package to run it)" >&2
fi

echo "== schemathesis (tests/it/schemathesis.rs fuzzes the HTTP API from its OpenAPI document)"
SCHEMATHESIS_VERSION=4.32.5
if command -v st >/dev/null && st --version >/dev/null 2>&1; then
  echo "found: $(st --version)"
elif command -v python3 >/dev/null && python3 -m pip --version >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" ||
    echo "note: pip could not install schemathesis: the schemathesis test skips" >&2
  hash -r
else
  echo "note: schemathesis not installed and no python3 with pip: the schemathesis test skips" \
    "(pip install schemathesis==$SCHEMATHESIS_VERSION to run it)" >&2
fi

echo "== tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --locked --no-fail-fast
else
  cargo test --locked --no-fail-fast
fi
