/* media-private.h — the relay's objects, shared by the files of media/ only.
 *
 * Ownership (main context only unless marked):
 *   CgMedia  owns  the pipeline, every CgEndpoint (endpoints table) and an index
 *                  of every live CgConn by serial (conns table, not owning).
 *   CgEndpoint owns its "pub" CgConn and its "sub-N" CgConns (subs table, by
 *                  publisher id), and the set of subscribers it is routed to.
 *   CgConn   owns  its webrtcbin and, for pub, one tee per kind; for sub, one
 *                  queue per kind and the tee request pads feeding them. Every
 *                  element it adds to the pipeline is named "c<serial>-...".
 *   CgConnShared   is what GStreamer threads may touch: refcounted, immutable
 *                  after creation except for atomics and the mutex-guarded
 *                  expected fingerprint. Signal handlers and pad probes hold a
 *                  ref; they never see CgConn/CgEndpoint/CgMedia.
 *   CgMediaAlive   refcounted token; ->media is cleared (on the main context)
 *                  by cg_media_free, so a late hop finds nothing to touch.
 *
 * Hops: a GStreamer thread copies what it needs into a CgHop and queues it on
 * the main context (cg_conn_hop); the main context looks the connection up by
 * serial, so a hop for a removed connection is dropped.
 *
 * Teardown order (cg_media_endpoint_remove): other endpoints' sub conns that
 * carry this endpoint (pc_closed emitted), this endpoint's sub conns, its pub
 * conn, its routes. Per conn (cg_conn_free): release tee pads, then queues,
 * webrtcbin and tees to NULL and out of the pipeline, then the shared ref.
 */
#pragma once

#include "media.h"
#include "address_policy.h"
#include "sdp_policy.h"
#include "lean_relay.h"

#include <gst/gst.h>

GST_DEBUG_CATEGORY_EXTERN(cg_media_debug);

typedef struct _CgEndpoint CgEndpoint;
typedef gint64 (*CgMediaNowFunc)(gpointer user);
typedef struct _CgConn CgConn;

enum { CG_KIND_AUDIO, CG_KIND_VIDEO, CG_N_KINDS };

typedef struct {
    gatomicrefcount ref;
    CgMedia *media; /* main context only; NULL once the relay is freed */
} CgMediaAlive;

/* Key frame requests for one publisher's video (keyframe.c). Receivers ask
 * by sending a force-key-unit event upstream through the publisher's video
 * tee; a probe there lets at most one through per CG_MEDIA_KEYFRAME_RETRY_MS
 * and remembers that a key frame is wanted; the video buffers' probe repeats
 * the request at that interval until a VP8 key frame passes. Streaming
 * threads only. */
typedef struct {
    GMutex lock;
    gint pending;    /* atomic: someone waits for a key frame */
    gint64 asked_at; /* under lock: monotonic µs of the last request sent, 0 = none */
    gint requests;   /* atomic: requests sent towards the publisher */
    gint keyframes;  /* atomic: key frames seen while one was wanted */
} CgKeyframeState;

/* One per endpoint, shared by its connections' gates (atomics only). An
 * endpoint's media is relayed neither way once @bad is set (a fingerprint
 * mismatch on any of its connections), and its subscriptions carry nothing
 * while its publish connection is offered but not verified. */
typedef struct {
    gatomicrefcount ref;
    gint bad;
    gint pub_offered;
    gint pub_verified;
    gint stopped; /* liveness expired: relay nothing either way */
    gint audio_muted; /* muted by a specialist: its audio is relayed to nobody */
    gint video_paused; /* audio-only mode: no video is relayed to this endpoint */
    gint rx;      /* authenticated packets received on any connection (wraps) */
} CgEndpointGate;

CgEndpointGate *cg_endpoint_gate_new(void);
CgEndpointGate *cg_endpoint_gate_ref(CgEndpointGate *gate);
void cg_endpoint_gate_unref(CgEndpointGate *gate);

typedef struct {
    gatomicrefcount ref;
    guint64 serial;
    gboolean is_pub;
    char *tag;          /* "[ep|3] pub", for logs */
    GMainContext *ctx;  /* the relay's main context */
    CgMediaAlive *alive;
    CgEndpointGate *epgate;
    GstElement *tee[CG_N_KINDS]; /* pub only; set at creation, then immutable */
    gint verified;      /* atomic: the DTLS certificate matched */
    gint judged;        /* atomic: a connected transport was checked */
    gint keyframe_asked[CG_N_KINDS]; /* atomic, sub only */
    gint connected;     /* atomic: connection-state reached "connected" */
    CgKeyframeState kf; /* pub only: the publisher's video */
    GMutex lock;        /* guards the two fields below */
    char *hash_func;
    char *expected;
} CgConnShared;

struct _CgConn {
    CgMedia *media;
    CgEndpoint *ep;
    guint64 serial;
    char *name;              /* "pub" or "sub-N" */
    CgEndpointId publisher;  /* 0 for pub */
    GstElement *webrtc;
    CgConnShared *shared;
    guint n_remote_candidates;
    gboolean answered;       /* pub: our answer was set; sub: their answer was */
    CgSdpCodec codecs[CG_N_KINDS]; /* pub: negotiated; sub: offered */
    GstElement *queue[CG_N_KINDS]; /* sub */
    GstPad *tee_src[CG_N_KINDS];   /* sub: request pads of the publisher's tees */
};

