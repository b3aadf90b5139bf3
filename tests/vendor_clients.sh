#!/usr/bin/env bash
# The vendors' own Python clients read the simulated Salesforce and Marketo: installs
# simple-salesforce and marketorestpython (pinned) in target/vendor-clients, starts
# `tandem sim --profile salesforce-marketo` on a free port, runs tests/vendor_clients.py.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/vendor-clients
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import simple_salesforce, marketorestpython" 2>/dev/null; then
  echo "== installing simple-salesforce 1.12.10 and marketorestpython 0.5.25"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check simple-salesforce==1.12.10 marketorestpython==0.5.25
fi

cargo build --quiet
port=$("$venv/bin/python" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
token=vendor-clients
target/debug/tandem sim --profile salesforce-marketo --addr "127.0.0.1:$port" --token "$token" \
  --contacts 2500 --now 2026-11-20T15:02:00Z --burst 100000 >"$venv/sim.log" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  grep -q "serving" "$venv/sim.log" 2>/dev/null && break
  sleep 0.5
done
grep -q "serving Salesforce REST and Marketo REST" "$venv/sim.log" || { cat "$venv/sim.log" >&2; exit 1; }

echo "== simple-salesforce and marketorestpython against the simulation"
"$venv/bin/python" tests/vendor_clients.py "http://127.0.0.1:$port" "$token"
