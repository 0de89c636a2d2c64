/* sdp.h — the relay's SDP model (pure).
 *
 * consultd reads the endpoint's SDP itself and writes its own. This module does both, and nothing
 * else:
 *  - cg_sdp_parse() turns a remote description (an offer on "pub", an
 *    answer on "sub-N") into a CgSdp: plain data, owned by the caller;
 *  - cg_sdp_build_answer() writes consultd's answer to a publish offer;
 *  - cg_sdp_build_sub_offer() writes consultd's offer for a subscribe
 *    connection relaying one publisher, with the publisher's payload types and
 *    SSRCs so that packets are forwarded without rewriting them;
 *  - cg_sdp_check_answer() checks the endpoint's answer to that offer and
 *    reports what it accepted (payload types, feedback, extension ids).
 *
 * Policy first: cg_sdp_parse() runs cg_sdp_policy_apply() (size limit,
 * DTLS-SRTP only, Opus/VP8 only, one fingerprint) and refuses what it refuses.
 * The policy keeps the m-lines' number and order but drops RTX payload types
 * and a=ssrc-group (the first relay, webrtcbin, could not take them). The model takes everything
 * from the filtered text, except the port (to tell "rejected by the peer" from "nothing usable"),
 * the RTX payload type and a=ssrc-group:FID, which it reads from the original text, m-line by
 * m-line.
 *
 * Transport: the relay runs one ICE agent for one BUNDLE transport with
 * rtcp-mux (ice_agent.h), so an offer whose usable m-lines are not all in its
 * BUNDLE group, or lack a=rtcp-mux, cannot be answered (BAD_SDP). consultd does
 * full ICE (no a=ice-lite) with trickle. A port-0 m-line is rejected, and
 * answered rejected, unless it says a=bundle-only (RFC 8843 7.2: max-bundle
 * offerers such as webrtcbin and Chrome send every m-line but the first so).
 *
 * Candidates: stored and taken as a=candidate values in the form the
 * "candidate" message carries ("candidate:1 1 UDP ... typ host"). They are NOT
 * checked against the address policy here; cg_ice_agent_add_remote_candidate()
 * does that.
 *
 * Limits: m-lines CG_MEDIA_MAX_MLINES, candidates per description
 * CG_MEDIA_MAX_REMOTE_CANDIDATES, bytes per candidate CG_MEDIA_MAX_CANDIDATE_BYTES
 * (media-limits.h); per m-line at most CG_SDP_MAX_EXTMAPS header
 * extensions and CG_SDP_MAX_SSRCS SSRCs. More is CG_MEDIA_ERROR_LIMIT.
 *
 * No main loop, no globals, no clock: safe on any thread. Errors are in
 * CG_MEDIA_ERROR (media.h). Nothing a peer sends reaches an assert.
 */
#pragma once

#include <glib.h>

#include "media-limits.h"
#include "sdp_policy.h"

G_BEGIN_DECLS

#define CG_SDP_MAX_EXTMAPS 32u /* a=extmap per m-line (Chrome sends ~12) */
#define CG_SDP_MAX_SSRCS 16u   /* distinct a=ssrc per m-line (simulcast+RTX: 6) */

#define CG_SDP_EXT_MID "urn:ietf:params:rtp-hdrext:sdes:mid"
#define CG_SDP_EXT_AUDIO_LEVEL "urn:ietf:params:rtp-hdrext:ssrc-audio-level"

typedef enum {
    CG_SDP_KIND_OTHER, /* application, text, ...: always rejected */
    CG_SDP_KIND_AUDIO,
    CG_SDP_KIND_VIDEO,
} CgSdpKind;

typedef enum {
    CG_SDP_SENDRECV, /* also when the m-line names no direction */
    CG_SDP_SENDONLY,
    CG_SDP_RECVONLY,
    CG_SDP_INACTIVE,
} CgSdpDirection;

typedef enum {
    CG_SDP_SETUP_NONE, /* absent or unknown; as a parameter: "choose" */
    CG_SDP_SETUP_ACTPASS,
    CG_SDP_SETUP_ACTIVE,  /* DTLS client */
    CG_SDP_SETUP_PASSIVE, /* DTLS server */
} CgSdpSetup;

/* a=rtcp-fb kinds, as flags. */
typedef enum {
    CG_SDP_FB_NACK = 1 << 0,
    CG_SDP_FB_PLI = 1 << 1,          /* nack pli */
    CG_SDP_FB_FIR = 1 << 2,          /* ccm fir */
    CG_SDP_FB_REMB = 1 << 3,         /* goog-remb */
    CG_SDP_FB_TRANSPORT_CC = 1 << 4, /* transport-cc */
} CgSdpFeedback;

