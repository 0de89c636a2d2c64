/* signaling.h — consultd's front door: HTTPS (web client, admin API, health)
 * and the endpoint WebSocket (docs/protocol.md), on one TLS port, with
 * libwebsockets running on the GLib main loop.
 *
 * Signaling owns sockets, join authorisation (tokens, tenants, consults) and
 * room membership: it tells joined peers about each other itself. It knows
 * nothing of media: the daemon receives peer events here and calls back with
 * messages to send. Peers are named by CgPeerId, never 0.
 *
 * Threads: main thread only; events are delivered from the main loop.
 */
#pragma once

#include <glib.h>

#include "config.h"
#include "interpretation.h"

G_BEGIN_DECLS

typedef struct _CgSignaling CgSignaling;
typedef guint64 CgPeerId;

typedef struct {
    const char *participant_id;
    const char *consult_id;
    const char *tenant_id;
    const char *role;
    const char *name;
    const char *log_tag; /* "[consult|c-…][peer|7]" */
    /* The consult's cap on the video this peer publishes, kbps (0 = none):
     * set when it is admitted, kept current by consult_video_bitrate_changed. */
    guint video_bitrate_kbps;
    /* From the join token (issue 11), NULL when absent: the interpretation
     * channel an interpreter speaks into (anyone else: where it starts), and
     * the channel a relay interpreter listens to instead of the floor. */
    const char *language;
    const char *relay_from;
} CgPeerInfo;

/* Failures of a peer's request, mapped 1:1 onto protocol error codes. */
#define CG_PEER_ERROR (cg_peer_error_quark())
GQuark cg_peer_error_quark(void);
typedef enum {
    CG_PEER_ERROR_BAD_SDP,              /* bad_sdp: socket stays open */
    CG_PEER_ERROR_DTLS_REQUIRED,        /* dtls_required: socket stays open */
    CG_PEER_ERROR_UNKNOWN_PC,           /* unknown_pc: socket stays open */
    CG_PEER_ERROR_FINGERPRINT_MISMATCH, /* dtls_fingerprint_mismatch: close 1008 */
    CG_PEER_ERROR_MEDIA_FAILED,         /* media_failed: close 1011 */
    CG_PEER_ERROR_INTERNAL,             /* internal: close 1011 */
} CgPeerError;

typedef struct {
    /* A peer joined (already told the others). Returning FALSE fails it. */
    gboolean (*peer_joined)(gpointer user, CgPeerId peer, GError **error);
    /* An offer/answer or candidate from a joined peer; an error (CG_PEER_ERROR)
     * is reported to the peer. */
    gboolean (*peer_description)(gpointer user, CgPeerId peer, const char *pc, const char *type,
                                 const char *sdp, GError **error);
    gboolean (*peer_candidate)(gpointer user, CgPeerId peer, const char *pc, guint mline_index,
                               const char *candidate, GError **error);
    /* A joined peer is gone (the others are told already). */
    void (*peer_left)(gpointer user, CgPeerId peer);
    /* A specialist muted (or unmuted) a peer that may not unmute itself: its
     * audio must reach nobody until unmuted. */
    void (*peer_audio_muted)(gpointer user, CgPeerId peer, gboolean muted);
    /* Audio-only mode: the peer asks to receive no video (or video again). */
    void (*peer_receive_video)(gpointer user, CgPeerId peer, gboolean receive);
    /* The admin API changed the video bitrate cap of @consult_id while peers
     * are joined: each joined peer's info says @kbps (0 = none) already, and
     * its publishing must be held to it from now on. Optional. */
    void (*consult_video_bitrate_changed)(gpointer user, const char *consult_id, guint kbps);
    /* Something that shapes @consult_id's interpretation plan changed (a
     * member came or went, a channel, who is live, a mute, the floor level):
     * cg_signaling_interpretation() says how it is now (NULL once the consult
     * has nobody left). Optional. */
    void (*consult_interpretation_changed)(gpointer user, const char *consult_id);
} CgSignalingEvents;

/* Starts listening on @loop's context. @config and @events are borrowed and
 * copied respectively; @config must outlive the server. */
CgSignaling *cg_signaling_new(const CgConfig *config, GMainLoop *loop,
                              const CgSignalingEvents *events, gpointer user, GError **error);
void cg_signaling_free(CgSignaling *signaling);

/* The TCP port actually listened on (useful when configured as 0). */
guint cg_signaling_port(CgSignaling *signaling);

/* (transfer none) valid until peer_left returns, or NULL. */
const CgPeerInfo *cg_signaling_peer_info(CgSignaling *signaling, CgPeerId peer);
/* (transfer full) the joined peers of @consult_id. */
GArray *cg_signaling_consult_peers(CgSignaling *signaling, const char *consult_id);

/* (transfer none) the interpretation state of @consult_id (its members are
 * the joined peers, CgInterpJoin.peer their CgPeerId), valid until the next
 * event; NULL when the consult is not live here (nobody in it). cg_interp_plan()
 * gives what media must do. */
const CgInterp *cg_signaling_interpretation(CgSignaling *signaling, const char *consult_id);

/* Queues @json (transfer full) for @peer; dropped if the peer is gone. */
void cg_signaling_send(CgSignaling *signaling, CgPeerId peer, char *json);
/* Reports @error (CG_PEER_ERROR) to the peer, closing it when the code says so. */
void cg_signaling_fail_peer(CgSignaling *signaling, CgPeerId peer, const GError *error);

/* Stops accepting, says bye to every peer and closes them (1001). @done runs
 * once all sockets are closed or the configured shutdown timeout passed. */
void cg_signaling_shutdown(CgSignaling *signaling, GSourceFunc done, gpointer done_data);

G_END_DECLS
