#include "session.h"

#include "active_speaker.h"
#include "interpretation_wiring.h"
#include "link_quality.h"
#include "media.h"
#include "protocol.h"
#include "roles.h"
#include "signaling.h"

struct _CgSession {
    CgSignaling *signaling;
    CgMedia *media;
    GHashTable *speakers;   /* consult id -> CgActiveSpeaker *, while someone spoke there */
    CgInterpWiring *interp; /* interpretation plans applied to media (issue 11) */
    guint interp_sweep;     /* removes the mixes nobody heard for a while */
};

/* media -> signaling */

static void on_media_description(gpointer user, CgEndpointId ep, const char *pc,
                                 CgEndpointId publisher, const char *type, const char *sdp)
{
    CgSession *session = user;
    const CgPeerInfo *source =
        publisher ? cg_signaling_peer_info(session->signaling, publisher) : NULL;
    if (publisher && !source)
        return; /* the publisher left meanwhile; its pc_closed follows */
    cg_signaling_send(
        session->signaling, ep,
        cg_protocol_description(type, pc, source ? source->participant_id : NULL, sdp));
}

static void on_media_candidate(gpointer user, CgEndpointId ep, const char *pc, guint mline,
                               const char *candidate)
{
    CgSession *session = user;
    cg_signaling_send(session->signaling, ep, cg_protocol_candidate(pc, mline, candidate));
}

static void on_media_pc_closed(gpointer user, CgEndpointId ep, const char *pc)
{
    CgSession *session = user;
    cg_signaling_send(session->signaling, ep, cg_protocol_pc_closed(pc));
}

static CgPeerError peer_error_for(CgMediaError code)
{
    switch (code) {
    case CG_MEDIA_ERROR_BAD_SDP:
    case CG_MEDIA_ERROR_LIMIT:
        return CG_PEER_ERROR_BAD_SDP;
    case CG_MEDIA_ERROR_DTLS_REQUIRED:
        return CG_PEER_ERROR_DTLS_REQUIRED;
    case CG_MEDIA_ERROR_FINGERPRINT_MISMATCH:
        return CG_PEER_ERROR_FINGERPRINT_MISMATCH;
    case CG_MEDIA_ERROR_UNKNOWN_PC:
        return CG_PEER_ERROR_UNKNOWN_PC;
    case CG_MEDIA_ERROR_FAILED:
        return CG_PEER_ERROR_MEDIA_FAILED;
    case CG_MEDIA_ERROR_UNKNOWN_ENDPOINT:
    default:
        return CG_PEER_ERROR_INTERNAL;
    }
}

/* A media GError becomes the peer error the protocol names. */
static gboolean to_peer_error(GError **error)
{
    if (error && *error && (*error)->domain == CG_MEDIA_ERROR) {
        GError *peer_error =
            g_error_new_literal(CG_PEER_ERROR, peer_error_for((*error)->code), (*error)->message);
        g_error_free(*error);
        *error = peer_error;
    }
    return FALSE;
}

static void on_media_endpoint_failed(gpointer user, CgEndpointId ep, CgMediaError code,
                                     const char *message)
{
    CgSession *session = user;
    g_autoptr(GError) error = g_error_new_literal(CG_PEER_ERROR, peer_error_for(code), message);
    cg_signaling_fail_peer(session->signaling, ep, error);
}

static double worse(double a, double b)
{
    return MAX(a, b); /* unknown is negative */
}

static void on_media_stats(gpointer user, CgEndpointId ep, const CgMediaStats *stats)
{
    CgSession *session = user;
    CgLinkQuality quality =
        cg_link_quality(worse(stats->in_loss_pct, stats->out_loss_pct), stats->rtt_ms,
                        worse(stats->in_jitter_ms, stats->out_jitter_ms));
    CgProtocolStats message = {
        .interval_ms = CG_MEDIA_STATS_INTERVAL_MS,
        .quality = cg_link_quality_name(quality),
        .rtt_ms = stats->rtt_ms,
        .sent_kbps = stats->in_kbps,
        .sent_loss_pct = stats->in_loss_pct,
        .sent_jitter_ms = stats->in_jitter_ms,
        .received_kbps = stats->out_kbps,
        .received_loss_pct = stats->out_loss_pct,
        .received_jitter_ms = stats->out_jitter_ms,
    };
    cg_signaling_send(session->signaling, ep, cg_protocol_stats(&message));
}

