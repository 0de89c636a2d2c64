/* seats.c — a joined peer's seat across a dropped socket (docs/protocol.md
 * "Reconnecting"; the rules are resume.h's).
 *
 * A held seat is the same CgPeer with no socket: same CgPeerId (so media
 * keeps its endpoint and routes), same participant, role, mute and media
 * state, still a member of its consult for everyone. What the server sends it
 * meanwhile waits in its outbox (bounded). It ends in one of three ways: a
 * join with its resume id takes it back (cg_seat_resume), its timer fires
 * (participant_left "connection_lost"), or the server ends it (removal, end,
 * media failure, a new plain join of the same participant). */
#include "lifecycle.h"

#include <string.h>

#include "resume.h"

static gint64 now_s(void)
{
    return g_get_real_time() / G_USEC_PER_SEC;
}

/* The seat was not taken back in time, or the server ended it. */
static gboolean on_seat_timer(gpointer data)
{
    CgPeer *peer = data;
    CgSignaling *s = peer->s;
    peer->seat_timer = 0;
    if (!peer->left_reason)
        peer->left_reason = "connection_lost";
    cg_peer_depart(peer, peer->left_reason);
    g_hash_table_remove(s->peers, &peer->id);
    cg_signaling_check_shutdown_done(s);
    return G_SOURCE_REMOVE;
}

gboolean cg_seat_hold(CgPeer *peer)
{
    CgSignaling *s = peer->s;
    CgSocketDrop drop = {
        .joined = peer->joined,
        .left = g_strcmp0(peer->left_reason, "left") == 0,
        .closed_by_server = peer->closing,
        .shutting_down = s->shutting_down,
    };
    guint hold = cg_resume_hold_seconds(&drop, s->config->resume_grace_s, now_s(), peer->token_exp,
                                        s->config->clock_skew_s);
    if (!hold)
        return FALSE;
    peer->wsi = NULL;
    g_byte_array_set_size(peer->rx, 0); /* half a message of the old socket */
    peer->rx_binary = FALSE;
    /* What the old socket never got is kept: it goes out after the resume. */
    peer->queued_bytes = 0;
    for (GList *l = peer->outbox.head; l; l = l->next)
        peer->queued_bytes += strlen(l->data);
    peer->seat_timer = g_timeout_add((guint)hold * 1000, on_seat_timer, peer);
    g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "REMOTE", peer->remote, "MESSAGE",
                     "%s socket dropped; seat held for %u s", peer->info.log_tag, hold);
    return TRUE;
}

void cg_seat_queue(CgPeer *peer, char *json)
{
    gsize len = strlen(json);
    if (!cg_resume_queue_has_room(g_queue_get_length(&peer->outbox), peer->queued_bytes, len)) {
        g_free(json);
        g_warning("%s held seat: more than %u messages or %u bytes wait for it; giving it up",
                  peer->info.log_tag, CG_RESUME_MAX_QUEUED_MESSAGES, CG_RESUME_MAX_QUEUED_BYTES);
        cg_seat_give_up(peer);
        return;
    }
    peer->queued_bytes += len;
    g_queue_push_tail(&peer->outbox, json);
}

void cg_seat_give_up(CgPeer *peer)
{
    /* From the main loop, not here: callers may be iterating s->peers. */
    peer->closing = TRUE;
    g_clear_handle_id(&peer->seat_timer, g_source_remove);
    peer->seat_timer = g_timeout_add(0, on_seat_timer, peer);
}

/* @to takes over the socket @wsi (nullable) and its remote address. */
static void give_socket(CgPeer *to, struct lws *wsi, const char *remote)
{
    to->wsi = wsi;
    if (!wsi)
        return;
    ((CgConnData *)lws_wsi_user(wsi))->peer = to;
    g_strlcpy(to->remote, remote, sizeof to->remote);
}

void cg_seat_resume(CgPeer *peer, CgPeer *seat, const CgConsultRecord *consult, gint64 token_exp)
{
    struct lws *old = seat->wsi;
    char old_remote[sizeof seat->remote];
    g_strlcpy(old_remote, seat->remote, sizeof old_remote);
    give_socket(seat, peer->wsi, peer->remote);
    give_socket(peer, old, old_remote);
    if (old) /* the seat's old socket still looked open: it is closed now */
        cg_peer_error(peer, CG_ERROR_CODE_SESSION_REPLACED,
                      "you resumed your seat from another connection");
    else
        peer->closing = TRUE;

    g_clear_handle_id(&seat->seat_timer, g_source_remove);
    seat->token_exp = token_exp;
    g_byte_array_set_size(seat->rx, 0);
    seat->rx_binary = FALSE;
    seat->queued_bytes = 0;
    GQueue held = seat->outbox;
    g_queue_init(&seat->outbox);
    g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "REMOTE", seat->remote, "MESSAGE",
                     "%s resumed its seat%s", seat->info.log_tag,
                     old ? " (its old connection is closed)" : "");
    cg_lifecycle_audit_peer(seat, "resume", "ok");
    cg_lifecycle_resumed(seat, consult);
    /* After "joined": what was queued while it was away, in order. */
    for (char *json; (json = g_queue_pop_head(&held));) {
        seat->queued_bytes += strlen(json);
        g_queue_push_tail(&seat->outbox, json);
    }
    /* last: the state now, whatever older ones were queued (issue 11) */
    cg_interpretation_send_state(seat, TRUE);
    lws_callback_on_writable(seat->wsi);
}
