/* relay-private.h — the relay behind media.h: its objects, shared by the
 * files of media/ (relay.c, offer.c, forward.c, endpoint_controls.c,
 * liveness.c, mix_slot.c, mix_route.c) only.
 *
 * Every connection is a CgPeerConn (transport/: libnice, DTLS and SRTP on
 * OpenSSL; peer_conn.h), all on the relay's main context, and these files
 * route the decrypted packets. Per forwarded packet: one copy, one SRTP
 * protect, one send; no allocation, no thread hop, no lock.
 *
 * Routing: a publisher's RTP is forwarded unchanged (payload types, SSRCs,
 * sequence numbers: the subscribe offer declares the publisher's own) to each
 * of its subscribe connections that is up, except audio while the publisher
 * is muted or its audio is not relayed (a simultaneous interpreter), audio to
 * an endpoint that receives no relayed audio (it hears a mix), and video to
 * an endpoint in audio-only mode. RTX is forwarded to
 * subscribers that accepted it. The publisher's sender reports are forwarded
 * (lip sync); consultd sends the publisher receiver reports of its own.
 * Feedback from subscribers: NACKs go to the publisher as they are; PLI and
 * FIR become one PLI per CG_MEDIA_KEYFRAME_RETRY_MS towards the publisher,
 * repeated until a VP8 key frame arrives; REMB becomes the lowest estimate of
 * the publisher's subscribers.
 *
 * Mixes (interpretation; mix_route.c): a publisher that is an input of a
 * mix has its decrypted audio copied into that mix's CgMixer
 * (media/mixer/) by cg_forward_pub_rtp, before the fan-out protects the
 * packet in place; a muted publisher feeds nothing, one whose audio is not
 * relayed (an interpreter) feeds mixes only. An endpoint with no mix pays one
 * flag test per audio packet (mix_path). The mixer's output
 * comes back on the main context and goes, copied into the scratch buffer,
 * to the "mix" slot of every endpoint listening to it, rewritten onto the
 * slot's own SSRC and continuous sequence/timestamp line (a switch of mix
 * re-bases it, so the receiver sees one stream). The slot is a subscribe
 * connection like a "sub-N" (kept in subs under publisher id 0), so
 * negotiation, ICE restarts, liveness and statistics treat it as one; it
 * sends a sender report every CG_RELAY_REPORT_MS, and the endpoint's
 * receiver reports on it count in its statistics (loss, jitter, RTT).
 *
 * Liveness (RFC 7675's purpose): an endpoint with a connection up whose
 * connections have authenticated no SRTP/SRTCP for CG_MEDIA_CONSENT_TIMEOUT_S
 * on the relay's clock is stopped and failed.
 *
 * Ownership (all on the relay's main context; no thread ever sees them):
 *   CgMedia     owns every CgEndpoint (endpoints table).
 *   CgEndpoint  owns its "pub" CgPc (->publish) and its "sub-N" CgPcs (subs,
 *               by publisher id; its "mix" slot under 0); lists, not owning,
 *               the CgPcs of other endpoints that carry its media (fanout)
 *               and the mixes it feeds (feeds).
 *   CgMix       one mix (mixes, by mix id): owns its CgMixer; lists, not
 *               owning, the endpoints listening to it.
 *   CgPc        one connection as the relay tracks it; owns its CgPeerConn
 *               and, for pub, the parsed offer.
 */
#pragma once

#include "peer_conn.h"
#include "address_policy.h"
#include "media.h"
#include "media-testing.h"
#include "media-limits.h"
#include "rtp_packet.h"
#include "mixer/mixer.h"

/* What a publisher sends: its microphone, its camera, and (clinicians) a
 * screen share: its second sending VP8 m-line. */
enum { CG_KIND_AUDIO, CG_KIND_VIDEO, CG_KIND_SCREEN, CG_N_KINDS };

typedef struct _CgEndpoint CgEndpoint;

typedef struct {
    CgMedia *relay;
    CgEndpoint *ep;
    char *name;             /* "pub" or "sub-N" */
    CgEndpointId publisher; /* 0 for pub */
    CgPeerConn *conn;
    gboolean announced;         /* our description (pub: answer, sub: offer) went out */
    gboolean described;         /* pub: our answer went out; sub: their answer is in */
    gboolean up;                /* DTLS verified, SRTP keyed */
    GPtrArray *held_candidates; /* local candidates waiting for our description */
    char *description_type;     /* our description, until the idle below sends it */
    char *description;
    GSource *announce;
    guint32 rtcp_ssrc; /* the SSRC consultd's own RTCP on this connection uses */
    /* sub: what the endpoint accepted, by kind */
    gboolean accepts[CG_N_KINDS];
    gboolean accepts_rtx[CG_N_KINDS];
    gboolean screen_slot; /* an offer of ours had the screen m-line ... */
    char *screen_mid;     /* ... with this mid (kept while sharing stops) */
    /* sub: a change that came while our offer awaited its answer, sent as one
     * fresh offer once the answer is in (at most one offer out at a time) */
    gboolean reoffer_pending;
    gboolean restart_pending; /* ... and it is (also) an ICE restart */
    gboolean answered;        /* sub: an answer of the endpoint was ever taken */
    gboolean mix_slot;        /* the endpoint's "mix" slot (publisher 0, yet a subscribe) */
} CgPc;

