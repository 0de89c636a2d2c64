/* peers.c — the set of endpoint peers (s->peers): how a peer shows to the
 * others, who is in which consult, broadcast to a consult, a peer leaving
 * its consult, and signaling.h's peer API for the daemon. The socket is
 * peer_socket.c's, the join path join.h's, message dispatch dispatch.c's,
 * the outbox peer_io.c's, held seats seats.c's; what happens to a consult
 * once peers are in it is lifecycle.h's. */
#include "lifecycle.h"

CgProtocolParticipant cg_peer_participant(const CgPeer *peer)
{
    return (CgProtocolParticipant){.id = peer->info.participant_id,
                                   .role = peer->info.role,
                                   .name = peer->info.name,
                                   .audio = !peer->audio_off,
                                   .video = !peer->video_off,
                                   .language = peer->info.language};
}

gboolean cg_peer_in_consult(const CgPeer *peer, const char *consult_id)
{
    return (peer->joined || peer->waiting) && !peer->closing &&
           g_str_equal(peer->info.consult_id, consult_id);
}

static gboolean same_consult(const CgPeer *a, const CgPeer *b)
{
    return a != b && a->joined && b->joined && !b->closing &&
           g_str_equal(a->info.consult_id, b->info.consult_id);
}

void cg_peer_broadcast(CgPeer *from, char *json)
{
    g_autofree char *text = json;
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, from->s->peers);
    while (g_hash_table_iter_next(&it, NULL, &value))
        if (same_consult(from, value))
            cg_peer_send(value, g_strdup(text));
}

CgPeer *cg_peers_find(CgSignaling *s, const char *consult_id, const char *participant_id)
{
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, s->peers);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        CgPeer *p = value;
        if (cg_peer_in_consult(p, consult_id) &&
            g_str_equal(p->info.participant_id, participant_id))
            return p;
    }
    return NULL;
}

void cg_peer_depart(CgPeer *peer, const char *reason)
{
    CgSignaling *s = peer->s;
    gboolean was_in = peer->joined || peer->waiting;
    peer->closing = TRUE; /* no more sends to it; no longer present for anyone */
    if (peer->joined) {
        g_info("%s left (%s)", peer->info.log_tag, reason);
        cg_peer_broadcast(peer, cg_protocol_participant_left(peer->info.participant_id, reason));
        s->events.peer_left(s->user, peer->id);
        cg_interpretation_left(peer);
    }
    if (was_in)
        cg_lifecycle_peer_gone(s, peer);
    peer->joined = FALSE;
    peer->waiting = FALSE;
}

void cg_peer_free(CgPeer *peer)
{
    g_clear_handle_id(&peer->join_timeout_id, g_source_remove);
    g_clear_handle_id(&peer->seat_timer, g_source_remove);
    g_free(peer->resume_id);
    g_byte_array_unref(peer->rx);
    g_queue_clear_full(&peer->outbox, g_free);
    g_free((char *)peer->info.participant_id);
    g_free((char *)peer->info.consult_id);
    g_free((char *)peer->info.tenant_id);
    g_free((char *)peer->info.role);
    g_free((char *)peer->info.name);
    g_free((char *)peer->info.log_tag);
    g_free((char *)peer->info.language);
    g_free((char *)peer->info.relay_from);
    g_free(peer->interp_sent);
    g_free(peer);
}

/* The public peer API of signaling.h. */

static CgPeer *lookup(CgSignaling *s, CgPeerId id)
{
    return g_hash_table_lookup(s->peers, &id);
}

const CgPeerInfo *cg_signaling_peer_info(CgSignaling *s, CgPeerId id)
{
    CgPeer *peer = lookup(s, id);
    return peer && peer->joined ? &peer->info : NULL;
}

GArray *cg_signaling_consult_peers(CgSignaling *s, const char *consult_id)
{
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(CgPeerId));
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, s->peers);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        CgPeer *p = value;
        if (p->joined && !p->closing && g_str_equal(p->info.consult_id, consult_id))
            g_array_append_val(ids, p->id);
    }
    return ids;
}

void cg_signaling_send(CgSignaling *s, CgPeerId id, char *json)
{
    CgPeer *peer = lookup(s, id);
    if (peer)
        cg_peer_send(peer, json);
    else
        g_free(json);
}

void cg_signaling_fail_peer(CgSignaling *s, CgPeerId id, const GError *error)
{
    static const CgErrorCode codes[] = {
        [CG_PEER_ERROR_BAD_SDP] = CG_ERROR_CODE_BAD_SDP,
        [CG_PEER_ERROR_DTLS_REQUIRED] = CG_ERROR_CODE_DTLS_REQUIRED,
        [CG_PEER_ERROR_UNKNOWN_PC] = CG_ERROR_CODE_UNKNOWN_PC,
        [CG_PEER_ERROR_FINGERPRINT_MISMATCH] = CG_ERROR_CODE_DTLS_FINGERPRINT_MISMATCH,
        [CG_PEER_ERROR_MEDIA_FAILED] = CG_ERROR_CODE_MEDIA_FAILED,
        [CG_PEER_ERROR_INTERNAL] = CG_ERROR_CODE_INTERNAL,
    };
    CgPeer *peer = lookup(s, id);
    if (!peer)
        return;
    CgErrorCode code = CG_ERROR_CODE_INTERNAL;
    if (error && error->domain == CG_PEER_ERROR && error->code >= 0 &&
        (gsize)error->code < G_N_ELEMENTS(codes))
        code = codes[error->code];
    if (cg_error_code_close_status(code) && !peer->left_reason)
        peer->left_reason = code == CG_ERROR_CODE_INTERNAL ? "disconnected" : "media_failed";
    cg_peer_error(peer, code, error ? error->message : "internal error");
}
