/* media.h — the relay, as the rest of consultd sees it.
 *
 * CgMedia owns every endpoint's WebRTC connections and relays RTP between them
 * (an SFU: no transcoding). This interface says nothing of how: the relay path
 * behind it may change without touching signaling/ or daemon/.
 *
 * Vocabulary (see docs/protocol.md): an endpoint has one publish connection
 * ("pub", the endpoint offers) and, per routed publisher, one subscribe
 * connection ("sub-N", media offers). Connection names are chosen by media and
 * are opaque to callers.
 *
 * Threads: every function must be called on the GMainContext that was the
 * thread-default when cg_media_new() ran; every event is delivered there too.
 *
 * Security: each connection's DTLS certificate is checked against the SDP's
 * a=fingerprint; nothing is relayed to or from an endpoint before its check
 * passes, and a mismatch fails the endpoint (CG_MEDIA_ERROR_FINGERPRINT_MISMATCH).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CgMedia CgMedia;
typedef guint64 CgEndpointId; /* chosen by the caller; 0 is never a valid id */

#define CG_MEDIA_ERROR (cg_media_error_quark())
GQuark cg_media_error_quark(void);

typedef enum {
    CG_MEDIA_ERROR_BAD_SDP,              /* protocol: bad_sdp */
    CG_MEDIA_ERROR_DTLS_REQUIRED,        /* protocol: dtls_required */
    CG_MEDIA_ERROR_FINGERPRINT_MISMATCH, /* protocol: dtls_fingerprint_mismatch */
    CG_MEDIA_ERROR_UNKNOWN_ENDPOINT,     /* programmer error on the caller's side */
    CG_MEDIA_ERROR_UNKNOWN_PC,           /* protocol: unknown_pc */
    CG_MEDIA_ERROR_LIMIT,                /* a named limit was exceeded (candidates, ...) */
    CG_MEDIA_ERROR_FAILED,               /* protocol: media_failed */
} CgMediaError;

typedef struct {
    /* NULL-terminated list of local IP addresses ICE may gather on (never every
     * interface); must not be empty. */
    const char *const *ice_addresses;
    guint rtp_port_min;      /* 0 = any */
    guint rtp_port_max;      /* 0 = any */
    const char *stun_server; /* "host:port" or NULL */
    /* NULL-terminated "ADDRESS/PREFIX" networks that remote candidates may
     * point into although loopback/private/link-local (see address_policy.h);
     * NULL or empty: public addresses only. */
    const char *const *allowed_remote_networks;
    gboolean ice_tcp; /* also gather ICE-TCP candidates (for networks without UDP) */
} CgMediaConfig;

#define CG_MEDIA_STATS_INTERVAL_MS 2000u
#define CG_MEDIA_SPEECH_INTERVAL_MS 500u
#define CG_MEDIA_KEYFRAME_RETRY_MS 300u /* repeat/coalescing interval of PLI/FIR */
#define CG_MEDIA_CONSENT_TIMEOUT_S 30u  /* no authenticated packet for this long: fail */
/* The lowest receiver estimate (REMB) that counts towards what a publisher is
 * asked to send: a subscriber reporting less (a lie, or a link too poor for
 * any picture: audio-only mode is for that) degrades the video for nobody
 * below this. 100 kbps still carries a small VP8 picture (~320x180 at a low
 * frame rate) that is worth seeing in a consult. The consult's cap, when
 * lower, still wins. */
#define CG_MEDIA_REMB_FLOOR_KBPS 100u

/* One endpoint's link as consultd sees it. -1 where nothing is known yet. */
typedef struct {
    /* what the endpoint sends (its publish connection), as consultd receives it */
    double in_kbps;
    double in_loss_pct;  /* packets lost on the way in, last report interval */
    double in_jitter_ms; /* interarrival jitter of its audio (video if none) */
    /* what consultd sends it (its subscribe connections), from its receiver reports */
    double out_kbps;
    double out_loss_pct;
    double out_jitter_ms;
    double rtt_ms; /* consultd <-> endpoint round trip */
} CgMediaStats;