static void on_media_speaking(gpointer user, CgEndpointId ep, guint level_dbov)
{
    CgSession *session = user;
    const CgPeerInfo *info = cg_signaling_peer_info(session->signaling, ep);
    if (!info)
        return;
    CgActiveSpeaker *speaker = g_hash_table_lookup(session->speakers, info->consult_id);
    if (!speaker) {
        speaker = cg_active_speaker_new();
        g_hash_table_insert(session->speakers, g_strdup(info->consult_id), speaker);
    }
    const char *now_speaking = cg_active_speaker_heard(speaker, info->participant_id, level_dbov,
                                                       g_get_monotonic_time() / 1000);
    if (!now_speaking)
        return;
    g_autoptr(GArray) peers = cg_signaling_consult_peers(session->signaling, info->consult_id);
    for (guint i = 0; i < peers->len; i++)
        cg_signaling_send(session->signaling, g_array_index(peers, CgPeerId, i),
                          cg_protocol_active_speaker(now_speaking));
}

/* signaling -> media */

static gboolean on_peer_joined(gpointer user, CgPeerId peer, GError **error)
{
    CgSession *session = user;
    const CgPeerInfo *info = cg_signaling_peer_info(session->signaling, peer);
    if (!cg_media_endpoint_add(session->media, peer, info->log_tag, error) ||
        !cg_media_endpoint_set_video_bitrate_cap(session->media, peer, info->video_bitrate_kbps,
                                                 error))
        return to_peer_error(error);
    if (!cg_media_endpoint_set_screen_share_allowed(session->media, peer,
                                                    cg_role_may_share_screen(info->role), error))
        return to_peer_error(error);
    /* simultaneous interpretation: every endpoint gets its mix slot at once;
     * what it carries follows the plan (consult_interpretation_changed) */
    const CgInterp *interp = cg_signaling_interpretation(session->signaling, info->consult_id);
    if (interp && cg_interp_mode(interp) == CG_INTERP_MODE_SIMULTANEOUS &&
        !cg_media_endpoint_set_mix_slot(session->media, peer, TRUE, error))
        return to_peer_error(error);
    g_autoptr(GArray) others = cg_signaling_consult_peers(session->signaling, info->consult_id);
    for (guint i = 0; i < others->len; i++) {
        CgPeerId other = g_array_index(others, CgPeerId, i);
        if (other == peer)
            continue;
        if (!cg_media_route(session->media, other, peer, error) ||
            !cg_media_route(session->media, peer, other, error))
            return to_peer_error(error);
    }
    /* a newcomer learns who has the floor now, not only at the next change */
    CgActiveSpeaker *speaker = g_hash_table_lookup(session->speakers, info->consult_id);
    const char *current = cg_active_speaker_current(speaker);
    if (current)
        cg_signaling_send(session->signaling, peer, cg_protocol_active_speaker(current));
    return TRUE;
}

static gboolean on_peer_description(gpointer user, CgPeerId peer, const char *pc, const char *type,
                                    const char *sdp, GError **error)
{
    CgSession *session = user;
    return cg_media_remote_description(session->media, peer, pc, type, sdp, error) ||
           to_peer_error(error);
}

static gboolean on_peer_candidate(gpointer user, CgPeerId peer, const char *pc, guint mline,
                                  const char *candidate, GError **error)
{
    CgSession *session = user;
    return cg_media_remote_candidate(session->media, peer, pc, mline, candidate, error) ||
           to_peer_error(error);
}

