#!/usr/bin/env bash
# CI: the README's quick start, exactly its two commands, on this (clean) clone.
# JUnit XML lands in build/reports/ (written by `invoke test`).
set -euo pipefail
cd "$(dirname "$0")/.."
export CI=true
start=$(date +%s)

# --- quick start (keep identical to README.md; tests/host/test_quickstart.py checks) ---
./bootstrap.sh
.venv/bin/invoke test
# --- end quick start ---

echo "ci: quick start passed in $(( $(date +%s) - start )) s; reports in build/reports/"
