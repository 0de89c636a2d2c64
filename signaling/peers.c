/* peers.c — endpoint WebSockets: receive (bounded), the join path (token,
 * tenant, consult rules), dispatch of client messages, and an ordered outbox
 * per peer (bounded: peer_io.c). What happens to a consult once peers are in
 * it (waiting room, specialist controls, end) is lifecycle.h's.
 *
 * A joined peer whose socket drops keeps its seat for a while (seats.c); a
 * join with its resume id takes it back. */
#include "lifecycle.h"

#include <string.h>

#include "jwt.h"
#include "rate_limit.h"
#include "resume.h"
#include "ws_guard.h"

CgProtocolParticipant cg_peer_participant(const CgPeer *peer)
{
    return (CgProtocolParticipant){.id = peer->info.participant_id,
                                   .role = peer->info.role,
                                   .name = peer->info.name,
                                   .audio = !peer->audio_off,
                                   .video = !peer->video_off};
}

/* The endpoint turned its microphone or camera on or off: the others are told
 * so they show it instead of guessing from silence. */
static void handle_media_state(CgPeer *peer, const CgClientMessage *msg)
{
    if (peer->audio_off == !msg->audio && peer->video_off == !msg->video)
        return;
    peer->audio_off = !msg->audio;
    peer->video_off = !msg->video;
    cg_peer_broadcast(peer, cg_protocol_participant_media_state(peer->info.participant_id,
                                                                msg->audio, msg->video));
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

/* ---- the join path -------------------------------------------------------- */

/* What a join attempt found out; every string owned. */
typedef struct {
    gboolean refused;   /* with code and message; else admitted or waiting */
    CgErrorCode code;   /* the refusal */
    char *message;      /* for the refusal */
    char *opens_at;     /* consult_not_open_yet */
    char *audit_tenant; /* tenant known to be real (verified, or a configured issuer) */
    gboolean verified;  /* the token's signature and claims verified */
    CgJoinVerdict verdict;
    CgTokenClaims claims;
    CgConsultRecord consult;
    CgParticipantRecord participant;
} JoinAttempt;

static void join_attempt_clear(JoinAttempt *a)
{
    g_free(a->message);
    g_free(a->opens_at);
    g_free(a->audit_tenant);
    cg_token_claims_clear(&a->claims);
    cg_consult_record_clear(&a->consult);
    cg_participant_record_clear(&a->participant);
}

/* Records the refusal @code with @message (transfer full); returns FALSE. */
static gboolean refuse(JoinAttempt *a, CgErrorCode code, char *message)
{
    a->refused = TRUE;
    a->code = code;
    g_free(a->message);
    a->message = message;
    return FALSE;
}

static CgErrorCode token_error_code(const GError *error)
{
    if (g_error_matches(error, CG_JWT_ERROR, CG_JWT_ERROR_EXPIRED))
        return CG_ERROR_CODE_TOKEN_EXPIRED;
    if (g_error_matches(error, CG_JWT_ERROR, CG_JWT_ERROR_NOT_YET_VALID))
        return CG_ERROR_CODE_TOKEN_NOT_YET_VALID;
    return CG_ERROR_CODE_BAD_TOKEN;
}

static gboolean load_records(CgSignaling *s, JoinAttempt *a)
{
    return cg_store_get_consult(s->store, a->claims.iss, a->claims.consult, &a->consult, NULL) &&
           cg_store_get_participant(s->store, a->claims.iss, a->claims.consult, a->claims.sub,
                                    &a->participant, NULL);
}

static gboolean refuse_not_open(JoinAttempt *a, gint64 opens_at)
{
    a->opens_at = cg_rfc3339(opens_at);
    return refuse(a, CG_ERROR_CODE_CONSULT_NOT_OPEN_YET,
                  g_strdup_printf("this consult opens at %s", a->opens_at));
}

/* A well-signed token whose nbf is still ahead: when it is because the
 * consult is not open yet, say so (with the time) rather than "not yet valid". */
static gboolean refuse_early_token(CgSignaling *s, JoinAttempt *a, const char *token,
                                   const guint8 *secret, gsize secret_len, const GError *why)
{
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    CgTokenClaims claims = {0};
    if (cg_jwt_verify(token, s->config->max_token_bytes, secret, secret_len, now, G_MAXINT32,
                      &claims, NULL)) {
        a->claims = claims;
        a->verified = TRUE;
        if (load_records(s, a) &&
            cg_consult_phase(&a->consult, &s->window, now) == CG_CONSULT_PHASE_SCHEDULED)
            return refuse_not_open(a, cg_consult_opens_at(&a->consult, &s->window));
    }
    return refuse(a, token_error_code(why), g_strdup(why->message));
}

static char *decision_message(const JoinAttempt *a)
{
    switch (a->code) {
    case CG_ERROR_CODE_CONSULT_ENDED:
        return g_strdup("this consult has ended");
    case CG_ERROR_CODE_CONSULT_CANCELLED:
        return g_strdup("this consult was cancelled");
    case CG_ERROR_CODE_PARTICIPANT_REMOVED:
        return g_strdup("a specialist removed you from this consult");
    default:
        return g_strdup_printf("the role '%s' may not join a %s", a->claims.role, a->consult.kind);
    }
}

/* Checks the token, the consult and the consult rules. TRUE with
 * a->verdict admit or wait; FALSE with the refusal in @a. */
static gboolean authorise_join(CgSignaling *s, const char *token, JoinAttempt *a)
{
    const CgConfig *c = s->config;
    g_autoptr(GError) error = NULL;
    g_autofree char *issuer = cg_jwt_peek_issuer(token, c->max_token_bytes, &error);
    const CgTenant *tenant = issuer ? cg_tenants_by_id(s->tenants, issuer) : NULL;
    if (!issuer)
        return refuse(a, CG_ERROR_CODE_BAD_TOKEN, g_strdup(error->message));
    if (!tenant)
        return refuse(a, CG_ERROR_CODE_BAD_TOKEN,
                      g_strdup("the token's issuer is not a tenant of this server"));
    a->audit_tenant = g_strdup(issuer);
    gsize secret_len = 0;
    const guint8 *secret = cg_tenant_secret(tenant, &secret_len);
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    if (!cg_jwt_verify(token, c->max_token_bytes, secret, secret_len, now, c->clock_skew_s,
                       &a->claims, &error)) {
        cg_token_claims_clear(&a->claims);
        if (g_error_matches(error, CG_JWT_ERROR, CG_JWT_ERROR_NOT_YET_VALID))
            return refuse_early_token(s, a, token, secret, secret_len, error);
        return refuse(a, token_error_code(error), g_strdup(error->message));
    }
    a->verified = TRUE;
    if (!load_records(s, a))
        return refuse(a, CG_ERROR_CODE_CONSULT_NOT_FOUND,
                      g_strdup("this consult does not exist or you are not invited to it"));
    if (!g_str_equal(a->participant.role, a->claims.role))
        return refuse(
            a, CG_ERROR_CODE_ROLE_NOT_ALLOWED,
            g_strdup_printf("the role '%s' is not yours in this consult", a->claims.role));
    CgJoinDecision d = cg_consult_join_decision(&a->consult, &a->participant, &s->window, now);
    if (d.verdict == CG_JOIN_REFUSE && d.code == CG_ERROR_CODE_CONSULT_NOT_OPEN_YET)
        return refuse_not_open(a, d.opens_at);
    if (d.verdict == CG_JOIN_REFUSE) {
        a->code = d.code; /* decision_message() reads it */
        return refuse(a, d.code, decision_message(a));
    }
    a->verdict = d.verdict;
    return TRUE;
}

/* Refusals that count as a failed authentication for the rate limit. */
static gboolean is_auth_failure(CgErrorCode code)
{
    return code == CG_ERROR_CODE_BAD_TOKEN || code == CG_ERROR_CODE_TOKEN_EXPIRED ||
           code == CG_ERROR_CODE_TOKEN_NOT_YET_VALID || code == CG_ERROR_CODE_CONSULT_NOT_FOUND ||
           code == CG_ERROR_CODE_ROLE_NOT_ALLOWED;
}

/* @action: "join", or "resume" for a join that names a held seat. */
static void refuse_join(CgPeer *peer, JoinAttempt *a, const char *action)
{
    CgSignaling *s = peer->s;
    gboolean v = a->verified;
    cg_lifecycle_audit(s, peer->remote, a->audit_tenant, v ? a->claims.consult : NULL,
                       v ? a->claims.sub : NULL, v ? a->claims.role : NULL, action,
                       cg_error_code_name(a->code));
    if (is_auth_failure(a->code))
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

static void take_identity(CgPeer *peer, JoinAttempt *a)
{
    peer->info.participant_id = g_steal_pointer(&a->claims.sub);
    peer->info.consult_id = g_steal_pointer(&a->claims.consult);
    peer->info.tenant_id = g_steal_pointer(&a->claims.iss);
    peer->info.role = g_steal_pointer(&a->claims.role);
    peer->info.name = g_steal_pointer(&a->claims.name);
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
static void make_room(CgPeer *peer, JoinAttempt *a)
{
    CgSignaling *s = peer->s;
    CgPeer *previous = cg_peers_find(s, a->claims.consult, a->claims.sub);
    if (!previous && consult_peer_count(s, a->claims.consult) >= s->config->max_participants)
        refuse(a, CG_ERROR_CODE_CONSULT_FULL,
               g_strdup("the consult has the most participants it allows"));
    else if (previous)
        replace_previous(previous);
}

/* A join naming a held seat: the seat takes this socket, or the join is refused. */
static void resume_seat(CgPeer *peer, JoinAttempt *a, const char *resume_id)
{
    CgPeer *seat = cg_peers_find(peer->s, a->claims.consult, a->claims.sub);
    CgResumeVerdict v = cg_resume_check(seat && seat->joined ? seat->resume_id : NULL, resume_id);
    if (v != CG_RESUME_OK) {
        refuse(a, CG_ERROR_CODE_RESUME_REFUSED, g_strdup(cg_resume_refusal_message(v)));
        return;
    }
    g_clear_handle_id(&peer->join_timeout_id, g_source_remove);
    cg_seat_resume(peer, seat, &a->consult, a->claims.exp);
}

static void admit_or_wait(CgPeer *peer, JoinAttempt *a)
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

/* The address is over its failed-join limit and this token is no valid
 * credential: too_many_failures, audited once per address and window (the
 * rest in one aggregate record, admin_api.h). */
static void refuse_over_limit(CgPeer *peer, const char *action)
{
    CgSignaling *s = peer->s;
    if (cg_admin_api_note_refusal(s->admin, peer->remote, g_get_real_time() / G_USEC_PER_SEC))
        cg_lifecycle_audit(s, peer->remote, NULL, NULL, NULL, NULL, action, "too_many_failures");
    cg_peer_error(peer, CG_ERROR_CODE_TOO_MANY_FAILURES,
                  "too many failed joins from this address; try again later");
}

/* The token is checked before the limit: a valid one is never refused
 * because others at the same address failed (issue 9 finding 8). */
static void handle_join(CgPeer *peer, const CgClientMessage *msg)
{
    CgSignaling *s = peer->s;
    const char *action = msg->resume ? "resume" : "join";
    if (peer->joined || peer->waiting) {
        cg_peer_error(peer, CG_ERROR_CODE_ALREADY_JOINED, "this connection has joined already");
        return;
    }
    gboolean over_limit = cg_peers_over_failure_limit(s, peer->remote);
    JoinAttempt a = {0};
    gboolean authorised = authorise_join(s, msg->token, &a);
    if (!authorised && over_limit && is_auth_failure(a.code))
        refuse_over_limit(peer, action);
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
    join_attempt_clear(&a);
}

/* ---- dispatch --------------------------------------------------------------- */

static gboolean is_control(CgClientMessageType type)
{
    return type == CG_CLIENT_ADMIT || type == CG_CLIENT_DECLINE || type == CG_CLIENT_REMOVE ||
           type == CG_CLIENT_MUTE || type == CG_CLIENT_UNMUTE || type == CG_CLIENT_END;
}

static void handle_message(CgPeer *peer, const guint8 *data, gsize len)
{
    CgSignaling *s = peer->s;
    CgClientMessage msg = {0};
    g_autoptr(GError) error = NULL;
    if (!cg_protocol_parse((const char *)data, len, &msg, &error)) {
        cg_peer_error(peer, cg_protocol_error_code(error), error->message);
        return;
    }
    gboolean ok = TRUE;
    if (msg.type == CG_CLIENT_JOIN)
        handle_join(peer, &msg);
    else if (!peer->joined && !peer->waiting)
        cg_peer_error(peer, CG_ERROR_CODE_NOT_JOINED, "send join with your token first");
    else if (msg.type == CG_CLIENT_LEAVE) {
        peer->left_reason = "left";
        cg_peer_close(peer, CG_CLOSE_NORMAL, "left");
    } else if (!peer->joined)
        cg_peer_error(peer, CG_ERROR_CODE_NOT_ADMITTED, "wait until a specialist admits you");
    else if (msg.type == CG_CLIENT_MEDIA_STATE)
        handle_media_state(peer, &msg);
    else if (msg.type == CG_CLIENT_RECEIVE) {
        if (s->events.peer_receive_video)
            s->events.peer_receive_video(s->user, peer->id, msg.video);
    } else if (is_control(msg.type)) {
        if (cg_role_may_moderate(peer->info.role))
            cg_lifecycle_control(peer, &msg);
        else
            cg_peer_error(peer, CG_ERROR_CODE_NOT_ALLOWED, "only a specialist may do that");
    } else if (msg.type == CG_CLIENT_OFFER || msg.type == CG_CLIENT_ANSWER)
        ok = s->events.peer_description(s->user, peer->id, msg.pc,
                                        msg.type == CG_CLIENT_OFFER ? "offer" : "answer", msg.sdp,
                                        &error);
    else if (msg.type == CG_CLIENT_CANDIDATE)
        ok = s->events.peer_candidate(s->user, peer->id, msg.pc, msg.mline_index, msg.candidate,
                                      &error);
    if (!ok)
        cg_signaling_fail_peer(s, peer->id, error);
    cg_client_message_clear(&msg);
}

static int on_receive(CgPeer *peer, const void *in, size_t len)
{
    struct lws *wsi = peer->wsi;
    if (cg_ws_guard_saw_unmasked(wsi)) { /* RFC 6455 §5.1: not processed, closed */
        cg_peer_log_refusal(peer, "unmasked_frame", "a client frame was not masked",
                            CG_CLOSE_PROTOCOL_ERROR);
        lws_close_reason(wsi, LWS_CLOSE_STATUS_PROTOCOL_ERR, (guint8 *)"unmasked_frame", 14);
        return -1;
    }
    if (peer->closing)
        return 0;
    if (lws_is_first_fragment(wsi) && peer->rx->len == 0)
        peer->rx_binary = lws_frame_is_binary(wsi);
    if (!peer->rx_binary && peer->rx->len + len > peer->s->config->max_message_bytes) {
        cg_peer_error(peer, CG_ERROR_CODE_MESSAGE_TOO_BIG,
                      "a message may be at most max_message_bytes long");
        return 0;
    }
    if (!peer->rx_binary)
        g_byte_array_append(peer->rx, in, (guint)len);
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) > 0)
        return 0;
    if (peer->rx_binary)
        cg_peer_error(peer, CG_ERROR_CODE_MALFORMED_MESSAGE,
                      "binary frames are not accepted; send JSON text");
    else
        handle_message(peer, peer->rx->data, peer->rx->len);
    g_byte_array_set_size(peer->rx, 0);
    peer->rx_binary = FALSE;
    if (!peer->wsi) /* it resumed a held seat, which took its socket */
        g_hash_table_remove(peer->s->peers, &peer->id);
    return 0;
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
    }
    if (was_in)
        cg_lifecycle_peer_gone(s, peer);
    peer->joined = FALSE;
    peer->waiting = FALSE;
}

