/* bench_media.h — the load generator's media: one shared source, many lean
 * webrtcbin endpoints.
 *
 * CgBenchSource owns the one pipeline of the process: one VP8 encoder
 * (videotestsrc 640x360 @ 15 fps) and one Opus encoder, each ending in a tee.
 * Every CgBenchPeer adds to it a publishing webrtcbin fed from the tees
 * (through a leaky queue, so an endpoint that is not connected yet never
 * holds the others back) and one answering webrtcbin per subscribe
 * connection. Received pads end in a fakesink: nothing is depayloaded or
 * decoded. A pad probe counts RTP packets per connection, tracks the RTP
 * sequence numbers (for loss) and the arrival time of the first packet.
 *
 * ICE: UPnP and ICE-TCP off, gathering on 127.0.0.1 only. The receiving
 * webrtcbins run with latency 0 so the jitterbuffer adds no delay to the
 * first-packet time.
 *
 * Threads: create, drive and free on the thread-default main context current
 * at cg_bench_source_new(); events are delivered there. Counters may be read
 * anytime. Peers stay valid until cg_bench_source_free(), which stops the
 * pipeline first and then frees every peer.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CgBenchSource CgBenchSource;
typedef struct _CgBenchPeer CgBenchPeer;

typedef struct {
    /* type: "offer" for "pub", "answer" for a subscribe connection */
    void (*description)(gpointer user, const char *pc, const char *type, const char *sdp);
    /* "" = end of candidates */
    void (*candidate)(gpointer user, const char *pc, guint mline_index, const char *candidate);
} CgBenchPeerEvents;

/* (transfer full) the playing source pipeline, or NULL + @error. */
CgBenchSource *cg_bench_source_new(guint video_kbps, GError **error);
/* Stops the pipeline, then frees every peer made from @src. */
void cg_bench_source_free(CgBenchSource *src);

/* (transfer none: owned by @src) a new endpoint; @index names it in counters. */
CgBenchPeer *cg_bench_peer_new(CgBenchSource *src, guint index, const CgBenchPeerEvents *events,
                               gpointer user);
/* Creates the "pub" webrtcbin, links it to the tees; the offer follows. */
void cg_bench_peer_publish(CgBenchPeer *peer);
/* "answer" for "pub", or "offer" for a new subscribe connection @pc carrying
 * the media of endpoint @publisher (an index given to cg_bench_peer_new, or
 * -1 when unknown). */
void cg_bench_peer_remote_description(CgBenchPeer *peer, const char *pc, const char *type,
                                      const char *sdp, gint publisher);
void cg_bench_peer_remote_candidate(CgBenchPeer *peer, const char *pc, guint mline_index,
                                    const char *candidate);

typedef struct {
    guint64 received; /* RTP packets counted on every subscribe connection */
    guint64 expected; /* from the RTP sequence numbers, per received stream */
    guint n_streams;  /* receiving pads with at least one packet */
} CgBenchCounters;

/* Sums the counters of every peer of @src into @acc (zeroed first). */
void cg_bench_source_counters(CgBenchSource *src, CgBenchCounters *acc);

/* Calls @func for every subscribe connection of every peer: the receiving
 * peer's index, the publisher index and the monotonic time of its first RTP
 * packet (0 if none yet). */
void cg_bench_source_foreach_first(CgBenchSource *src,
                                   void (*func)(guint receiver, gint publisher, gint64 first,
                                                gpointer data),
                                   gpointer data);

/* With $CG_BENCH_TRACE set: one line on stderr per step of every connection
 * ("trace <ms since start> ep=<index> pc=<name> <what>"), for the join-time
 * breakdown of docs/performance.md. Any thread. */
void cg_bench_trace(guint index, const char *pc, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

G_END_DECLS
