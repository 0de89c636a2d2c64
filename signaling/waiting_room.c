/* waiting_room.c — the waiting room: a peer the consult rules hold back
 * waits here until a specialist admits or declines it; specialists present
 * get the live waiting list, the waiting peers hear whether a specialist is
 * there. See lifecycle.h. */
#include "lifecycle.h"

/* (transfer full) the waiting peers of @consult_id as the protocol shows them. */
static GArray *waiting_peers(CgSignaling *s, const char *consult_id)
{
    GArray *waiting = g_array_new(FALSE, FALSE, sizeof(CgProtocolParticipant));
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, s->peers);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        CgPeer *p = value;
        if (p->waiting && cg_peer_in_consult(p, consult_id)) {
            CgProtocolParticipant one = cg_peer_participant(p);
            g_array_append_val(waiting, one);
        }
    }
    return waiting;
}

static gboolean is_present_specialist(const CgPeer *p, const char *consult_id)
{
    return p->joined && cg_peer_in_consult(p, consult_id) && cg_role_may_moderate(p->info.role);
}

void cg_lifecycle_send_waiting_list(CgSignaling *s, const char *consult_id, CgPeer *only)
{
    g_autoptr(GArray) waiting = waiting_peers(s, consult_id);
    g_autofree char *text =
        cg_protocol_waiting_list((const CgProtocolParticipant *)waiting->data, waiting->len);
    if (only) {
        cg_peer_send(only, g_strdup(text));
        return;
    }
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, s->peers);
    while (g_hash_table_iter_next(&it, NULL, &value))
        if (is_present_specialist(value, consult_id))
            cg_peer_send(value, g_strdup(text));
}

static gboolean specialist_present(CgSignaling *s, const char *consult_id)
{
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, s->peers);
    while (g_hash_table_iter_next(&it, NULL, &value))
        if (is_present_specialist(value, consult_id))
            return TRUE;
    return FALSE;
}

CgProtocolConsult cg_lifecycle_protocol_consult(CgSignaling *s, const CgConsultRecord *c,
                                                char **starts, char **ends)
{
    *starts = cg_rfc3339(c->starts_at);
    *ends = cg_rfc3339(cg_consult_ends_at(c, &s->window));
    return (CgProtocolConsult){.id = c->id,
                               .title = c->title,
                               .kind = c->kind,
                               .specialty = c->specialty,
                               .starts_at = *starts,
                               .ends_at = *ends};
}

void cg_lifecycle_wait(CgPeer *peer, const CgConsultRecord *consult)
{
    CgSignaling *s = peer->s;
    peer->waiting = TRUE;
    g_autofree char *starts = NULL, *ends = NULL;
    CgProtocolConsult c = cg_lifecycle_protocol_consult(s, consult, &starts, &ends);
    CgProtocolParticipant you = cg_peer_participant(peer);
    cg_peer_send(peer, cg_protocol_waiting(&you, &c, specialist_present(s, peer->info.consult_id)));
    cg_lifecycle_send_waiting_list(s, peer->info.consult_id, NULL);
}

void cg_lifecycle_tell_waiting_presence(CgSignaling *s, const char *consult_id)
{
    gboolean present = specialist_present(s, consult_id);
    g_autofree char *text = cg_protocol_waiting_status(present);
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, s->peers);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        CgPeer *p = value;
        if (p->waiting && cg_peer_in_consult(p, consult_id))
            cg_peer_send(p, g_strdup(text));
    }
}