typedef struct _CgMix CgMix;

/* A mix slot's own RTP line: what the receiver sees is one stream whatever
 * mix the slot carries (mix_route.c). */
typedef struct {
    gboolean started; /* a packet went out */
    gboolean rebase;  /* the next packet starts a new segment (switch of mix) */
    guint16 out_seq;  /* the last packet sent */
    guint32 out_ts;
    gint64 out_at_us;  /* when (relay clock) */
    guint16 seq_delta; /* out = in + delta within a segment */
    guint32 ts_delta;
    guint32 in_ssrc; /* the last packet of the mix in this segment */
    guint16 in_seq;
    guint32 in_ts;
    guint64 packets, octets; /* sent, for sender reports */
    guint32 sr_lsr;          /* middle of our last sender report's NTP time */
    gint64 sr_sent_us;
} CgMixTimeline;

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
    guint feedback;        /* CgSdpFeedback the publisher offered */
    guint audio_level_ext; /* RFC 6464 extension id, 0: none */
    guint8 fraction_lost;  /* of our last receiver report */
    guint32 jitter;        /* of our last receiver report, RTP units */
    guint8 fir_seq;        /* FIR command sequence number */
    gboolean seen;         /* a packet arrived (ssrc and stats are real) */
    CgRtpRecvStats stats;  /* for our receiver reports */
    guint32 sr_lsr;        /* middle of the last SR's NTP time, 0: none */
    gint64 sr_arrival_us;
} CgStream;

struct _CgEndpoint {
    CgMedia *relay;
    CgEndpointId id;
    char *tag;
    CgPc *publish; /* its "pub" connection */
    CgSdp *offer;  /* the publish offer, once taken */
    CgStream streams[CG_N_KINDS];
    GHashTable *subs;        /* publisher id (guint64 *) -> CgPc *, owned */
    GHashTable *subscribers; /* set of subscriber ids this endpoint is routed to */
    GPtrArray *fanout;       /* CgPc * of other endpoints' subs carrying this one */
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
    /* interpretation mixes (mix_route.c) */
    gboolean no_relayed_audio_in; /* receives no audio on its sub-N connections */
    gboolean audio_unrelayed;     /* its audio goes to mixes only */
    GPtrArray *feeds;             /* CgMix * it is a fed input of; NULL when none */
    gboolean mix_path; /* feeds or audio_unrelayed: its audio's one test on the hot path */
    CgPc *mix_pc;      /* its "mix" slot (owned by subs), or NULL */
    CgSdp *mix_source; /* what the slot sends, as a publish offer would say it */
    CgMixId listening; /* the mix its slot carries; 0: nothing */
    CgMix *heard;      /* that mix while it exists */
    CgMixTimeline timeline;
};

struct _CgMedia {
    GMainContext *ctx;
    CgMediaEvents events;
    gpointer user;
    CgIceAgentConfig ice; /* ice.local_addresses -> ice_addresses */
    char **ice_addresses;
    char *stun_server;
    CgDtlsIdentity *identity;
    CgAddressPolicy *address_policy; /* which remote candidates may be probed */
    GHashTable *endpoints;           /* id (guint64 *) -> CgEndpoint *, owned */
    GHashTable *mixes;               /* id (guint64 *) -> CgMix *, owned (mix_route.c) */
    GQueue pending_failures;         /* CgFailure *, delivered from fail_idle */
    GSource *fail_idle;
    GSource *report_timer; /* speech, receiver reports, REMB, liveness, statistics */
    guint ticks;
    gint64 (*now)(gpointer user); /* the relay's one clock (cg_relay_now) */
    gpointer now_user;
    guint8 scratch[CG_PEER_CONN_MAX_PACKET + CG_PEER_CONN_SEND_OVERHEAD];
};

/* relay.c */
CgEndpoint *cg_relay_lookup(CgMedia *relay, CgEndpointId id);
/* The endpoint, or NULL with @error (UNKNOWN_ENDPOINT). */
CgEndpoint *cg_relay_endpoint_or_error(CgMedia *relay, CgEndpointId id, GError **error);
/* Monotonic µs on the relay's clock (a test may inject it: media-testing.h). */
gint64 cg_relay_now(const CgMedia *relay);
/* Queues endpoint_failed for @ep (once), delivered from an idle so that the
 * handler may remove it. */
void cg_relay_fail(CgMedia *relay, CgEndpoint *ep, CgMediaError code, const char *message);

