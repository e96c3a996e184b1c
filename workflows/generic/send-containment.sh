#!/usr/bin/env bash
# Sends a containment request to containment-watch, signed with HMAC (DESIGN section 2):
#   X-CW-Timestamp: <unix seconds>
#   X-CW-Signature: v1=<hex HMAC-SHA256(secret, "v1:" + timestamp + ":" + raw body)>
# Usage: CW_URL=https://cw.example.internal WEBHOOK_HMAC_SECRET=... ./send-containment.sh [request.json]
# With a bearer token instead: curl -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' --data-binary @request.json ...
set -euo pipefail

body_file=${1:-"$(dirname "$0")/containment-request.json"}
url=${CW_URL:-http://127.0.0.1:8080}
secret=${WEBHOOK_HMAC_SECRET:?set WEBHOOK_HMAC_SECRET}

timestamp=$(date +%s)
# Sign the exact bytes that are sent: --data-binary keeps the file as it is.
signature=$( { printf 'v1:%s:' "$timestamp"; cat "$body_file"; } | openssl dgst -sha256 -hmac "$secret" -hex | sed 's/^.*= //')

curl --fail-with-body --silent --show-error \
  -X POST "$url/v1/containments" \
  -H 'Content-Type: application/json' \
  -H "X-CW-Timestamp: $timestamp" \
  -H "X-CW-Signature: v1=$signature" \
  --data-binary @"$body_file"
echo