static void on_peer_left(gpointer user, CgPeerId peer)
{
    CgSession *session = user;
    cg_media_endpoint_remove(session->media, peer);
    const CgPeerInfo *info = cg_signaling_peer_info(session->signaling, peer);
    CgActiveSpeaker *speaker =
        info ? g_hash_table_lookup(session->speakers, info->consult_id) : NULL;
    if (speaker) {
        cg_active_speaker_forget(speaker, info->participant_id);
        if (cg_active_speaker_is_empty(speaker))
            g_hash_table_remove(session->speakers, info->consult_id);
    }
}

static void on_peer_receive_video(gpointer user, CgPeerId peer, gboolean receive)
{
    CgSession *session = user;
    g_autoptr(GError) error = NULL;
    if (!cg_media_endpoint_set_receive_video(session->media, peer, receive, &error))
        g_warning("audio-only mode for peer %" G_GUINT64_FORMAT ": %s", peer, error->message);
}

static void on_peer_audio_muted(gpointer user, CgPeerId peer, gboolean muted)
{
    CgSession *session = user;
    g_autoptr(GError) error = NULL;
    if (!cg_media_endpoint_set_audio_muted(session->media, peer, muted, &error))
        g_warning("cannot %s peer %" G_GUINT64_FORMAT "'s audio: %s", muted ? "mute" : "unmute",
                  peer, error->message);
}

/* The admin API changed a live consult's cap: every joined endpoint of it
 * publishes under the new one from the next REMB on. */
static void on_consult_video_bitrate_changed(gpointer user, const char *consult_id, guint kbps)
{
    CgSession *session = user;
    g_autoptr(GArray) peers = cg_signaling_consult_peers(session->signaling, consult_id);
    for (guint i = 0; i < peers->len; i++) {
        CgPeerId peer = g_array_index(peers, CgPeerId, i);
        g_autoptr(GError) error = NULL;
        if (!cg_media_endpoint_set_video_bitrate_cap(session->media, peer, kbps, &error))
            g_warning("video bitrate cap for peer %" G_GUINT64_FORMAT ": %s", peer, error->message);
    }
}

static void arm_interp_sweep(CgSession *session);

static gboolean on_interp_sweep(gpointer user)
{
    CgSession *session = user;
    session->interp_sweep = 0;
    cg_interp_wiring_sweep(session->interp, g_get_monotonic_time());
    arm_interp_sweep(session);
    return G_SOURCE_REMOVE;
}

/* A one-shot timer for the next mix to let go, while there is one. */
static void arm_interp_sweep(CgSession *session)
{
    gint64 next = cg_interp_wiring_next_sweep(session->interp);
    if (!next || session->interp_sweep)
        return;
    gint64 ms = (next - g_get_monotonic_time()) / 1000 + 1;
    session->interp_sweep =
        g_timeout_add((guint)CLAMP(ms, 1, CG_INTERP_MIX_LINGER_MS), on_interp_sweep, session);
}

/* issue 11: a consult's interpretation changed: media follows its plan. */
static void on_consult_interpretation_changed(gpointer user, const char *consult_id)
{
    CgSession *session = user;
    const CgInterp *interp = cg_signaling_interpretation(session->signaling, consult_id);
    if (interp && cg_interp_mode(interp) == CG_INTERP_MODE_SIMULTANEOUS) {
        /* idempotent; new for everyone when an admin made the consult simultaneous */
        g_autoptr(GArray) peers = cg_signaling_consult_peers(session->signaling, consult_id);
        for (guint i = 0; i < peers->len; i++) {
            g_autoptr(GError) error = NULL;
            CgPeerId peer = g_array_index(peers, CgPeerId, i);
            if (!cg_media_endpoint_set_mix_slot(session->media, peer, TRUE, &error))
                g_warning("mix slot for peer %" G_GUINT64_FORMAT ": %s", peer, error->message);
        }
    }
    g_autoptr(CgInterpPlan) plan = interp ? cg_interp_plan(interp) : NULL;
    cg_interp_wiring_apply(session->interp, consult_id, plan, g_get_monotonic_time());
    arm_interp_sweep(session);
}

