#!/usr/bin/env bash
# Sends a containment request to containment-watch, signed with HMAC (v2: the method, path and body are signed;
# see cw-call.sh for the scheme).
# Usage: CW_URL=https://cw.example.internal WEBHOOK_HMAC_SECRET=... ./send-containment.sh [request.json]
# With a bearer token instead: curl -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' --data-binary @request.json ...
set -euo pipefail

here=$(dirname "$0")
exec "$here/cw-call.sh" POST /v1/containments "${1:-$here/containment-request.json}"