struct _CgEndpoint {
    CgMedia *media;
    CgEndpointId id;
    char *tag;
    CgConn *pub;
    CgEndpointGate *gate;
    GHashTable *subs;        /* publisher id (guint64 *) -> CgConn *, owned */
    GHashTable *subscribers; /* set of subscriber ids this one is routed to */
    guint next_sub;
    gboolean failed;
    gint last_rx;       /* liveness: gate->rx at the last sign of life */
    gint64 last_alive;  /* liveness: clock time of it, 0 = not yet armed */
};

struct _CgMedia {
    CgLeanRelay *lean; /* set: the lean relay does everything (lean_relay.h) */
    GMainContext *ctx;
    CgMediaEvents events;
    gpointer user;
    char **ice_addresses;
    guint rtp_port_min, rtp_port_max;
    char *stun_server;
    gboolean ice_tcp;  /* also offer ICE-TCP (passive) candidates */
    CgAddressPolicy *address_policy; /* which remote candidates may be probed */
    GstElement *pipeline;
    GHashTable *endpoints; /* id (guint64 *) -> CgEndpoint *, owned */
    GHashTable *conns;     /* serial (guint64 *) -> CgConn *, index only */
    guint64 next_serial;
    CgMediaAlive *alive;
    CgMediaNowFunc now; /* the liveness clock (liveness.c) */
    gpointer now_user;
    GSource *liveness_timer;
    GSource *bus_watch;    /* drains the pipeline's bus on ctx */
    GThread *warmup;       /* pays the one-time DTLS key and plugin costs early */
};

/* media.c */
CgMediaAlive *cg_media_alive_ref(CgMediaAlive *alive);
void cg_media_alive_unref(CgMediaAlive *alive);
typedef void (*CgHopFunc)(CgConn *conn, gpointer data);
/* Any thread: runs @fn(conn, @data) on @ctx if connection @serial still
 * exists then; @destroy frees @data either way. Always queued (never run in
 * the calling thread, unlike g_main_context_invoke_full, which runs the
 * function at once on a thread whose default context is free). */
void cg_media_hop(GMainContext *ctx, CgMediaAlive *alive, guint64 serial, CgHopFunc fn,
                  gpointer data, GDestroyNotify destroy);
CgEndpoint *cg_media_lookup(CgMedia *media, CgEndpointId id);
/* Queues endpoint_failed for @ep (at most once per endpoint), delivered from
 * its own main-context dispatch so the caller's handler may remove @ep. */
void cg_media_fail_endpoint(CgMedia *media, CgEndpointId ep, CgMediaError code,
                            const char *message);
/* Called once @pub's publish connection is negotiated: offers its media to
 * every subscriber it is routed to. */
void cg_media_publisher_ready(CgMedia *media, CgEndpoint *pub);

/* conn.c */
/* A pub connection when @source is NULL, else a sub connection relaying
 * @source (the publisher's negotiated pub connection). */
CgConn *cg_conn_new(CgMedia *media, CgEndpoint *ep, const char *name, CgConn *source,
                    GError **error);
void cg_conn_free(CgConn *conn);
gboolean cg_conn_remote_description(CgConn *conn, const char *type, const char *sdp,
                                    GError **error);
gboolean cg_conn_remote_candidate(CgConn *conn, guint mline, const char *candidate,
                                  GError **error);
/* sub only: create-offer now (its transceivers are in place). */
void cg_conn_offer(CgConn *conn);

/* keyframe.c */
void cg_keyframe_init(CgKeyframeState *kf);
void cg_keyframe_clear(CgKeyframeState *kf);
/* Any thread: asks for a key frame by an upstream force-key-unit event from
 * @pad (it goes through the publisher's coalescing probe). */
void cg_keyframe_ask(GstPad *pad);
/* Probe on a pub video tee's sink pad for upstream events (@p: CgConnShared). */
GstPadProbeReturn cg_keyframe_upstream_probe(GstPad *pad, GstPadProbeInfo *info, gpointer p);
/* From the pub video gate, for each buffer let through (@pad: the tee's sink). */
void cg_keyframe_on_buffer(CgConnShared *sh, GstPad *pad, GstBuffer *buf);
/* Is this RTP payload (VP8 payload descriptor + header, RFC 7741) the start
 * of a VP8 key frame? */
gboolean cg_vp8_payload_is_keyframe(const guint8 *payload, gsize len);

/* liveness.c */
void cg_media_liveness_start(CgMedia *media);
void cg_media_liveness_stop(CgMedia *media);
/* Main context, once @conn is connected: counts what arrives on it. */
void cg_media_liveness_watch(CgConn *conn);

/* ice.c */
gboolean cg_media_ice_harden(GstElement *webrtc, const char *const *addresses,
                             guint port_min, guint port_max, const char *stun_server,
                             gboolean ice_tcp, GError **error);

/* relay.c */
/* pub: creates the tees (gated on the connection's verification). */
gboolean cg_relay_pub_init(CgConn *conn, GError **error);
/* pub, on a GStreamer thread: links a new webrtcbin src pad to its tee. */
void cg_relay_pub_pad_added(CgConnShared *shared, GstElement *webrtc, GstPad *pad);
/* sub: transceivers, queues and tee branches for @pub's negotiated codecs. */
gboolean cg_relay_sub_init(CgConn *conn, CgConn *pub, GError **error);
/* Removes every element named after the connection (tee pads first). */
void cg_relay_teardown(CgConn *conn);

CgConnShared *cg_conn_shared_ref(CgConnShared *shared);
/* Any thread: may data pass a connection's gate now? */
gboolean cg_conn_shared_open(CgConnShared *shared);
void cg_conn_shared_unref(gpointer shared);