/* A new connection @name of @ep: "pub", a "sub-N" carrying @publisher, or
 * the "mix" slot (CG_MEDIA_MIX_PC); NULL with @error. */
CgPc *cg_relay_pc_new(CgEndpoint *ep, const char *name, CgEndpointId publisher, GError **error);
void cg_relay_pc_free(gpointer pc);
/* Sends our description of @pc (from an idle), then its held candidates. */
void cg_relay_pc_announce(CgPc *pc, const char *type, const char *sdp);

/* offer.c: how a subscribe connection names @pub's media */
typedef struct {
    char stream[32], audio[40], video[40], screen[40];
    const char *mids[4];
    CgSdpRelay relay;
} CgOfferNames;

/* The names for relaying @offer (@pub's) on @sub (its screen slot), or on a
 * new subscribe connection (@sub NULL). Borrows from @offer and @sub. */
void cg_offer_names(const CgEndpoint *pub, const CgSdp *offer, const CgPc *sub, CgOfferNames *n);
/* Can @offer be relayed on @sub (NULL: a new one)? A dry run of the
 * subscribe offer; FALSE with @error (BAD_SDP) if not. */
gboolean cg_offer_relayable(const CgEndpoint *pub, const CgSdp *offer, const CgPc *sub,
                            GError **error);
/* Checks a publish @offer of @ep completely, before anything changes: it
 * sends something, its mids and SSRCs are sound and unique, the role rules
 * (screen share) hold, a later offer changes only what may change (and
 * *@restart tells an ICE restart), and what it sends can be relayed to every
 * subscriber. FALSE with @error (BAD_SDP) naming the problem. */
gboolean cg_offer_check(const CgEndpoint *ep, const CgSdp *offer, gboolean *restart,
                        GError **error);
/* The first usable m-line's ICE ufrag, or NULL. */
const char *cg_offer_first_ufrag(const CgSdp *sdp);

/* forward.c: the packet paths, as CgPeerConn callbacks (@user: CgPc) */
void cg_forward_pub_rtp(gpointer user, guint8 *packet, gsize len, gsize capacity);
void cg_forward_pub_rtcp(gpointer user, guint8 *packet, gsize len, gsize capacity);
void cg_forward_sub_rtcp(gpointer user, guint8 *packet, gsize len, gsize capacity);
/* Asks @pub for a key frame of each video it sends (coalesced). */
void cg_forward_ask_keyframe(CgEndpoint *pub);
/* Every CG_RELAY_REPORT_MS: receiver reports and REMB to each publisher. */
void cg_forward_reports(CgMedia *relay);
/* Every CG_MEDIA_SPEECH_INTERVAL_MS: endpoint_speaking for who spoke. */
void cg_forward_speech(CgMedia *relay);
/* Every CG_MEDIA_STATS_INTERVAL_MS: endpoint_stats for each endpoint. */
void cg_forward_stats(CgMedia *relay);

#define CG_RELAY_REPORT_MS 1000u

/* offer.c: what a "mix" slot sends, as the publish offer it is offered from:
 * one sendonly Opus m-line (CG_MIXER_PAYLOAD_TYPE, mid 0, no header
 * extensions) from @ssrc, and the names it goes under ("cg-mix"). */
CgSdp *cg_offer_mix_source(guint32 ssrc);
void cg_offer_mix_names(CgOfferNames *n);

/* mix_route.c: mixes, their inputs and listeners */
/* Copies one audio packet of @ep (which feeds a mix, is not muted) into each
 * mix it feeds. */
void cg_mix_route_tap(CgEndpoint *ep, const guint8 *packet, gsize len);
/* @ep's publish offer was taken: feed the mixes that list it. */
void cg_mix_route_published(CgEndpoint *ep);
/* @ep is going: out of every mix, as input and as listener. */
void cg_mix_route_endpoint_gone(CgEndpoint *ep);
/* RTCP from the endpoint on its "mix" slot (@user: CgPc): its receiver
 * reports feed the endpoint's statistics; nothing is forwarded. */
void cg_mix_route_slot_rtcp(gpointer user, guint8 *packet, gsize len, gsize capacity);
/* Every CG_RELAY_REPORT_MS: a sender report on each slot that sends. */
void cg_mix_route_reports(CgMedia *relay);
/* Frees every mix (cg_media_free, before the endpoints). */
void cg_mix_route_free_all(CgMedia *relay);
/* The slot's next packet for a packet of its mix (@in_ssrc, @in_seq,
 * @in_ts) at @now_us: the sequence number and timestamp to send; a jump of
 * the mix's own line, or tl->rebase, continues the slot's line. Pure. */
void cg_mix_timeline_next(CgMixTimeline *tl, guint32 in_ssrc, guint16 in_seq, guint32 in_ts,
                          gint64 now_us, guint16 *out_seq, guint32 *out_ts, gboolean *marker);
