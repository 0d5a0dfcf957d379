#!/bin/sh
# Soak test for crash safety: kill -9 the trainer at KILLS random moments (default 500), rerunning
# after each kill until runs finish, and check that every finished model is byte-identical to an
# uninterrupted run and that no run ever saw a damaged file or left a temporary behind.
# Usage: bench/kill_soak.sh [KILLS] [SEED]    (after: cmake --build --preset release)
set -eu
cd "$(dirname "$0")/.."
kills=${1:-500}
seed=${2:-}
export TRAINER_BIN=${TRAINER_BIN:-build/release/trainer}
export TRAINER_TEST_DATA_DIR=${TRAINER_TEST_DATA_DIR:-/usr/share/datasets}
exec /usr/bin/python3 tests/e2e/test_interrupts.py --only kill --kills "$kills" ${seed:+--seed "$seed"}
