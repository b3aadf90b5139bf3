#!/usr/bin/env bash
# The outbox crash test at scale: 200 randomized trials, each an action sent by the real
# binary (`tandem outbox --send`) that is `kill -9`ed 1-3 times at random instants while the
# simulated HubSpot injects faults (20% 5xx, 5% 429, 5% truncated, 5% resets, 5% slow).
# Prints the tally: lost / partial / once / duplicated / stage dates rewritten.
set -euo pipefail
cd "$(dirname "$0")/.."
TANDEM_CRASH_TRIALS="${TANDEM_CRASH_TRIALS:-200}" \
  cargo test --release --test crash kill_9 -- --nocapture 2>&1 | grep -E "crash tally|test result"
