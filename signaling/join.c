/* join.c — a "join" on a peer's socket: authorised (join_auth.c) or
 * refused (with its audit record and, for a bad credential, a count against
 * the address: join_limit.c); then a new seat, admitted or in the waiting
 * room, after the same participant's old connection goes, or a held seat
 * taken back with its resume id (seats.c). See join.h. */
#include "join.h"

#include "lifecycle.h"
#include "resume.h"

/* Peers joined or waiting in @consult_id. */
static guint consult_peer_count(CgSignaling *s, const char *consult_id)
{
    guint n = 0;
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, s->peers);
    while (g_hash_table_iter_next(&it, NULL, &value))
        n += cg_peer_in_consult(value, consult_id);
    return n;
}

/* @action: "join", or "resume" for a join that names a held seat. */
static void refuse_join(CgPeer *peer, CgJoinAttempt *a, const char *action)
{
    CgSignaling *s = peer->s;
    gboolean v = a->verified;
    cg_lifecycle_audit(s, peer->remote, a->audit_tenant, v ? a->claims.consult : NULL,
                       v ? a->claims.sub : NULL, v ? a->claims.role : NULL, action,
                       cg_error_code_name(a->code));
    if (cg_join_is_auth_failure(a->code))
        cg_peers_note_auth_failure(s, peer->remote);
    if (!a->opens_at) {
        cg_peer_error(peer, a->code, a->message);
        return;
    }
    const char *code = cg_error_code_name(a->code);
    CgCloseStatus status = cg_error_code_close_status(a->code);
    cg_peer_log_refusal(peer, code, a->message, status);
    cg_peer_send(peer, cg_protocol_error_opens(a->code, a->message, a->opens_at));
    cg_peer_close(peer, status, code);
}

static void take_identity(CgPeer *peer, CgJoinAttempt *a)
{
    peer->info.participant_id = g_steal_pointer(&a->claims.sub);
    peer->info.consult_id = g_steal_pointer(&a->claims.consult);
    peer->info.tenant_id = g_steal_pointer(&a->claims.iss);
    peer->info.role = g_steal_pointer(&a->claims.role);
    peer->info.name = g_steal_pointer(&a->claims.name);
    peer->info.language = g_steal_pointer(&a->claims.language);
    peer->info.relay_from = g_steal_pointer(&a->claims.relay_from);
    peer->token_exp = a->claims.exp;
    g_free((char *)peer->info.log_tag); /* "[peer|N]" until now */
    peer->info.log_tag = g_strdup_printf("[consult|%s][peer|%" G_GUINT64_FORMAT "]",
                                         peer->info.consult_id, peer->id);
    g_clear_handle_id(&peer->join_timeout_id, g_source_remove);
}

/* A participant joins again while its old connection (or held seat) is
 * still there: the old one departs first, so the others hear its
 * participant_left before the new participant_joined, never after it. */
static void replace_previous(CgPeer *previous)
{
    CgSignaling *s = previous->s;
    cg_peer_error(previous, CG_ERROR_CODE_SESSION_REPLACED,
                  "you joined again from another connection");
    cg_peer_depart(previous, "replaced");
    if (!previous->wsi) /* a held seat: no socket will close to remove it */
        g_hash_table_remove(s->peers, &previous->id);
}

/* A new seat: room for it, and the old connection of the same participant goes. */
static void make_room(CgPeer *peer, CgJoinAttempt *a)
{
    CgSignaling *s = peer->s;
    CgPeer *previous = cg_peers_find(s, a->claims.consult, a->claims.sub);
    if (!previous && consult_peer_count(s, a->claims.consult) >= s->config->max_participants)
        cg_join_refuse(a, CG_ERROR_CODE_CONSULT_FULL,
                       g_strdup("the consult has the most participants it allows"));
    else if (previous)
        replace_previous(previous);
}

/* A join naming a held seat: the seat takes this socket, or the join is refused. */
static void resume_seat(CgPeer *peer, CgJoinAttempt *a, const char *resume_id)
{
    CgPeer *seat = cg_peers_find(peer->s, a->claims.consult, a->claims.sub);
    CgResumeVerdict v = cg_resume_check(seat && seat->joined ? seat->resume_id : NULL, resume_id);
    if (v != CG_RESUME_OK) {
        cg_join_refuse(a, CG_ERROR_CODE_RESUME_REFUSED, g_strdup(cg_resume_refusal_message(v)));
        return;
    }
    g_clear_handle_id(&peer->join_timeout_id, g_source_remove);
    cg_seat_resume(peer, seat, &a->consult, a->claims.exp);
}

static void admit_or_wait(CgPeer *peer, CgJoinAttempt *a)
{
    CgSignaling *s = peer->s;
    take_identity(peer, a);
    g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "REMOTE", peer->remote, "MESSAGE",
                     "%s joined as %s%s", peer->info.log_tag, peer->info.role,
                     a->verdict == CG_JOIN_WAIT ? " (waiting room)" : "");
    cg_lifecycle_track(s, &a->consult);
    cg_lifecycle_audit_peer(peer, "join", a->verdict == CG_JOIN_WAIT ? "waiting" : "ok");
    if (a->verdict == CG_JOIN_WAIT)
        cg_lifecycle_wait(peer, &a->consult);
    else
        cg_lifecycle_admit(peer, &a->consult);
}

/* The token is checked before the limit: a valid one is never refused
 * because others at the same address failed (issue 9 finding 8). */
void cg_join_handle(CgPeer *peer, const CgClientMessage *msg)
{
    CgSignaling *s = peer->s;
    const char *action = msg->resume ? "resume" : "join";
    if (peer->joined || peer->waiting) {
        cg_peer_error(peer, CG_ERROR_CODE_ALREADY_JOINED, "this connection has joined already");
        return;
    }
    gboolean over_limit = cg_peers_over_failure_limit(s, peer->remote);
    CgJoinAttempt a = {0};
    gboolean authorised = cg_join_authorise(s, msg->token, &a);
    if (!authorised && over_limit && cg_join_is_auth_failure(a.code))
        cg_join_refuse_over_limit(peer, action);
    else {
        if (authorised && msg->resume)
            resume_seat(peer, &a, msg->resume);
        else if (authorised)
            make_room(peer, &a);
        if (a.refused)
            refuse_join(peer, &a, action);
        else if (!msg->resume)
            admit_or_wait(peer, &a);
    }
    cg_join_attempt_clear(&a);
}
