#!/bin/bash
# run-bench.sh — the standard benchmark behind `make bench`: consultd and Janus
# VideoRoom side by side, 1/4/8/16 three-party consults, then a capacity
# search for each; JSON results, a markdown table and a gnuplot PNG.
#
#   tools/bench/run-bench.sh [BUILD_DIR] [OUT_DIR]     (defaults: build, BUILD_DIR/bench)
#
# Environment: BENCH_SET ("1 4 8 16"), BENCH_WARMUP (3), BENCH_WINDOW (5),
# BENCH_SEARCH_S (time budget per server for the capacity search, 120),
# BENCH_TARGETS ("consultd janus"). Installs janus and gnuplot-nox if missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
out=${2:-$build/bench}
set_list=${BENCH_SET:-1 4 8 16}
warmup=${BENCH_WARMUP:-3}
window=${BENCH_WINDOW:-5}
search_s=${BENCH_SEARCH_S:-120}
targets=${BENCH_TARGETS:-consultd janus}
bench=$build/tools/bench/consult-bench
shim=$build/tools/bench/libcg_bench_lo_shim.so
janus_port=${BENCH_JANUS_PORT:-18188}

. "$here/janus.sh"

need_pkg() { # command package
    command -v "$1" >/dev/null 2>&1 && return 0
    echo "bench: installing $2" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}
need_pkg jq jq
need_pkg gnuplot gnuplot-nox
janus_install
[ -x "$bench" ] || { echo "bench: $bench missing: build first (make bench does)" >&2; exit 1; }

