#!/usr/bin/env bash
# Issue 18's goals, measured: for each portal size, the simulated portal's start time and
# memory, `tandem report`'s wall time, peak memory, requests and 429s with the rate limit
# lifted, and the bare page loop it is held to (benches/replay.py: the same requests, sent
# again with nothing mapped or kept). Each figure is printed next to its goal.
#
#   benches/scale.sh                 # 100k contacts
#   SIZES="100000 1000000" benches/scale.sh
#   LIMITED=1 benches/scale.sh       # also a cold sync at HubSpot's 190 requests / 10 s
#   SALESFORCE=1 benches/scale.sh    # also the report through the Salesforce profile
#   COCKPIT=0 benches/scale.sh       # skip the cockpit in tmux
#   REPORT=0 benches/scale.sh        # skip the sim's start figures and the report
#
# The cockpit runs in tmux at 160x45 against an evolving sim: a first run loads and fills
# its local store, a second starts warm from it. The second's log gives the first full
# frame; keys are sent while polls (every 2 s) apply the sim's changes, and the log's
# key-to-frame line at quit gives p50/p99; idle CPU is read from /proc over 30 s, with
# those 2-second polls and again in a third start at the default interval (10 s), once the
# start's catch-up is done.
#
# Each figure with a goal is marked ✓ or ✗; a ✗ says why the goal is not met yet.
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

