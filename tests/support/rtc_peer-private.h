/* rtc_peer-private.h — what rtc_peer's files share (not for tests).
 *
 *   rtc_peer.c              the object: shared state, hops, connections, teardown
 *   rtc_peer_negotiation.c  descriptions, candidates, ICE restarts (main context)
 *   rtc_peer_publish.c      what "pub" sends: own encoders or a CgRtcSource; screen share
 *   rtc_peer_receive.c      what sub connections receive: decoding and counting
 *                           (streaming threads)
 *   rtc_peer_stats.c        the getters over what was received and repaired
 *   rtc_peer_audio.c        decoded audio measured: tone levels, peaks, onsets, gaps
 *   rtc_peer_faults.c       misbehaviours (slow answers, lying REMB)
 *
 * One bin per peer (peer->bin): its own pipeline, or a bin inside a
 * CgRtcSource's pipeline. "pub": encoders -> webrtcbin (sendonly,
 * max-bundle). Each "sub-N": a webrtcbin answering the server's offer; every
 * src pad it adds is decoded (or, with no_decode, dropped) after a probe that
 * counts it; appsink callbacks (streaming threads) update the per-label
 * statistics under ps->lock. Signals and promise callbacks hop to the peer's
 * main context by an idle source; the hop finds its connection by name and
 * serial, or does nothing.
 */
#pragma once

#define GST_USE_UNSTABLE_API
#include "rtc_peer.h"
#include "rtc_peer_faults.h"

#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

G_BEGIN_DECLS

#define PEER_AUDIO_RATE 48000
#define PEER_TONE_WINDOW (PEER_AUDIO_RATE / 10)  /* 100 ms */
#define PEER_TRACK_WINDOW (PEER_AUDIO_RATE / 50) /* tone tracking: 20 ms windows */
#define PEER_HOP (PEER_AUDIO_RATE / 400)         /* hopped by 2.5 ms (gaps, onsets) */
#define PEER_COARSE_HOPS 4 /* every 10 ms: the windows counted, two tones at once */
#define PEER_MAX_TRACKS 6

/* One tracked frequency of a label (rtc_peer_audio.c). */
typedef struct {
    double hz;
    double threshold;             /* linear amplitude */
    gint64 onset;                 /* first window at or above, since (re)start */
    guint run_below;              /* windows below in a row (every hop), after the onset */
    guint longest_run;            /* the longest such run */
    guint windows, windows_above; /* every PEER_COARSE_HOPS hops */
    double max_amp;
    gboolean above; /* in the last window */
} PeerTrack;

/* What rtc_peer_audio.c keeps per label, under ps->lock. */
typedef struct {
    gint64 last_audio; /* monotonic time of the last decoded buffer */
    double peak;       /* highest absolute sample since the reset */
    double ceiling;    /* samples above it are counted in n_over */
    guint64 n_over;
    float win[PEER_TRACK_WINDOW]; /* the tracking window being filled */
    guint win_fill;
    guint hops; /* windows analysed, for PEER_COARSE_HOPS */
    PeerTrack tracks[PEER_MAX_TRACKS];
    guint n_tracks;
    guint together; /* windows with two tracked tones at or above at once */
} PeerAudio;

typedef struct {
    guint frames;
    guint video_ssrc, audio_ssrc; /* from the decoded pads' caps */
    guint64 audio_samples;        /* decoded, concealment included */
    guint64 audio_packets;        /* RTP packets of this label's audio, before decoding */
    guint64 video_packets;        /* and of its video */
    gboolean have_color;
    guint32 rgb;
    gint64 first_frame;
    gint64 first_packet;        /* any RTP packet of this label */
    gint64 last_frame, max_gap; /* since the last reset */
    gint64 connected;           /* sub connection carrying this label */
    float ring[PEER_TONE_WINDOW];
    guint ring_pos, ring_fill;
    PeerAudio audio;
} PeerStats;

/* One received RTP stream (a src pad of a sub connection): loss from its
 * extended sequence numbers. */
typedef struct {
    guint64 received;
    gboolean started;
    guint32 base_ext, max_ext;
} PeerStream;

/* Shared with streaming threads. */
typedef struct {
    gatomicrefcount ref;
    GMutex lock;
    GHashTable *by_label; /* label -> PeerStats */
    GPtrArray *streams;   /* PeerStream *, under lock */
    guint64 packets;      /* under lock */
    gint kf_requests;     /* atomic */
    gboolean repair_loss; /* options.repair_loss; set before any thread starts */
    gboolean no_decode;   /* options.no_decode; likewise */
    gint rembs;           /* atomic: REMB received on "pub" */
    gint remb_max_bps;    /* atomic: the highest bitrate one of them asked for */
    gint remb_min_bps;    /* atomic: the lowest (0: none yet) */
    gint remb_watching;   /* atomic: the pub RTP session's feedback is watched */
    double audio_drop_p;  /* options.send_audio_loss_pct / 100; set before any thread starts */
    guint audio_drop_run, audio_drop_run_max; /* under lock: consecutive audio packets dropped */
    guint64 audio_dropped;                    /* under lock: since the last reset */
    gboolean alive;                           /* under lock: FALSE once the peer is freed */
    CgRtcPeer *peer;                          /* under lock, main context use only via hops */
    GMainContext *ctx;
    gint hop_priority;
    void (*trace)(gpointer user, const char *pc, const char *what); /* options.trace */
    gpointer user;
} PeerShared;

typedef struct {
    PeerShared *ps;
    char *pc;
    char *label;
    guint64 serial;
} PcShared;