/* The feedback consultd uses; transport-cc is not (it needs the extension). */
#define CG_SDP_FB_SUPPORTED (CG_SDP_FB_NACK | CG_SDP_FB_PLI | CG_SDP_FB_FIR | CG_SDP_FB_REMB)

typedef struct {
    gboolean present; /* FALSE: the m-line offers neither Opus nor VP8 */
    guint pt;
    guint clock_rate;
    guint channels; /* 0 when not given (video) */
    char *fmtp;     /* parameters after the payload type, or NULL */
    guint feedback; /* CgSdpFeedback flags, "*" lines included */
    gint rtx_pt;    /* the RTX payload type with apt=pt, or -1 */
} CgSdpCodec;

typedef struct {
    guint id; /* 1..255 */
    char *uri;
} CgSdpExtmap;

typedef struct {
    guint32 ssrc;
    char *cname;       /* or NULL */
    char *msid_stream; /* from "a=ssrc:N msid:STREAM TRACK", or NULL */
    char *msid_track;
} CgSdpSsrc;

typedef struct {
    CgSdpKind kind;
    char *media_type;   /* "audio", "video", "application", ... as sent */
    char *proto;        /* "UDP/TLS/RTP/SAVPF", ... */
    char *first_format; /* the first m= format as sent, for a rejecting answer */
    char *mid;          /* or NULL */
    CgSdpDirection direction;
    gboolean rejected; /* port 0 in the text as sent, without a=bundle-only */
    CgSdpCodec codec;  /* first Opus (audio) or first VP8 (video) */
    CgSdpExtmap extmaps[CG_SDP_MAX_EXTMAPS];
    guint n_extmaps;
    CgSdpSsrc ssrcs[CG_SDP_MAX_SSRCS]; /* in order of first appearance */
    guint n_ssrcs;
    guint32 fid_media, fid_rtx; /* the first a=ssrc-group:FID; both 0 when none */
    char *msid_stream;          /* a=msid, else the first SSRC's msid; or NULL */
    char *msid_track;
    char *ice_ufrag; /* media level, else session level; NULL when neither */
    char *ice_pwd;
    gboolean ice_trickle;
    CgSdpSetup setup; /* media level, else session level */
    gboolean rtcp_mux;
    GStrv candidates; /* "candidate:..." values, never NULL (may be empty) */
    gboolean end_of_candidates;
} CgSdpMedia;

typedef struct {
    GStrv bundle_mids; /* the first a=group:BUNDLE, never NULL (may be empty) */
    gboolean ice_lite;
    CgSdpFingerprint fingerprint; /* from the policy: lower-case hash, upper-case hex */
    guint n_media;
    CgSdpMedia media[CG_MEDIA_MAX_MLINES];
} CgSdp;

/* Parses @sdp (@len bytes, not necessarily NUL-terminated) after
 * cg_sdp_policy_apply(). Returns (transfer full) the model, freed with
 * cg_sdp_free(), or NULL with @error set (BAD_SDP, DTLS_REQUIRED, LIMIT).
 * A usable m-line (cg_sdp_media_usable()) must have ICE credentials. */
CgSdp *cg_sdp_parse(const char *sdp, gsize len, GError **error);
void cg_sdp_free(CgSdp *sdp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgSdp, cg_sdp_free)

/* Not rejected, audio or video, and with a codec consultd relays. */
gboolean cg_sdp_media_usable(const CgSdpMedia *m);
/* The publisher's @nth (0: first) usable m-line of @kind that it sends on, or
 * NULL. The second sending video m-line is a screen share. (transfer none) */
const CgSdpMedia *cg_sdp_sending(const CgSdp *sdp, CgSdpKind kind, guint nth);
/* The id @m gives the extension @uri, or 0. */
guint cg_sdp_media_extmap_id(const CgSdpMedia *m, const char *uri);