static void on_closed(CgSignaling *s, CgPeer *peer)
{
    if (!peer->closing && !g_queue_is_empty(&peer->outbox))
        g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "REMOTE", peer->remote, "MESSAGE",
                         "%s socket closed with %u messages unsent", peer->info.log_tag,
                         g_queue_get_length(&peer->outbox));
    if (cg_seat_hold(peer))
        return; /* it may come back; seats.c gives the seat up otherwise */
    cg_peer_depart(peer, peer->left_reason ? peer->left_reason : "disconnected");
    g_hash_table_remove(s->peers, &peer->id);
    cg_signaling_check_shutdown_done(s);
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
    g_free(peer);
}

static gboolean is_ws_path(struct lws *wsi)
{
    char uri[32];
    return lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) > 0 && g_str_equal(uri, "/ws");
}

/* Bounded pending connections: a socket must join within CG_JOIN_TIMEOUT_S. */
static gboolean join_timed_out(gpointer data)
{
    CgPeer *peer = data;
    peer->join_timeout_id = 0;
    if (!peer->joined && !peer->waiting)
        cg_peer_error(peer, CG_ERROR_CODE_JOIN_TIMEOUT, "no join in time after connecting");
    return G_SOURCE_REMOVE;
}

static void on_established(CgSignaling *s, struct lws *wsi, CgConnData *conn)
{
    CgPeer *peer = g_new0(CgPeer, 1);
    peer->s = s;
    peer->wsi = wsi;
    peer->id = s->next_peer_id++;
    peer->rx = g_byte_array_new();
    peer->info.log_tag = g_strdup_printf("[peer|%" G_GUINT64_FORMAT "]", peer->id);
    g_queue_init(&peer->outbox);
    lws_get_peer_simple(wsi, peer->remote, sizeof peer->remote);
    peer->join_timeout_id = g_timeout_add_seconds(CG_JOIN_TIMEOUT_S, join_timed_out, peer);
    cg_ws_guard_register(wsi);
    conn->peer = peer;
    g_hash_table_insert(s->peers, &peer->id, peer);
}

int cg_peers_callback(CgSignaling *s, struct lws *wsi, CgConnData *conn,
                      enum lws_callback_reasons reason, void *in, size_t len)
{
    if (reason == LWS_CALLBACK_CLOSED)
        cg_ws_guard_unregister(wsi);
    if (!conn)
        return 0;
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return (!is_ws_path(wsi) || s->shutting_down) ? -1 : 0;
    case LWS_CALLBACK_ESTABLISHED:
        on_established(s, wsi, conn);
        return 0;
    case LWS_CALLBACK_RECEIVE:
        return conn->peer ? on_receive(conn->peer, in, len) : -1;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return conn->peer ? cg_peer_on_writeable(conn->peer) : -1;
    case LWS_CALLBACK_CLOSED:
        if (conn->peer)
            on_closed(s, g_steal_pointer(&conn->peer));
        return 0;
    default:
        return 0;
    }
}

void cg_peers_say_goodbye(CgSignaling *s)
{
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, s->peers);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        CgPeer *peer = value;
        cg_peer_send(peer, cg_protocol_bye("server_shutdown"));
        cg_peer_close(peer, CG_CLOSE_GOING_AWAY, "server_shutdown");
    }
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
