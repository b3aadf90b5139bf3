#!/usr/bin/env bash
# Every request the Marketo connector sends, checked against Adobe's own Swagger files:
# Prism mocks of the lead database API, the asset API (programs) and the identity service
# validate each request (the REST base serves both APIs; the probe sends asset calls to the
# asset mock's address), and
# examples/marketo_probe.rs sends one of each. Fails if Prism finds any request invalid.
# The specs are unmodified copies in tests/fixtures/marketo (from ../shared/apispecs).
set -euo pipefail
cd "$(dirname "$0")/.."

specs=tests/fixtures/marketo
# ../shared is the ground truth where it is checked out: the copies must match it.
if [ -d ../shared/apispecs/marketo ]; then
  for f in swagger-mapi.json swagger-identity.json swagger-asset.json; do
    cmp -s "$specs/$f" "../shared/apispecs/marketo/$f" || {
      echo "tests/fixtures/marketo/$f differs from ../shared/apispecs/marketo/$f" >&2
      exit 1
    }
  done
fi

dir=target/prism
prism="$dir/node_modules/.bin/prism"
if [ ! -x "$prism" ]; then
  echo "== installing @stoplight/prism-cli@5.14.2 (the newest that runs on Node 20)"
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error @stoplight/prism-cli@5.14.2
fi

free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}
rest_port=$(free_port)
id_port=$(free_port)
asset_port=$(free_port)
rest_log="$dir/mapi.log"
id_log="$dir/identity.log"
asset_log="$dir/asset.log"
"$prism" mock --errors -h 127.0.0.1 -p "$rest_port" "$specs/swagger-mapi.json" >"$rest_log" 2>&1 &
rest_pid=$!
"$prism" mock --errors -h 127.0.0.1 -p "$id_port" "$specs/swagger-identity.json" >"$id_log" 2>&1 &
id_pid=$!
"$prism" mock --errors -h 127.0.0.1 -p "$asset_port" "$specs/swagger-asset.json" >"$asset_log" 2>&1 &
asset_pid=$!
trap 'kill $rest_pid $id_pid $asset_pid 2>/dev/null || true' EXIT

# Wait for both mocks to listen (Prism takes a few seconds to read a large spec).
for port in "$rest_port" "$id_port" "$asset_port"; do
  for _ in $(seq 1 120); do
    if curl -s -o /dev/null "http://127.0.0.1:$port/"; then break; fi
    sleep 0.5
  done
  curl -s -o /dev/null "http://127.0.0.1:$port/" || { echo "Prism on $port did not start" >&2; cat "$rest_log" "$id_log" "$asset_log" >&2; exit 1; }
done

echo "== the Marketo connector's requests against Adobe's Swagger"
cargo run --quiet --example marketo_probe -- \
  --rest "http://127.0.0.1:$rest_port" --identity "http://127.0.0.1:$id_port" \
  --asset "http://127.0.0.1:$asset_port"

# Every kind of request reached a mock, and none broke the spec.
for path in /identity/oauth/token /rest/v1/leads.json /rest/v1/activities/pagingtoken.json \
            /rest/v1/activities.json /rest/v1/lists/1001/leads.json /rest/v1/lists/1001/leads/ismember.json \
            /rest/asset/v1/programs.json; do
  grep -q "$path" "$rest_log" "$id_log" "$asset_log" || { echo "no request to $path reached Prism" >&2; exit 1; }
done
if grep -h -B2 -A4 "did not pass the validation rules" "$rest_log" "$id_log" "$asset_log"; then
  echo "Prism found requests that do not match Adobe's Swagger (above)" >&2
  exit 1
fi
echo "Prism check passed: every Marketo request matches Adobe's Swagger"