typedef struct {
    char *name;
    guint64 serial;
    GstElement *webrtc;
    PcShared *sh;
    gboolean offered;
    gboolean restarting;       /* the next local offer gets new ICE credentials */
    char *ice_ufrag, *ice_pwd; /* the restart's, for every later offer too */
    guint local_descriptions;  /* set so far: more than one is a renegotiation */
    GPtrArray *candidates;     /* "candidate:..." lines sent (m-line 0), for restarts */
} PeerPc;

struct _CgRtcPeer {
    GMainContext *ctx;
    CgRtcPeerOptions opt;
    CgRtcPeerEvents ev;
    gpointer user;
    GstElement *pipeline; /* own, or the source's (a reference) */
    GstElement *bin;      /* where this peer's elements go: pipeline, or a bin in it */
    GPtrArray *tee_pads;  /* with a source: the request pads "pub" took (GstPad *) */
    GHashTable *pcs;      /* name -> PeerPc */
    guint64 next_serial;
    PeerShared *ps;
    gboolean frozen;
    CgRtcPeerFaults *faults; /* rtc_peer_faults.c */
};

/* ---- rtc_peer.c ---- */
PeerShared *cg_rtc_peer_ps_ref(PeerShared *ps);
void cg_rtc_peer_ps_unref(PeerShared *ps);
void cg_rtc_peer_ps_closure_unref(gpointer data, GClosure *c);
PcShared *cg_rtc_peer_pcs_new(PeerShared *ps, const char *pc, const char *label, guint64 serial);
void cg_rtc_peer_pcs_free(PcShared *sh);
/* Per-signal-connection copy, freed by the closure. */
PcShared *cg_rtc_peer_pcs_copy(const PcShared *sh);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PcShared, cg_rtc_peer_pcs_free)
/* Under ps->lock: @label's record, made on first use. */
PeerStats *cg_rtc_peer_stats_for(PeerShared *ps, const char *label);

/* Runs @fn on the peer's main context if the connection of @sh still exists
 * (same name, same serial); @destroy frees @data either way. Any thread. */
typedef void (*PeerHopFunc)(CgRtcPeer *peer, PeerPc *pc, gpointer data);
void cg_rtc_peer_hop(const PcShared *sh, PeerHopFunc fn, gpointer data, GDestroyNotify destroy);
/* options.trace, if set: "@what" about @pc. Any thread. */
void cg_rtc_peer_trace(PeerShared *ps, const char *pc, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* Connects @cb to @sig of @pc's webrtcbin with its own copy of pc->sh. */
void cg_rtc_peer_connect_pc(PeerPc *pc, const char *sig, GCallback cb);
/* Adds @webrtc (already in peer->bin or in a bin inside it) as @name; a
 * @label makes it a receiving (sub) connection. */
PeerPc *cg_rtc_peer_pc_add(CgRtcPeer *peer, const char *name, const char *label,
                           GstElement *webrtc);
/* The connection carrying @label, or NULL. */
PeerPc *cg_rtc_peer_pc_for_label(CgRtcPeer *peer, const char *label);
/* (transfer full) every element made by @factory inside @bin (recursively)
 * whose sink pad carries @ssrc (0: any). */
GList *cg_rtc_peer_find_elements(GstBin *bin, const char *factory, guint ssrc);

/* ---- rtc_peer_negotiation.c ---- */
/* The ICE, candidate and negotiation signals of a new connection. */
void cg_rtc_peer_negotiation_attach(CgRtcPeer *peer, PeerPc *pc, gboolean receiving);
/* Emits create-offer or create-answer (@what); the result is sent by a hop. */
void cg_rtc_peer_create_local(PeerPc *pc, const char *what);

/* ---- rtc_peer_publish.c ---- */
/* (transfer floating) the "pub" bin and in @webrtc its webrtcbin (transfer
 * none), from the peer's own encoders; NULL if it cannot be built. */
GstElement *cg_rtc_peer_build_publisher(CgRtcPeer *peer, GstElement **webrtc);
/* Adds @webrtc (floating), "pub", to peer->bin, fed from the source's tees. */
void cg_rtc_peer_publish_from_source(CgRtcPeer *peer, GstElement *webrtc);
/* Releases the tee pads the peer took from its source. */
void cg_rtc_peer_detach_source(CgRtcPeer *peer);

/* ---- rtc_source.c ---- */
/* (transfer none) the source's pipeline; its video or audio tee. */
GstElement *cg_rtc_source_pipeline(CgRtcSource *src);
GstElement *cg_rtc_source_tee(CgRtcSource *src, gboolean video);

/* ---- rtc_peer_audio.c ---- */
/* Under ps->lock: @count decoded samples of @s that arrived at @now. */
void cg_rtc_peer_audio_feed(PeerStats *s, const float *samples, gsize count, gint64 now);

/* ---- rtc_peer_receive.c ---- */
/* webrtcbin "pad-added" of a sub connection (a streaming thread). */
void cg_rtc_peer_receive_pad(GstElement *webrtc, GstPad *pad, gpointer data);
/* "notify::connection-state" of a sub connection (any thread). */
void cg_rtc_peer_receive_state(GObject *webrtc, GParamSpec *pspec, gpointer data);
/* rtpbin "on-new-sender-ssrc" of "pub": counts the REMB its session gets. */
void cg_rtc_peer_watch_feedback(GstElement *rtpbin, guint session_id, guint ssrc, gpointer data);
/* Upstream probe on the video encoder's src pad: counts key frame requests. */
GstPadProbeReturn cg_rtc_peer_count_key_requests(GstPad *pad, GstPadProbeInfo *info, gpointer data);

G_END_DECLS