# Start `tandem sim` with "$@" (frozen at $NOW unless EVOLVING=1); sets SIM_PID, SIM_URL
# and SIM_SECS (to its first line).
start_sim() {
  local out="$WORK/sim.out"
  : > "$out"
  local t0; t0=$(date +%s.%N)
  local clock=(--now "$NOW")
  [ "${EVOLVING:-0}" = 1 ] && clock=()
  "$BIN" sim --addr 127.0.0.1:0 --token "$TOKEN" "${clock[@]}" "$@" > "$out" 2>"$WORK/sim.err" &
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
# A figure held to its goal: LABEL SHOWN VALUE OP LIMIT GOAL WHY. Prints ✓ or ✗, and for ✗
# why the goal is not met yet (what is known of its cause).
check() {
  local ok; ok=$(echo "$3 $4 $5" | bc)
  printf "  %-44s %14s %s goal %s\n" "$1" "$2" "$([ "$ok" = 1 ] && echo ✓ || echo ✗)" "$6"
  if [ "$ok" != 1 ] && [ -n "${7:-}" ]; then printf "      not met: %s\n" "$7" | fold -s -w 110 | sed '2,$s/^/      /'; fi
}
WHOLE_LEADS="each lead is held whole: a row of at most 248 bytes (its id, interned values, twelve 8-byte dates, its properties and one history block), plus its name, email and title (about 64 MB at 1M), its history block (about 55 MB), the board (about 30 MB), deals and notes decoded from JSON (a few tens of MB) and the interned values (about 48 MB); 300 MB needs the compact row of docs/scale.md (text read from the store for the rows on screen, columns instead of a struct a lead), not built yet"
SLOW_START="a start decodes every cached lead whole (reading and decoding about 1.4 s at 1M on two cores), indexes and reclassifies them (about 0.35 s) and builds the whole snapshot (about 0.45 s) before the first frame; under a second needs the compact row read with one query, not built yet"
SALESFORCE_LOAD="each lead is held whole, as in the HubSpot profile above; the load holds the sales touches, pending notes, opportunities and interned field history of the fields the timelines read until the leads are read (1.2 GB at 1M, 4.2 GB before)"
BUSY_POLLS="at 1M in business hours the evolving world changes hundreds of leads, deals and notes a poll; each poll's update is O(changed) but for the board's sorted list of running clocks (O(clocks)), and each poll redraws (about 4 ms at 1M); what is left is roughly a third each: the redraw, the update, the request and its parsing"
SHARED_CORES="the client decodes and maps every record on the two cores the sim and the bare loop also use, so the ratio moves by about 20 % from run to run (0.97–1.12× in the runs of 2026-12-07 after the wire and mapping work); compare medians"

for N in $SIZES; do
  echo "== $N contacts"
  if [ "${REPORT:-1}" = 1 ]; then
  start_sim --contacts "$N" --burst 100000000 --journal
  check "sim answers after" "$(printf '%.1f s' "$SIM_SECS")" "$SIM_SECS" "<=" 60 "≤ 60 s"
  check "sim memory after start" "$(rss_mb "$SIM_PID" VmRSS) MB" "$(rss_mb "$SIM_PID" VmRSS)" "<" 1500 "< 1500 MB"
  before=$(stat requests)
  /usr/bin/time -f "%e %M" -o "$WORK/time" env HUBSPOT_TOKEN="$TOKEN" \
    "$BIN" report --hubspot-url "$SIM_URL" --now "$NOW" > "$WORK/report.txt"
  read -r secs kb < "$WORK/time"
  requests=$(( $(stat requests) - before ))
  # Before the journal is read out: that answer is a copy of every request.
  sim_peak=$(rss_mb "$SIM_PID" VmHWM)
  curl -s -H "Authorization: Bearer $TOKEN" "$SIM_URL/_sim/requests" | python3 -c \
    "import json,sys; json.dump(json.load(sys.stdin)['requests'], open('$WORK/journal.json','w'))"
  read -r bare sent < <(python3 benches/replay.py "$SIM_URL" "$TOKEN" "$WORK/journal.json")
  row "report, rate limit lifted" "$secs s" "≤ 1.3 × bare loop"
  row "bare loop over the same $sent requests" "$bare s" "—"
  ratio=$(echo "scale=2; $secs / $bare" | bc)
  check "report ÷ bare loop" "${ratio}×" "$ratio" "<=" 1.3 "≤ 1.3×" "$SHARED_CORES"
  check "report peak memory" "$((kb / 1024)) MB" "$((kb / 1024))" "<=" 300 "≤ 300 MB" "$WHOLE_LEADS"
  check "report requests (429s)" "$requests ($(stat rate_limited))" "$(stat rate_limited)" "==" 0 "0 429s"
  check "sim peak memory (report served)" "$sim_peak MB" "$sim_peak" "<" 1500 "< 1500 MB"
  kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null || true
  fi

  if [ "${SALESFORCE:-0}" = 1 ]; then
    # The same world read as a Salesforce org: SOQL pages from held query locators.
    start_sim --contacts "$N" --burst 100000000
    cat > "$WORK/salesforce.toml" <<TOML
[[source]]
name = "Salesforce"
kind = "salesforce"
base_url = "$SIM_URL"
token_env = "SALESFORCE_TOKEN"
role = "crm"
TOML
    if /usr/bin/time -f "%e %M" -o "$WORK/time" env SALESFORCE_TOKEN="$TOKEN" \
      "$BIN" report --config "$WORK/salesforce.toml" --now "$NOW" --timeout 3600 > /dev/null 2> "$WORK/sf.err"; then
      read -r secs kb < "$WORK/time"
      row "Salesforce profile: report" "$secs s" "—"
      check "  report peak memory" "$((kb / 1024)) MB" "$((kb / 1024))" "<=" 300 "≤ 300 MB" "$SALESFORCE_LOAD"
    else
      row "Salesforce profile: report" "failed" "—"
      sed 's/^/      /' "$WORK/sf.err"
    fi
    check "  sim peak memory" "$(rss_mb "$SIM_PID" VmHWM) MB" "$(rss_mb "$SIM_PID" VmHWM)" "<" 1500 "< 1500 MB"
    kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null || true
  fi

  if [ "${LIMITED:-0}" = 1 ]; then
    start_sim --contacts "$N" --burst 190
    /usr/bin/time -f "%e %M" -o "$WORK/time" env HUBSPOT_TOKEN="$TOKEN" \
      "$BIN" report --hubspot-url "$SIM_URL" --now "$NOW" > /dev/null
    read -r secs kb < "$WORK/time"
    requests=$(stat requests)
    floor=$(echo "scale=1; $requests / 19" | bc)
    row "cold sync at 190 / 10 s" "$secs s" "≤ 1.1 × $floor s (floor)"
    ratio=$(echo "scale=2; $secs / $floor" | bc)
    check "  ÷ floor" "${ratio}×" "$ratio" "<=" 1.1 "≤ 1.1×"
    check "  429 answers" "$(stat rate_limited)" "$(stat rate_limited)" "==" 0 "0"
    kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null || true
  fi

  if [ "${COCKPIT:-1}" = 1 ]; then
    EVOLVING=1 start_sim --contacts "$N" --burst 100000000
    data="$WORK/data-$N"
    cockpit() { # $1: log file, $2: seconds between polls
      tmux kill-session -t tandem-scale 2>/dev/null || true
      tmux new-session -d -s tandem-scale -x 160 -y 45 \
        "env HUBSPOT_TOKEN=$TOKEN $BIN --hubspot-url $SIM_URL --data-dir $data --interval $2 --log-file $1"
      until grep -q "first full frame" "$1" 2>/dev/null; do sleep 0.5; done
      COCKPIT_PID=$(pgrep -f "^$BIN .*--log-file $1" | head -1)
    }
    quit() { # waits for the cockpit to end
      tmux send-keys -t tandem-scale q
      while kill -0 "$COCKPIT_PID" 2>/dev/null; do sleep 0.2; done
      tmux kill-session -t tandem-scale 2>/dev/null || true
    }
    field() { grep "$2" "$1" | tail -1 | grep -o "$3=[^ ]*" | cut -d= -f2 | tr -d '"'; }
    cockpit "$WORK/cold-$N.log" 2
    row "cockpit cold load, first full frame" "$(( $(field "$WORK/cold-$N.log" "first full frame" ms) / 1000 )) s" "—"
    quit
    cockpit "$WORK/warm-$N.log" 2
    first=$(field "$WORK/warm-$N.log" "first full frame" ms)
    limit=$([ "$N" -ge 1000000 ] && echo 1000 || echo 150)
    check "cockpit warm start, first full frame" "$first ms" "$first" "<=" "$limit" "≤ $limit ms" "$SLOW_START"
    check "cockpit memory, loaded" "$(rss_mb "$COCKPIT_PID" VmRSS) MB" "$(rss_mb "$COCKPIT_PID" VmRSS)" "<=" 300 "≤ 300 MB" "$WHOLE_LEADS"
    # Keys while polls apply the sim's changes: down the list, across panes, back.
    for i in $(seq 1 300); do
      case $((i % 10)) in 0) k=Tab ;; 5) k=k ;; *) k=j ;; esac
      tmux send-keys -t tandem-scale "$k"
      sleep 0.05
    done
    ticks=$(getconf CLK_TCK)
    cpu() { awk '{ print $14 + $15 }' "/proc/$COCKPIT_PID/stat"; }
    c0=$(cpu); sleep 30; c1=$(cpu)
    idle=$(echo "scale=2; ($c1 - $c0) * 100 / $ticks / 30" | bc)
    check "cockpit idle CPU (30 s, polls every 2 s)" "$idle %" "$idle" "<=" 0.5 "≤ 0.5 % of a core" "$BUSY_POLLS"
    check "cockpit peak memory" "$(rss_mb "$COCKPIT_PID" VmHWM) MB" "$(rss_mb "$COCKPIT_PID" VmHWM)" "<=" 300 "≤ 300 MB" "$WHOLE_LEADS"
    quit
    p99=$(field "$WORK/warm-$N.log" "key to frame" p99_ms)
    check "key to frame p50 / p99 (300 keys)" "$(field "$WORK/warm-$N.log" "key to frame" p50_ms) / $p99 ms" "$p99" "<=" 16 "p99 ≤ 16 ms" "$BUSY_POLLS"
    cockpit "$WORK/idle-$N.log" 10
    # Past the start's catch-up (the first poll's changes, the second round's deletion
    # check and reconciliation, the day history), then idle.
    sleep 25
    c0=$(cpu); sleep 30; c1=$(cpu)
    idle=$(echo "scale=2; ($c1 - $c0) * 100 / $ticks / 30" | bc)
    check "cockpit idle CPU (30 s, polls every 10 s)" "$idle %" "$idle" "<=" 0.5 "≤ 0.5 % of a core" "$BUSY_POLLS"
    quit
    kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null || true
  fi
done
echo "one 160x45 frame, the snapshot's rebuild and a 100-lead update: TANDEM_BENCH_CONTACTS=$N"
echo "cargo bench --bench cockpit (criterion)."