export CG_CONSULTD=$build/daemon/consultd CG_WEB_ROOT=$root/web
mkdir -p "$out/runs"
rm -f "$out"/runs/*.json
tmp=$(mktemp -d)
trap 'janus_stop; rm -rf "$tmp"' EXIT

# run TARGET N TAG [extra args]: one consult-bench run, JSON in $out/runs/TAG.json
run() {
    local target=$1 n=$2 tag=$3
    shift 3
    local json=$out/runs/$tag.json
    local args=(--consults "$n" --warmup "$warmup" --window "$window" --json "$json" "$@")
    if [ "$target" = janus ]; then
        rm -rf "$tmp/janus" && mkdir -p "$tmp/janus"
        janus_start "$tmp/janus" "$janus_port" "$shim" || return 1
        "$bench" --target janus --janus-port "$janus_port" --server-pid "$JANUS_PID" "${args[@]}" || true
        janus_stop
    else
        "$bench" --target consultd "${args[@]}" || true
    fi
    [ -s "$json" ]
}

# The capacity criterion is loss < 0.5 % with every stream flowing ("ok_loss");
# whether join p95 < 500 ms also held is reported beside it ("ok").
ok() { [ -s "$1" ] && jq -e '.ok_loss' "$1" >/dev/null; }

# capacity TARGET: step up 1,2,4,8,12,16,... (reusing the standard runs), then
# bisect between the last pass and the first failure, within $search_s seconds.
# Prints only the capacity on stdout: every run's own output goes to stderr.
capacity() {
    local target=$1 start=$SECONDS pass=0 fail=0 n
    for n in 1 2 4 8 12 16 20 24 32; do
        local f=$out/runs/$target-$n.json
        [ -s "$f" ] || run "$target" "$n" "$target-$n" --join-timeout 10 >&2 || true
        if ok "$f"; then pass=$n; else fail=$n; break; fi
        [ $((SECONDS - start)) -lt "$search_s" ] || break
    done
    while [ "$fail" -gt 0 ] && [ $((fail - pass)) -gt 1 ] && [ $((SECONDS - start)) -lt "$search_s" ]; do
        n=$(((pass + fail) / 2))
        run "$target" "$n" "$target-$n" --join-timeout 10 >&2 || true
        if ok "$out/runs/$target-$n.json"; then pass=$n; else fail=$n; fi
    done
    echo "$pass"
}

for target in $targets; do
    for n in $set_list; do
        echo "== $target, $n consult(s)" >&2
        run "$target" "$n" "$target-$n" || echo "bench: $target $n: no result" >&2
    done
done
declare -A cap
for target in $targets; do
    echo "== $target: capacity search" >&2
    cap[$target]=$(capacity "$target")
    [[ ${cap[$target]} =~ ^[0-9]+$ ]] || { echo "bench: $target: capacity search failed" >&2; cap[$target]=0; }
done

# ---- results.json ----------------------------------------------------------------
machine=$(jq -n --arg cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')" \
    --arg kernel "$(uname -r)" --argjson nproc "$(nproc)" \
    --arg janus "$(dpkg-query -W -f '${Version}' janus 2>/dev/null || echo '?')" \
    '{cpu: $cpu, kernel: $kernel, nproc: $nproc, janus_version: $janus}')
caps=$(for t in $targets; do echo "{\"$t\": ${cap[$t]:-0}}"; done | jq -s 'add')
jq -s --argjson machine "$machine" --argjson capacity "$caps" \
    '{machine: $machine, capacity_3party_consults: $capacity, runs: (sort_by(.target, .consults))}' \
    "$out"/runs/*.json >"$out/results.json"

# ---- table (markdown) and chart ---------------------------------------------------
fmt='def f(x): if x == null then "-" else (x * 10 | round / 10 | tostring) end;'
{
    echo "| consults | server | pkt/s | server CPU % | µs/pkt | loss % | join p50 / p95 / max ms | RSS/participant KiB | generator CPU % | streams |"
    echo "|---:|---|---:|---:|---:|---:|---|---:|---:|---|"
    jq -r "$fmt"' .runs[] | "| \(.consults) | \(.target) | \(f(.packets_per_s)) | \(f(.server_cpu_pct)) | \(f(.us_per_packet)) | \(f(.loss_pct)) | \(f(.join_ms_p50)) / \(f(.join_ms_p95)) / \(f(.join_ms_max)) | \(f(.rss_per_participant_kib)) | \(f(.generator_cpu_pct)) | \(.streams_flowing)/\(.streams_expected) |"' \
        "$out/results.json"
    echo
    echo "| figure | consultd | janus | consultd / janus |"
    echo "|---|---:|---:|---:|"
    for n in $set_list; do
        c=$out/runs/consultd-$n.json j=$out/runs/janus-$n.json
        [ -s "$c" ] && [ -s "$j" ] || continue
        jq -rn --slurpfile c "$c" --slurpfile j "$j" "$fmt"' ($c[0].us_per_packet) as $a | ($j[0].us_per_packet) as $b |
            "| µs server CPU / packet, \($c[0].consults) consults | \(f($a)) | \(f($b)) | \(if $b > 0 then f($a / $b * 100 | . / 100) else "-" end) |"'
    done
    jp95() { jq -r 'if .join_ms_p95 == null then "-" else (.join_ms_p95 | round | tostring) end' "$out/runs/$1-$2.json" 2>/dev/null || echo "-"; }
    echo "| capacity (3-party consults, < 0.5 % loss, all streams flowing) | ${cap[consultd]:-?} | ${cap[janus]:-?} | - |"
    echo "| join p95 ms at that capacity (target < 500) | $(jp95 consultd "${cap[consultd]:-0}") | $(jp95 janus "${cap[janus]:-0}") | - |"
} >"$out/table.md"

jq -r '.runs[] | [.target, .consults, .server_cpu_pct, .loss_pct, .generator_cpu_pct] | @tsv' \
    "$out/results.json" >"$tmp/all.tsv"
for t in consultd janus; do
    awk -v t=$t '$1 == t' "$tmp/all.tsv" | sort -k2n >"$tmp/$t.tsv"
done
gnuplot <<EOF
set terminal pngcairo size 900,420 font ",10"
set output "$out/bench.png"
set multiplot layout 1,2 title "3-party consults on $(nproc) cores (VP8 about 500 kbps + Opus per participant)"
set xlabel "consults"
set key top left
set grid
set ylabel "server CPU % (100 = one core)"
plot "$tmp/consultd.tsv" using 2:3 with linespoints title "consultd", \
     "$tmp/janus.tsv" using 2:3 with linespoints title "Janus 1.1.2", \
     "$tmp/consultd.tsv" using 2:5 with lines dashtype 2 title "generator (consultd runs)", \
     "$tmp/janus.tsv" using 2:5 with lines dashtype 2 title "generator (Janus runs)"
set ylabel "packet loss %"
plot "$tmp/consultd.tsv" using 2:4 with linespoints title "consultd", \
     "$tmp/janus.tsv" using 2:4 with linespoints title "Janus 1.1.2"
unset multiplot
EOF
cat "$out/table.md"
echo "bench: results in $out (results.json, table.md, bench.png)"