static gboolean media_mix_set(gpointer media, CgMixId mix, const CgMediaMixInput *inputs, guint n,
                              GError **error)
{
    return cg_media_mix_set(media, mix, inputs, n, error);
}

static void media_mix_remove(gpointer media, CgMixId mix)
{
    cg_media_mix_remove(media, mix);
}

static gboolean media_listen(gpointer media, CgEndpointId ep, CgMixId mix, GError **error)
{
    return cg_media_endpoint_listen(media, ep, mix, error);
}

static gboolean media_receive_relayed(gpointer media, CgEndpointId ep, gboolean on, GError **error)
{
    return cg_media_endpoint_set_receive_relayed_audio(media, ep, on, error);
}

static gboolean media_audio_relayed(gpointer media, CgEndpointId ep, gboolean on, GError **error)
{
    return cg_media_endpoint_set_audio_relayed(media, ep, on, error);
}

CgSession *cg_session_new(const CgConfig *config, GMainLoop *loop, GError **error)
{
    static const CgInterpMediaOps interp_ops = {
        .mix_set = media_mix_set,
        .mix_remove = media_mix_remove,
        .listen = media_listen,
        .receive_relayed_audio = media_receive_relayed,
        .audio_relayed = media_audio_relayed,
    };
    static const CgMediaEvents media_events = {
        .description = on_media_description,
        .candidate = on_media_candidate,
        .pc_closed = on_media_pc_closed,
        .endpoint_failed = on_media_endpoint_failed,
        .endpoint_stats = on_media_stats,
        .endpoint_speaking = on_media_speaking,
    };
    static const CgSignalingEvents signaling_events = {
        .peer_joined = on_peer_joined,
        .peer_description = on_peer_description,
        .peer_candidate = on_peer_candidate,
        .peer_left = on_peer_left,
        .peer_audio_muted = on_peer_audio_muted,
        .peer_receive_video = on_peer_receive_video,
        .consult_video_bitrate_changed = on_consult_video_bitrate_changed,
        .consult_interpretation_changed = on_consult_interpretation_changed,
    };
    CgSession *session = g_new0(CgSession, 1);
    session->speakers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                              (GDestroyNotify)cg_active_speaker_free);
    CgMediaConfig media_config = {
        .ice_addresses = (const char *const *)config->ice_addresses,
        .rtp_port_min = config->rtp_port_min,
        .rtp_port_max = config->rtp_port_max,
        .stun_server = config->stun_server,
        .allowed_remote_networks = (const char *const *)config->allowed_remote_networks,
        .ice_tcp = config->ice_tcp,
    };
    session->media = cg_media_new(&media_config, &media_events, session, error);
    if (session->media)
        session->interp = cg_interp_wiring_new(&interp_ops, session->media);
    if (session->media)
        session->signaling = cg_signaling_new(config, loop, &signaling_events, session, error);
    if (!session->signaling) {
        cg_session_free(session);
        return NULL;
    }
    return session;
}

void cg_session_free(CgSession *session)
{
    if (!session)
        return;
    /* Signaling first: closing sockets removes their endpoints from media. */
    g_clear_pointer(&session->signaling, cg_signaling_free);
    g_clear_handle_id(&session->interp_sweep, g_source_remove);
    g_clear_pointer(&session->interp, cg_interp_wiring_free);
    g_clear_pointer(&session->media, cg_media_free);
    g_hash_table_unref(session->speakers);
    g_free(session);
}

guint cg_session_port(CgSession *session)
{
    return cg_signaling_port(session->signaling);
}

void cg_session_shutdown(CgSession *session, GSourceFunc done, gpointer data)
{
    cg_signaling_shutdown(session->signaling, done, data);
}
