#!/bin/sh
# make demo: start consultd on its embedded defaults, create a demo virtual
# consult through the admin API, print one join link per role, and stay in the
# foreground until Ctrl-C (which stops consultd cleanly).
set -eu
consultd="$1"
base="https://localhost:8443"

"$consultd" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; exit 0' INT TERM

# Wait for the server (it generates its certificate and keys on first start).
tries=0
until curl -skf "$base/healthz" >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ $tries -gt 100 ] || ! kill -0 $pid 2>/dev/null; then
        echo "demo: consultd did not start (see its log above)" >&2
        exit 1
    fi
    sleep 0.1
done

starts_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
body=$(cat <<JSON
{"kind": "virtual_consult", "specialty": "dermatology", "title": "Demo consult",
 "starts_at": "$starts_at", "duration_min": 60,
 "participants": [{"name": "Dr. Demo Specialist", "role": "specialist"},
                  {"name": "Dr. Demo Provider", "role": "provider"},
                  {"name": "Demo Patient", "role": "patient"}]}
JSON
)
response=$(curl -sk "$base/api/v1/consults" \
    -H "Authorization: Bearer $(cat var/tenants/demo.api-key)" \
    -H 'Content-Type: application/json' -d "$body")
echo
links=$(echo "$response" | grep -o '"role":"[a-z]*","token":"[^"]*","join_url":"[^"]*"' |
    sed 's/^"role":"\([a-z]*\)".*"join_url":"\([^"]*\)"$/join \1 \2/')
if [ -z "$links" ]; then
    echo "demo: could not create the consult: $response" >&2
    exit 1
fi
echo "$links"
echo
echo "consultd is running (self-signed certificate: accept it in the browser). Ctrl-C stops it."
wait $pid