typedef struct {
    /* Send a session description to endpoint @ep for connection @pc.
     * @publisher is the endpoint whose media the connection carries (for a
     * subscribe connection), or 0 for the endpoint's own publish connection.
     * @type is "offer" or "answer". Strings are borrowed for the call. */
    void (*description)(gpointer user, CgEndpointId ep, const char *pc, CgEndpointId publisher,
                        const char *type, const char *sdp);
    /* A local ICE candidate for @pc; "" means end of candidates. */
    void (*candidate)(gpointer user, CgEndpointId ep, const char *pc, guint mline_index,
                      const char *candidate);
    /* Connection @pc of @ep is gone (its publisher was removed). */
    void (*pc_closed)(gpointer user, CgEndpointId ep, const char *pc);
    /* The endpoint's media failed for good; the caller should remove it.
     * Delivered at most once per endpoint. */
    void (*endpoint_failed)(gpointer user, CgEndpointId ep, CgMediaError code, const char *message);
    /* Optional. Every CG_MEDIA_STATS_INTERVAL_MS, per endpoint
     * with a connection up: how its link looks from consultd. */
    void (*endpoint_stats)(gpointer user, CgEndpointId ep, const CgMediaStats *stats);
    /* Optional. Every CG_MEDIA_SPEECH_INTERVAL_MS, for each
     * endpoint whose audio carried voice in that interval (RFC 6464 audio
     * level extension, V flag): its loudest level, in -dBov (0 loudest, 127
     * silence). Muted endpoints are not reported. */
    void (*endpoint_speaking)(gpointer user, CgEndpointId ep, guint level_dbov);
} CgMediaEvents;

/* Returns (transfer full) a relay, or NULL with @error set. @config and
 * @events are copied. */
CgMedia *cg_media_new(const CgMediaConfig *config, const CgMediaEvents *events, gpointer user,
                      GError **error);
/* Removes every endpoint and frees the relay. Safe with NULL. */
void cg_media_free(CgMedia *media);

/* Creates the endpoint's resources. @log_tag (e.g. "[consult|c-8d1e][ep|3]")
 * prefixes its log lines. Fails if @ep exists. */
gboolean cg_media_endpoint_add(CgMedia *media, CgEndpointId ep, const char *log_tag,
                               GError **error);
/* Tears down every connection of @ep, and every subscribe connection that
 * carried its media (pc_closed is emitted for those). No-op if unknown. */
void cg_media_endpoint_remove(CgMedia *media, CgEndpointId ep);

/* A description from the endpoint: an "offer" on "pub", or an "answer" on a
 * "sub-N" connection. SDP policy (DTLS-SRTP only, Opus/VP8 only, size limit)
 * is enforced here. The relay checks a publish offer whole (mids,
 * SSRCs, role rules, that it can be relayed) before anything changes, so a
 * refusal (BAD_SDP) concerns @ep alone; and it keeps at most one offer out
 * per subscribe connection, sending what changed meanwhile once the answer
 * is in. */
gboolean cg_media_remote_description(CgMedia *media, CgEndpointId ep, const char *pc,
                                     const char *type, const char *sdp, GError **error);
/* A trickled candidate from the endpoint; "" = end of candidates. */
gboolean cg_media_remote_candidate(CgMedia *media, CgEndpointId ep, const char *pc,
                                   guint mline_index, const char *candidate, GError **error);

/* Stops (or resumes) relaying @ep's audio to everyone; its video is not
 * touched. Holds across renegotiation; unknown @ep is an error. */
gboolean cg_media_endpoint_set_audio_muted(CgMedia *media, CgEndpointId ep, gboolean muted,
                                           GError **error);

/* Audio-only mode for @ep's own reception: stops (or resumes) relaying any
 * video to it, to save its bandwidth; audio goes on. On resume, key frames
 * are requested so the pictures come back at once. */
gboolean cg_media_endpoint_set_receive_video(CgMedia *media, CgEndpointId ep, gboolean receive,
                                             GError **error);

/* Screen share: may @ep publish a second video (its publish offer's second
 * sending VP8 m-line, relayed as a separate track "cg-<id>-screen" on an
 * a=content:slides m-line)? FALSE by default: clinicians only, the caller
 * decides. An offer that shares without it is refused (bad_sdp). */
