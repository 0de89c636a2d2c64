/* bench_fleet.h — the load generator's endpoints: rtc_peer endpoints
 * (tests/support/rtc_peer.h) fed from one CgRtcSource, numbered as the
 * targets number them.
 *
 * One VP8 encoder (640x360 at 15 fps) and one Opus encoder serve every
 * endpoint (rtc_source.h). Received media is counted, not decoded
 * (options.no_decode): RTP packets per stream, loss from the extended
 * sequence numbers, the arrival time of the first packet per publisher.
 * Answers say a=setup:passive unless $CG_BENCH_ACTIVE is set, and the
 * receiving jitter buffers add no delay (options.answer_passive,
 * no_jitter_delay: see rtc_peer.h).
 *
 * Threads: create, drive and free on the thread-default main context current
 * at cg_bench_fleet_new(); events are delivered there. Counters may be read
 * anytime. Endpoints stay valid until cg_bench_fleet_free().
 */
#pragma once

#include <glib.h>

#include "rtc_peer.h"

G_BEGIN_DECLS

typedef struct _CgBenchFleet CgBenchFleet;

/* (transfer full) the fleet with its source playing, or NULL + @error. */
CgBenchFleet *cg_bench_fleet_new(guint video_kbps, GError **error);
/* Frees every endpoint (their events stop), then the source. */
void cg_bench_fleet_free(CgBenchFleet *fleet);

/* (transfer none: owned by @fleet) a new endpoint; @index names it in
 * counters and traces. @events (description, candidate) are called with
 * @user. Its sub connections take as label the publisher's index
 * (cg_bench_label). */
CgRtcPeer *cg_bench_fleet_add(CgBenchFleet *fleet, guint index, const CgRtcPeerEvents *events,
                              gpointer user);
/* (transfer full) the label of endpoint @publisher's media (-1: unknown). */
char *cg_bench_label(gint publisher);

/* Sums the counters of every endpoint into @acc (zeroed first). */
void cg_bench_fleet_counters(CgBenchFleet *fleet, CgRtcPeerReceived *acc);

/* Calls @func for every subscribe connection of every endpoint: the
 * receiving endpoint's index, the publisher's index and the monotonic time
 * of its first RTP packet (0 if none yet). */
void cg_bench_fleet_foreach_first(CgBenchFleet *fleet,
                                  void (*func)(guint receiver, gint publisher, gint64 first,
                                               gpointer data),
                                  gpointer data);

/* With $CG_BENCH_TRACE set: one line on stderr per step of every connection
 * ("trace <ms since start> ep=<index> pc=<name> <what>"), for the join-time
 * breakdown of docs/performance.md. Any thread. */
void cg_bench_trace(guint index, const char *pc, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

G_END_DECLS
