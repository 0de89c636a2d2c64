#!/bin/sh
# bench-smoke: one 3-party consult against consultd (warm-up 2 s, window 3 s);
# passes when packets were forwarded and the JSON has every field. No timing.
set -eu
bench=$1
json=$2
rm -f "$json"
"$bench" --target consultd --consults 1 --participants 3 --warmup 2 --window 3 --json "$json"
for f in packets_per_s packets_received loss_pct server_cpu_pct us_per_packet \
         join_ms_p50 join_ms_p95 join_ms_max rss_per_participant_kib generator_cpu_pct \
         streams_flowing streams_expected ok; do
    jq -e "has(\"$f\")" "$json" >/dev/null || { echo "missing field $f" >&2; exit 1; }
done
jq -e '.packets_received > 0' "$json" >/dev/null || { echo "no packets forwarded" >&2; exit 1; }
echo "bench-smoke: ok"
