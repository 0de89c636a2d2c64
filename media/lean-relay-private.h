/* lean-relay-private.h — the lean relay's objects (lean_relay.c, lean_forward.c).
 *
 * Ownership (all on the relay's main context; no thread ever sees them):
 *   CgLeanRelay   owns every LeanEndpoint (endpoints table).
 *   LeanEndpoint  owns its "pub" LeanPc and its "sub-N" LeanPcs (subs, by
 *                 publisher id); lists, not owning, the LeanPcs of other
 *                 endpoints that carry its media (fanout).
 *   LeanPc        owns its CgLeanConn and, for pub, the parsed offer.
 */
#pragma once

#include "lean_conn.h"
#include "lean_relay.h"
#include "media-limits.h"
#include "rtp_packet.h"

/* What a publisher sends: its microphone, its camera, and (clinicians) a
 * screen share: its second sending VP8 m-line. */
enum { LEAN_AUDIO, LEAN_VIDEO, LEAN_SCREEN, LEAN_N_KINDS };

typedef struct _LeanEndpoint LeanEndpoint;

typedef struct {
    CgLeanRelay *relay;
    LeanEndpoint *ep;
    char *name;             /* "pub" or "sub-N" */
    CgEndpointId publisher; /* 0 for pub */
    CgLeanConn *conn;
    gboolean announced;         /* our description (pub: answer, sub: offer) went out */
    gboolean described;         /* pub: our answer went out; sub: their answer is in */
    gboolean up;                /* DTLS verified, SRTP keyed */
    GPtrArray *held_candidates; /* local candidates waiting for our description */
    char *description_type;     /* our description, until the idle below sends it */
    char *description;
    GSource *announce;
    guint32 rtcp_ssrc; /* the SSRC consultd's own RTCP on this connection uses */
    /* sub: what the endpoint accepted, by kind */
    gboolean accepts[LEAN_N_KINDS];
    gboolean accepts_rtx[LEAN_N_KINDS];
    gboolean screen_slot; /* an offer of ours had the screen m-line ... */
    char *screen_mid;     /* ... with this mid (kept while sharing stops) */
    /* sub: a change that came while our offer awaited its answer, sent as one
     * fresh offer once the answer is in (at most one offer out at a time) */
    gboolean reoffer_pending;
    gboolean restart_pending; /* ... and it is (also) an ICE restart */
    gboolean answered;        /* sub: an answer of the endpoint was ever taken */
} LeanPc;

/* What one publisher sends, per kind (from its offer, SSRCs also learnt from
 * packets). */
typedef struct {
    gboolean present;
    guint8 pt;
    gint rtx_pt;  /* -1: none */
    guint32 ssrc; /* signalled (a=ssrc) or learnt from its packets */
    gboolean ssrc_signalled;
    guint32 rtx_ssrc; /* a=ssrc-group:FID, 0: none */
    guint clock_rate;
    /* key frames (video kinds) */
    gboolean keyframe_wanted;
    gint64 keyframe_asked_us;
    guint feedback;        /* CgLeanSdpFeedback the publisher offered */
    guint audio_level_ext; /* RFC 6464 extension id, 0: none */
    guint8 fraction_lost;  /* of our last receiver report */
    guint32 jitter;        /* of our last receiver report, RTP units */
    guint8 fir_seq;        /* FIR command sequence number */
    gboolean seen;         /* a packet arrived (ssrc and stats are real) */
    CgRtpRecvStats stats;  /* for our receiver reports */
    guint32 sr_lsr;        /* middle of the last SR's NTP time, 0: none */
    gint64 sr_arrival_us;
} LeanStream;

struct _LeanEndpoint {
    CgLeanRelay *relay;
    CgEndpointId id;
    char *tag;
    LeanPc *pub;
    CgLeanSdp *offer; /* the publish offer, once taken */
    LeanStream streams[LEAN_N_KINDS];
    GHashTable *subs;        /* publisher id (guint64 *) -> LeanPc *, owned */
    GHashTable *subscribers; /* set of subscriber ids this endpoint is routed to */
    GPtrArray *fanout;       /* LeanPc * of other endpoints' subs carrying this one */
    guint next_sub;
    gboolean failed;  /* reported (or about to be) */
    gboolean bad;     /* fingerprint mismatch: relay nothing either way */
    gboolean stopped; /* liveness expired */
    gboolean audio_muted;
    gboolean video_paused;
    guint keyframe_requests; /* sent to this endpoint as publisher, all kinds */
    gboolean screen_allowed; /* clinicians may share their screen */
    /* REMB from subscribers: the lowest in the current interval */
    guint64 remb_min;
    guint video_cap_kbps; /* 0: none */
    /* voice in the current speech interval (RFC 6464) */
    gboolean spoke;
    guint8 loudest; /* lowest -dBov heard */
    /* statistics, per CG_MEDIA_STATS_INTERVAL_MS */
    guint64 stats_bytes_in, stats_bytes_out; /* counters at the last stats */
    gint64 stats_at_us;
    double out_loss_sum, out_jitter_sum_ms, rtt_sum_ms; /* from its receiver reports */
    guint out_loss_n, out_jitter_n, rtt_n;
    /* liveness */
    guint64 last_rx;
    gint64 last_alive;
};

