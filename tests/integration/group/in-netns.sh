#!/bin/sh
# in-netns.sh DELAY_MS UDP_LOSS_PCT QUEUE_HELPER -- COMMAND [ARG...]
#
# Runs COMMAND in a network namespace of its own (nothing on the host
# changes) whose loopback is a poor network, and exits with its status, or
# with 77 (CTest's SKIP_RETURN_CODE) saying why when such a namespace cannot
# be had here.
#
# Shaping: on loopback every packet crosses lo exactly once per hop, so
# shaping lo's egress gives each packet what one link would: endpoint ->
# consultd sees DELAY_MS and UDP_LOSS_PCT, and so does consultd -> endpoint.
# Every IPv4 packet is delayed (signaling keeps its real latency relative to
# media), but only UDP (ICE, DTLS, RTP, RTCP) is lost: TCP loss injected on
# the sending host is reported back to the TCP stack as local congestion (see
# tc-netem(8)), so it would not model a lossy path anyway, and it only makes
# the joins slow and their timing noisy; the subject is media repair.
#   1. tc: a prio root with two netem children, UDP to the lossy one (u32);
#   2. where the kernel has no sch_netem/sch_prio (CONFIG_NET_SCH_NETEM unset,
#      as on this project's CI machines): QUEUE_HELPER (cg-netem-queue,
#      netem_queue.c) does the same from an NFQUEUE rule;
#   3. neither: skip.
# COMMAND sees CG_NETEM_DELAY_MS, CG_NETEM_UDP_LOSS_PCT and CG_NETEM_HOW.
set -u

skip() {
    echo "SKIP: $*" >&2
    exit 77
}

if [ $# -lt 5 ] || [ "$4" != "--" ]; then
    echo "usage: $0 DELAY_MS UDP_LOSS_PCT QUEUE_HELPER -- COMMAND [ARG...]" >&2
    exit 2
fi

if [ "${CG_IN_NETNS:-}" != "$$" ]; then
    command -v unshare >/dev/null 2>&1 || skip "no unshare(1)"
    unshare --net true 2>/dev/null ||
        skip "cannot create a network namespace (unshare --net: needs CAP_SYS_ADMIN)"
    # exec keeps the PID: the re-executed script knows it is inside
    CG_IN_NETNS=$$ exec unshare --net -- /bin/sh "$0" "$@"
fi

delay=$1
loss=$2
helper=$3
shift 4

ip link set lo up 2>/dev/null || skip "cannot bring lo up in the new namespace (no CAP_NET_ADMIN?)"
export CG_NETEM_DELAY_MS="$delay" CG_NETEM_UDP_LOSS_PCT="$loss"

if tc qdisc add dev lo root handle 1: prio bands 2 priomap 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 \
        2>/dev/null &&
    tc qdisc add dev lo parent 1:1 handle 10: netem delay "${delay}ms" loss "${loss}%" \
        limit 100000 2>/dev/null &&
    tc qdisc add dev lo parent 1:2 handle 20: netem delay "${delay}ms" limit 100000 \
        2>/dev/null &&
    tc filter add dev lo parent 1: protocol ip prio 1 u32 match ip protocol 17 0xff \
        flowid 1:1 2>/dev/null; then
    export CG_NETEM_HOW="tc netem"
    echo "in-netns.sh: lo: tc netem delay ${delay}ms (all), loss ${loss}% (UDP)" >&2
    exec "$@"
fi
tc qdisc del dev lo root 2>/dev/null

[ -x "$helper" ] || skip "this kernel has no sch_netem/sch_prio, and $helper is missing"
echo "in-netns.sh: no tc netem here; shaping lo through NFQUEUE ($helper)" >&2
export CG_NETEM_HOW="nfqueue"
# cg-netem-queue exits 77 itself, saying why, when it cannot queue
exec "$helper" --delay-ms "$delay" --udp-loss-pct "$loss" -- "$@"