/* What consultd puts in its own descriptions. Strings are borrowed. */
typedef struct {
    const char *ice_ufrag;               /* required */
    const char *ice_pwd;                 /* required */
    const CgSdpFingerprint *fingerprint; /* required: our DTLS certificate's */
    /* Answers only: our DTLS role. NONE chooses: passive (DTLS server) when the
     * offerer says actpass or active, active when it says passive. Passive is
     * preferred because the endpoint then starts the handshake as soon as its
     * ICE pair works, and consultd runs no DTLS retransmission timer for
     * endpoints that never connect. Offers always say actpass. */
    CgSdpSetup setup;
    /* NULL-terminated "candidate:..." values, written on the first (BUNDLE-tag)
     * m-line; NULL: none (they are trickled). */
    const char *const *candidates;
    gboolean end_of_candidates; /* add a=end-of-candidates there */
    guint64 session_id;         /* o= line; the caller picks it (no randomness here) */
    guint session_version;
} CgSdpLocal;

/* consultd's answer to a publish @offer (from cg_sdp_parse()): each usable
 * m-line recvonly (inactive if the offer does not send), same mids, the chosen
 * codec only (Opus with minptime=10;useinbandfec=1;usedtx=1), the supported
 * feedback the offer has, RTX for video if offered, the mid and audio-level
 * extensions with the offer's ids; other m-lines rejected (port 0). Returns
 * (transfer full) the SDP text, or NULL with @error (BAD_SDP: nothing usable,
 * not BUNDLEd, no rtcp-mux, DTLS roles conflict; FAILED: bad @local). */
char *cg_sdp_build_answer(const CgSdp *offer, const CgSdpLocal *local, GError **error);

/* How a subscribe connection names what it relays. Strings are borrowed and
 * must be RFC 8830 tokens (no spaces). */
typedef struct {
    const char *stream_id;      /* required: a=msid stream, the publisher's label */
    const char *audio_track_id; /* required if the publisher sends audio */
    const char *video_track_id; /* required if the publisher sends video */
    const char *cname;          /* NULL: the publisher's own (its RTCP is relayed) */
    const char *const *mids;    /* NULL-terminated, one per m-line; NULL: "0", "1", "2" */
    /* Screen share: the publisher's second sending VP8 m-line is relayed on a
     * third m-line (a=content:slides, this track id); NULL: never relayed. */
    const char *screen_track_id;
    /* An earlier offer of this connection had the screen m-line: keep it
     * (inactive) while the publisher does not share, as an offer may not drop
     * an m-line (RFC 3264 8). */
    gboolean screen_slot;
    /* The codec's a=fmtp exactly as @publisher has it, without the Opus
     * resilience parameters added (a mix slot: what consultd's own encoder
     * does, no DTX). */
    gboolean fmtp_as_is;
} CgSdpRelay;

/* consultd's offer for a subscribe connection carrying @publisher (a parsed
 * publish offer): m-line 0 relays the publisher's first usable sending audio
 * m-line, the next its first usable sending video m-line (whichever exist, in
 * that order), sendonly, BUNDLEd, rtcp-mux, actpass; the publisher's payload
 * types, RTX, SSRCs and ssrc-group:FID; the mid and audio-level extensions with
 * the publisher's ids (the mid extension's value is the subscriber's mid: the
 * relay rewrites it when the mids differ); then the screen share m-line if
 * @relay asks for one (see CgSdpRelay). Returns (transfer full) the SDP
 * text, or NULL with @error (BAD_SDP: the publisher sends nothing usable;
 * FAILED: bad @local or @relay). */
char *cg_sdp_build_sub_offer(const CgSdp *publisher, const CgSdpLocal *local,
                             const CgSdpRelay *relay, GError **error);

/* What the endpoint's answer accepted, per m-line of our offer. */
typedef struct {
    gboolean active;  /* FALSE: the answer rejected (port 0) or made it inactive */
    guint pt;         /* the codec's payload type (ours: the answer must use it) */
    gint rtx_pt;      /* -1: no RTX */
    guint feedback;   /* CgSdpFeedback both sides have */
    guint ext_mid_id; /* the answer's id, 0: not accepted */
    guint ext_audio_level_id;
} CgSdpAccepted;

/* Checks @answer (parsed) against @offer (our offer, parsed back with
 * cg_sdp_parse()): same number of m-lines, same kinds and mids,
 * directions compatible, our codec accepted on every active m-line, a DTLS role
 * that completes ours, rtcp-mux, at least one active m-line. Fills @accepted
 * (nullable; CG_MEDIA_MAX_MLINES entries, @offer->n_media used). FALSE with
 * @error (BAD_SDP) naming the first problem. */
gboolean cg_sdp_check_answer(const CgSdp *offer, const CgSdp *answer, CgSdpAccepted *accepted,
                             GError **error);

G_END_DECLS