gboolean cg_media_endpoint_set_screen_share_allowed(CgMedia *media, CgEndpointId ep,
                                                    gboolean allowed, GError **error);

/* Caps the video bitrate @ep publishes at @kbps (0: no cap; per-consult
 * bitrate cap). The relay's REMB to the publisher never asks for more
 * (browsers honour REMB as their sending limit); below the cap, REMB carries
 * the slowest subscriber's estimate, each raised to CG_MEDIA_REMB_FLOOR_KBPS
 * first (one receiver cannot pin the others' picture), and not counting
 * subscribers that receive no video. Unknown @ep is an error. */
gboolean cg_media_endpoint_set_video_bitrate_cap(CgMedia *media, CgEndpointId ep, guint kbps,
                                                 GError **error);

/* Relay everything @publisher publishes to @subscriber. May be called before
 * the publisher has published: the subscribe connection is offered as soon as
 * the publisher's publish connection is negotiated. Idempotent. */
gboolean cg_media_route(CgMedia *media, CgEndpointId publisher, CgEndpointId subscriber,
                        GError **error);

/* ---- Interpretation mixes (simultaneous interpretation) -----------------
 *
 * A mix is made by consultd (media/mixer/) from the audio of chosen
 * endpoints, each at its own gain, and sent to the endpoints that listen to
 * it on their mix slot: a subscribe connection named "mix" with one audio
 * m-line (Opus), offered like a "sub-N" (description event with publisher
 * 0). What the slot carries changes with cg_media_endpoint_listen() without
 * renegotiation: one SSRC, sequence numbers and timestamps continuous across
 * changes. A mix's inputs are its endpoints' decrypted audio as published
 * (a muted endpoint, cg_media_endpoint_set_audio_muted, feeds no mix). */

typedef guint64 CgMixId; /* chosen by the caller; 0 is never a valid id */

typedef struct {
    CgEndpointId ep;
    double gain; /* linear 0..1 */
} CgMediaMixInput;

#define CG_MEDIA_MIX_PC "mix"

/* Gives @ep a mix slot (offered at once, or as soon as possible) or takes it
 * away (pc_closed "mix"). Idempotent. */
gboolean cg_media_endpoint_set_mix_slot(CgMedia *media, CgEndpointId ep, gboolean enabled,
                                        GError **error);
/* Creates mix @mix, or changes its inputs to exactly @inputs (those not
 * listed are removed; gains change as one step, see mixer.h). An endpoint
 * that does not exist (yet) or publishes no audio is kept as an input and
 * fed once it publishes. FALSE with @error (FAILED) for mix id 0, endpoint
 * id 0, a gain outside 0..1, an endpoint listed twice, or a mixer that
 * cannot be made; nothing changes then. */
gboolean cg_media_mix_set(CgMedia *media, CgMixId mix, const CgMediaMixInput *inputs,
                          guint n_inputs, GError **error);
/* Stops and frees mix @mix; its listeners' slots carry nothing. No-op if unknown. */
void cg_media_mix_remove(CgMedia *media, CgMixId mix);
/* What @ep's mix slot carries: mix @mix, or nothing (0). The change is heard
 * at the next packet of the new mix. @mix need not exist (yet): the slot
 * carries nothing while no mix has that id (created later, or removed). */
gboolean cg_media_endpoint_listen(CgMedia *media, CgEndpointId ep, CgMixId mix, GError **error);
/* Does @ep receive the audio of other endpoints on the relay path (its
 * "sub-N" connections)? TRUE by default; a listener on a language channel
 * and an interpreter hear mixes instead. Video is not touched. */
gboolean cg_media_endpoint_set_receive_relayed_audio(CgMedia *media, CgEndpointId ep,
                                                     gboolean receive, GError **error);
/* Is @ep's own audio relayed to others on the relay path? TRUE by default;
 * FALSE for a simultaneous interpreter, heard only through mixes. Unlike
 * mute, it still feeds mixes. */
gboolean cg_media_endpoint_set_audio_relayed(CgMedia *media, CgEndpointId ep, gboolean relayed,
                                             GError **error);

G_END_DECLS