struct _CgLeanRelay {
    GMainContext *ctx;
    CgMediaEvents events;
    gpointer user;
    CgIceAgentConfig ice; /* ice.local_addresses -> ice_addresses */
    char **ice_addresses;
    char *stun_server;
    CgDtlsIdentity *identity;
    GHashTable *endpoints;   /* id (guint64 *) -> LeanEndpoint *, owned */
    GQueue pending_failures; /* LeanFailure *, delivered from fail_idle */
    GSource *fail_idle;
    GSource *report_timer; /* speech, receiver reports, REMB, liveness, statistics */
    guint ticks;
    gint64 (*now)(gpointer user);
    gpointer now_user;
    guint8 scratch[CG_LEAN_CONN_MAX_PACKET + CG_LEAN_CONN_SEND_OVERHEAD];
};

/* lean_relay.c */
LeanEndpoint *cg_lean_relay_lookup(CgLeanRelay *relay, CgEndpointId id);
/* Queues endpoint_failed for @ep (once), delivered from an idle so that the
 * handler may remove it. */
void cg_lean_relay_fail(CgLeanRelay *relay, LeanEndpoint *ep, CgMediaError code,
                        const char *message);

/* lean_offer.c: how a subscribe connection names @pub's media */
typedef struct {
    char stream[32], audio[40], video[40], screen[40];
    const char *mids[4];
    CgLeanSdpRelay relay;
} LeanNames;

/* The names for relaying @offer (@pub's) on @sub (its screen slot), or on a
 * new subscribe connection (@sub NULL). Borrows from @offer and @sub. */
void cg_lean_offer_names(const LeanEndpoint *pub, const CgLeanSdp *offer, const LeanPc *sub,
                         LeanNames *n);
/* Can @offer be relayed on @sub (NULL: a new one)? A dry run of the
 * subscribe offer; FALSE with @error (BAD_SDP) if not. */
gboolean cg_lean_offer_relayable(const LeanEndpoint *pub, const CgLeanSdp *offer, const LeanPc *sub,
                                 GError **error);
/* Checks a publish @offer of @ep completely, before anything changes: it
 * sends something, its mids and SSRCs are sound and unique, the role rules
 * (screen share) hold, a later offer changes only what may change (and
 * *@restart tells an ICE restart), and what it sends can be relayed to every
 * subscriber. FALSE with @error (BAD_SDP) naming the problem. */
gboolean cg_lean_offer_check(const LeanEndpoint *ep, const CgLeanSdp *offer, gboolean *restart,
                             GError **error);
/* The first usable m-line's ICE ufrag, or NULL. */
const char *cg_lean_offer_first_ufrag(const CgLeanSdp *sdp);

/* lean_forward.c: the packet paths, as CgLeanConn callbacks (@user: LeanPc) */
void cg_lean_forward_pub_rtp(gpointer user, guint8 *packet, gsize len, gsize capacity);
void cg_lean_forward_pub_rtcp(gpointer user, guint8 *packet, gsize len, gsize capacity);
void cg_lean_forward_sub_rtcp(gpointer user, guint8 *packet, gsize len, gsize capacity);
/* Asks @pub for a key frame of each video it sends (coalesced). */
void cg_lean_forward_ask_keyframe(LeanEndpoint *pub);
/* Every CG_LEAN_REPORT_MS: receiver reports and REMB to each publisher. */
void cg_lean_forward_reports(CgLeanRelay *relay);
/* Every CG_MEDIA_SPEECH_INTERVAL_MS: endpoint_speaking for who spoke. */
void cg_lean_forward_speech(CgLeanRelay *relay);
/* Every CG_MEDIA_STATS_INTERVAL_MS: endpoint_stats for each endpoint. */
void cg_lean_forward_stats(CgLeanRelay *relay);

#define CG_LEAN_REPORT_MS 1000u
