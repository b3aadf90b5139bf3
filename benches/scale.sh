#!/usr/bin/env bash
# Issue 18's goals, measured: for each portal size, the simulated portal's start time and
# memory, `tandem report`'s wall time, peak memory, requests and 429s with the rate limit
# lifted, and the bare page loop it is held to (benches/replay.py: the same requests, sent
# again with nothing mapped or kept). Each figure is printed next to its goal.
#
#   benches/scale.sh                 # 100k contacts
#   SIZES="100000 1000000" benches/scale.sh
#   LIMITED=1 benches/scale.sh       # also a cold sync at HubSpot's 190 requests / 10 s
#
# Release build, this machine; nothing here runs in CI (the figures take minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES="${SIZES:-100000}"
NOW=2026-11-20T15:00:00Z
TOKEN=scale-t0k
BIN=target/release/tandem
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
cargo build --release --quiet

# Start `tandem sim` with "$@"; sets SIM_PID, SIM_URL and SIM_SECS (to its first line).
start_sim() {
  local out="$WORK/sim.out"
  : > "$out"
  local t0; t0=$(date +%s.%N)
  "$BIN" sim --addr 127.0.0.1:0 --token "$TOKEN" --now "$NOW" "$@" > "$out" 2>"$WORK/sim.err" &
  SIM_PID=$!
  until grep -q "token" "$out"; do
    kill -0 "$SIM_PID" 2>/dev/null || { cat "$WORK/sim.err"; exit 1; }
    sleep 0.2
  done
  SIM_SECS=$(echo "$(date +%s.%N) - $t0" | bc)
  SIM_URL=$(grep -o 'http://[0-9.:]*' "$out" | head -1)
}

rss_mb() { awk -v k="$2:" '$1 == k { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
stat() { curl -s -H "Authorization: Bearer $TOKEN" "$SIM_URL/_sim/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
row() { printf "  %-44s %14s   goal %s\n" "$1" "$2" "$3"; }

for N in $SIZES; do
  echo "== $N contacts"
  start_sim --contacts "$N" --burst 100000000 --journal
  row "sim answers after" "$(printf '%.1f s' "$SIM_SECS")" "≤ 60 s"
  row "sim memory after start" "$(rss_mb "$SIM_PID" VmRSS) MB" "< 1500 MB"
  before=$(stat requests)
  /usr/bin/time -f "%e %M" -o "$WORK/time" env HUBSPOT_TOKEN="$TOKEN" \
    "$BIN" report --hubspot-url "$SIM_URL" --now "$NOW" > "$WORK/report.txt"
  read -r secs kb < "$WORK/time"
  requests=$(( $(stat requests) - before ))
  curl -s -H "Authorization: Bearer $TOKEN" "$SIM_URL/_sim/requests" | python3 -c \
    "import json,sys; json.dump(json.load(sys.stdin)['requests'], open('$WORK/journal.json','w'))"
  read -r bare sent < <(python3 benches/replay.py "$SIM_URL" "$TOKEN" "$WORK/journal.json")
  row "report, rate limit lifted" "$secs s" "≤ 1.3 × bare loop"
  row "bare loop over the same $sent requests" "$bare s" "—"
  row "report ÷ bare loop" "$(echo "scale=2; $secs / $bare" | bc)×" "≤ 1.3×"
  row "report peak memory" "$((kb / 1024)) MB" "≤ 300 MB"
  row "report requests (429s)" "$requests ($(stat rate_limited))" "0 429s"
  row "sim peak memory" "$(rss_mb "$SIM_PID" VmHWM) MB" "< 1500 MB"
  kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null || true

  if [ "${LIMITED:-0}" = 1 ]; then
    start_sim --contacts "$N" --burst 190
    /usr/bin/time -f "%e %M" -o "$WORK/time" env HUBSPOT_TOKEN="$TOKEN" \
      "$BIN" report --hubspot-url "$SIM_URL" --now "$NOW" > /dev/null
    read -r secs kb < "$WORK/time"
    requests=$(stat requests)
    floor=$(echo "scale=1; $requests / 19" | bc)
    row "cold sync at 190 / 10 s" "$secs s" "≤ 1.1 × $floor s (floor)"
    row "  ÷ floor" "$(echo "scale=2; $secs / $floor" | bc)×" "≤ 1.1×"
    row "  429 answers" "$(stat rate_limited)" "0"
    kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null || true
  fi
done
echo "not measured by this script yet: the cockpit's first frame, key-to-frame p99 and idle"
echo "CPU at 1M (see benches/cockpit.rs for one frame and the snapshot at 5k)."
