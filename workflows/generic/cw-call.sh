#!/usr/bin/env bash
# Calls any containment-watch endpoint with a v2 HMAC signature:
#   X-CW-Timestamp: <unix seconds>
#   X-CW-Signature: v2=<hex HMAC-SHA256(secret, "v2:" + timestamp + ":" + METHOD + ":" + path-and-query + ":" + raw body)>
# The path and query are signed exactly as sent, so pass them as the server will see them (already URL-encoded).
# Each call signs afresh: the server refuses a signature it has seen before.
# Usage: CW_URL=https://cw.example.internal WEBHOOK_HMAC_SECRET=... ./cw-call.sh METHOD PATH [body.json]
#   ./cw-call.sh GET '/v1/watches?state=all'
#   ./cw-call.sh POST /v1/watches/w-123/stop stop.json
set -euo pipefail

method=${1:?usage: cw-call.sh METHOD PATH [body.json]}
path=${2:?usage: cw-call.sh METHOD PATH [body.json]}
body_file=${3:-/dev/null}
url=${CW_URL:-http://127.0.0.1:8080}
secret=${WEBHOOK_HMAC_SECRET:?set WEBHOOK_HMAC_SECRET}

# Sign the exact bytes that are sent: --data-binary keeps the file as it is.
body=$(mktemp)
trap 'rm -f "$body"' EXIT
cat "$body_file" >"$body"
timestamp=$(date +%s)
signature=$( { printf 'v2:%s:%s:%s:' "$timestamp" "$method" "$path"; cat "$body"; } | openssl dgst -sha256 -hmac "$secret" -hex | sed 's/^.*= //')

curl --fail-with-body --silent --show-error \
  -X "$method" "$url$path" \
  -H 'Content-Type: application/json' \
  -H "X-CW-Timestamp: $timestamp" \
  -H "X-CW-Signature: v2=$signature" \
  --data-binary @"$body"
echo
