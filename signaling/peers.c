/* peers.c — endpoint WebSockets: receive (bounded), join authorisation, the
 * room (who is in which consult), and an ordered outbox per peer.
 *
 * A peer closes by queuing its last messages and a close status; the close
 * frame goes out once the outbox is drained. */
#include "server-private.h"

#include <jansson.h>
#include <string.h>

#include "jwt.h"
#include "protocol.h"
#include "roles.h"

typedef struct _CgPeer {
    CgSignaling *s;
    struct lws *wsi;
    CgPeerId id;
    char remote[64];
    GByteArray *rx;
    gboolean rx_binary;   /* the frame being received is binary: discard it */
    GQueue outbox;        /* char* JSON texts */
    gboolean joined;
    CgPeerInfo info;      /* strings owned by the peer once joined */
    const char *left_reason; /* for participant_left */
    gboolean closing;
    enum lws_close_status close_status;
    char close_reason[64];
} CgPeer;

/* How each protocol error ends: status 0 keeps the socket open. */
static const struct {
    const char *code;
    enum lws_close_status status;
} error_endings[] = {
    {"malformed_message", 0},
    {"unknown_type", 0},
    {"not_joined", 0},
    {"already_joined", 0},
    {"unknown_pc", 0},
    {"bad_sdp", 0},
    {"dtls_required", 0},
    {"message_too_big", LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE},
    {"bad_token", LWS_CLOSE_STATUS_POLICY_VIOLATION},
    {"token_expired", LWS_CLOSE_STATUS_POLICY_VIOLATION},
    {"token_not_yet_valid", LWS_CLOSE_STATUS_POLICY_VIOLATION},
    {"consult_not_found", LWS_CLOSE_STATUS_POLICY_VIOLATION},
    {"role_not_allowed", LWS_CLOSE_STATUS_POLICY_VIOLATION},
    {"consult_full", LWS_CLOSE_STATUS_POLICY_VIOLATION},
    {"session_replaced", LWS_CLOSE_STATUS_POLICY_VIOLATION},
    {"dtls_fingerprint_mismatch", LWS_CLOSE_STATUS_POLICY_VIOLATION},
    {"media_failed", LWS_CLOSE_STATUS_UNEXPECTED_CONDITION},
    {"internal", LWS_CLOSE_STATUS_UNEXPECTED_CONDITION},
};

static enum lws_close_status ending_of(const char *code)
{
    for (gsize i = 0; i < G_N_ELEMENTS(error_endings); i++)
        if (g_str_equal(code, error_endings[i].code))
            return error_endings[i].status;
    return LWS_CLOSE_STATUS_UNEXPECTED_CONDITION;
}

static void peer_send(CgPeer *peer, char *json)
{
    if (peer->closing || !json) {
        g_free(json);
        return;
    }
    g_queue_push_tail(&peer->outbox, json);
    lws_callback_on_writable(peer->wsi);
}

static void peer_close(CgPeer *peer, enum lws_close_status status, const char *reason)
{
    if (peer->closing)
        return;
    peer->closing = TRUE;
    peer->close_status = status;
    g_strlcpy(peer->close_reason, reason, sizeof peer->close_reason);
    lws_callback_on_writable(peer->wsi);
}

/* Sends an error; closes the socket when the code's ending says so. */
static void peer_error(CgPeer *peer, const char *code, const char *message)
{
    enum lws_close_status status = ending_of(code);
    g_log_structured(G_LOG_DOMAIN, status ? G_LOG_LEVEL_WARNING : G_LOG_LEVEL_INFO, "REMOTE",
                     peer->remote, "CODE", code, "MESSAGE",
                     "%s[peer|%" G_GUINT64_FORMAT "] refused (%s): %s",
                     peer->info.log_tag ? peer->info.log_tag : "", peer->id, code, message);
    peer_send(peer, cg_protocol_error_message(code, message));
    if (status)
        peer_close(peer, status, code);
}

static json_t *participant_json(const CgPeerInfo *info)
{
    return json_pack("{s:s, s:s, s:s}", "id", info->participant_id, "role", info->role, "name",
                     info->name);
}

static gboolean same_consult(const CgPeer *a, const CgPeer *b)
{
    return a != b && a->joined && b->joined && !b->closing &&
           g_str_equal(a->info.consult_id, b->info.consult_id);
}

static void broadcast(CgPeer *from, json_t *message)
{
    g_autofree char *text = cg_json_take_text(message);
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, from->s->peers);
    while (g_hash_table_iter_next(&it, NULL, &value))
        if (same_consult(from, value))
            peer_send(value, g_strdup(text));
}

static guint consult_peer_count(CgSignaling *s, const char *consult_id, CgPeer **same_participant,
                                const char *participant_id)
{
    guint n = 0;
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, s->peers);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        CgPeer *p = value;
        if (!p->joined || p->closing || !g_str_equal(p->info.consult_id, consult_id))
            continue;
        n++;
        if (g_str_equal(p->info.participant_id, participant_id))
            *same_participant = p;
    }
    return n;
}

static const char *token_error_code(const GError *error)
{
    if (g_error_matches(error, CG_JWT_ERROR, CG_JWT_ERROR_EXPIRED))
        return "token_expired";
    if (g_error_matches(error, CG_JWT_ERROR, CG_JWT_ERROR_NOT_YET_VALID))
        return "token_not_yet_valid";
    return "bad_token";
}

/* Checks the token and the consult; fills @claims and @consult. On refusal,
 * returns the protocol code and sets @message. */
static const char *authorise_join(CgSignaling *s, const char *token, CgTokenClaims *claims,
                                  CgConsultRecord *consult, char **message)
{
    const CgConfig *c = s->config;
    g_autoptr(GError) error = NULL;
    g_autofree char *issuer = cg_jwt_peek_issuer(token, c->max_token_bytes, &error);
    const CgTenant *tenant = issuer ? cg_tenants_by_id(s->tenants, issuer) : NULL;
    if (!issuer) {
        *message = g_strdup(error->message);
        return "bad_token";
    }
    if (!tenant) {
        *message = g_strdup("the token's issuer is not a tenant of this server");
        return "bad_token";
    }
    gsize secret_len = 0;
    const guint8 *secret = cg_tenant_secret(tenant, &secret_len);
    if (!cg_jwt_verify(token, c->max_token_bytes, secret, secret_len,
                       g_get_real_time() / G_USEC_PER_SEC, c->clock_skew_s, claims, &error)) {
        *message = g_strdup(error->message);
        return token_error_code(error);
    }
    CgParticipantRecord participant = {0};
    if (!cg_store_get_consult(s->store, claims->iss, claims->consult, consult, NULL) ||
        !cg_store_get_participant(s->store, claims->iss, claims->consult, claims->sub,
                                  &participant, NULL)) {
        *message = g_strdup("this consult does not exist or you are not invited to it");
        return "consult_not_found";
    }
    gboolean role_ok = g_str_equal(participant.role, claims->role) &&
                       cg_role_allowed_in_kind(claims->role, consult->kind);
    cg_participant_record_clear(&participant);
    if (!role_ok) {
        *message = g_strdup_printf("the role '%s' may not join this consult", claims->role);
        return "role_not_allowed";
    }
    return NULL;
}

static void send_joined(CgPeer *peer, const CgConsultRecord *consult)
{
    json_t *others = json_array();
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, peer->s->peers);
    while (g_hash_table_iter_next(&it, NULL, &value))
        if (same_consult(peer, value))
            json_array_append_new(others, participant_json(&((CgPeer *)value)->info));
    json_t *msg = json_pack(
        "{s:s, s:o, s:{s:s, s:s, s:s, s:s}, s:o, s:[], s:{s:i}}", "type", "joined", "you",
        participant_json(&peer->info), "consult", "id", consult->id, "title", consult->title,
        "kind", consult->kind, "specialty", consult->specialty, "participants", others,
        "ice_servers", "limits", "max_message_bytes", (int)peer->s->config->max_message_bytes);
    peer_send(peer, cg_json_take_text(msg));
}

static void handle_join(CgPeer *peer, const char *token)
{
    CgSignaling *s = peer->s;
    if (peer->joined)
        return peer_error(peer, "already_joined", "this connection has joined already");
    CgTokenClaims claims = {0};
    CgConsultRecord consult = {0};
    g_autofree char *message = NULL;
    const char *refusal = authorise_join(s, token, &claims, &consult, &message);
    CgPeer *previous = NULL;
    if (!refusal && consult_peer_count(s, claims.consult, &previous, claims.sub) >=
                        s->config->max_participants && !previous) {
        refusal = "consult_full";
        message = g_strdup("the consult has the most participants it allows");
    }
    if (refusal) {
        peer_error(peer, refusal, message);
    } else {
        if (previous)
            peer_error(previous, "session_replaced", "you joined again from another connection");
        peer->joined = TRUE;
        peer->info.participant_id = g_steal_pointer(&claims.sub);
        peer->info.consult_id = g_steal_pointer(&claims.consult);
        peer->info.tenant_id = g_steal_pointer(&claims.iss);
        peer->info.role = g_steal_pointer(&claims.role);
        peer->info.name = g_steal_pointer(&claims.name);
        peer->info.log_tag = g_strdup_printf("[consult|%s][peer|%" G_GUINT64_FORMAT "]",
                                             peer->info.consult_id, peer->id);
        g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "REMOTE", peer->remote, "MESSAGE",
                         "%s joined as %s", peer->info.log_tag, peer->info.role);
        send_joined(peer, &consult);
        broadcast(peer, json_pack("{s:s, s:o}", "type", "participant_joined", "participant",
                                  participant_json(&peer->info)));
        g_autoptr(GError) error = NULL;
        if (!s->events.peer_joined(s->user, peer->id, &error))
            cg_signaling_fail_peer(s, peer->id, error);
    }
    cg_token_claims_clear(&claims);
    cg_consult_record_clear(&consult);
}

static void handle_message(CgPeer *peer, const guint8 *data, gsize len)
{
    CgSignaling *s = peer->s;
    CgClientMessage msg = {0};
    g_autoptr(GError) error = NULL;
    if (!cg_protocol_parse((const char *)data, len, &msg, &error))
        return peer_error(peer, cg_protocol_error_code(error), error->message);
    gboolean ok = TRUE;
    if (msg.type == CG_CLIENT_JOIN)
        handle_join(peer, msg.token);
    else if (!peer->joined)
        peer_error(peer, "not_joined", "send join with your token first");
    else if (msg.type == CG_CLIENT_LEAVE) {
        peer->left_reason = "left";
        peer_close(peer, LWS_CLOSE_STATUS_NORMAL, "left");
    } else if (msg.type == CG_CLIENT_OFFER || msg.type == CG_CLIENT_ANSWER)
        ok = s->events.peer_description(s->user, peer->id, msg.pc,
                                        msg.type == CG_CLIENT_OFFER ? "offer" : "answer",
                                        msg.sdp, &error);
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
    if (peer->closing)
        return 0;
    if (lws_is_first_fragment(wsi) && peer->rx->len == 0)
        peer->rx_binary = lws_frame_is_binary(wsi);
    if (!peer->rx_binary && peer->rx->len + len > peer->s->config->max_message_bytes) {
        peer_error(peer, "message_too_big", "a message may be at most max_message_bytes long");
        return 0;
    }
    if (!peer->rx_binary)
        g_byte_array_append(peer->rx, in, (guint)len);
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) > 0)
        return 0;
    if (peer->rx_binary)
        peer_error(peer, "malformed_message", "binary frames are not accepted; send JSON text");
    else
        handle_message(peer, peer->rx->data, peer->rx->len);
    g_byte_array_set_size(peer->rx, 0);
    peer->rx_binary = FALSE;
    return 0;
}

static int on_writeable(CgPeer *peer)
{
    char *json = g_queue_pop_head(&peer->outbox);
    if (json) {
        gsize len = strlen(json);
        g_autofree guint8 *buf = g_malloc(LWS_PRE + len);
        memcpy(buf + LWS_PRE, json, len);
        g_free(json);
        if (lws_write(peer->wsi, buf + LWS_PRE, len, LWS_WRITE_TEXT) < (int)len)
            return -1;
        if (!g_queue_is_empty(&peer->outbox) || peer->closing)
            lws_callback_on_writable(peer->wsi);
        return 0;
    }
    if (peer->closing) {
        lws_close_reason(peer->wsi, peer->close_status, (guint8 *)peer->close_reason,
                         strlen(peer->close_reason));
        return -1;
    }
    return 0;
}

static void on_closed(CgSignaling *s, CgPeer *peer)
{
    if (peer->joined) {
        const char *reason = peer->left_reason ? peer->left_reason : "disconnected";
        g_info("%s left (%s)", peer->info.log_tag, reason);
        peer->closing = TRUE; /* no more sends to it; others are told */
        broadcast(peer, json_pack("{s:s, s:s, s:s}", "type", "participant_left", "participant",
                                  peer->info.participant_id, "reason", reason));
        s->events.peer_left(s->user, peer->id);
    }
    g_hash_table_remove(s->peers, &peer->id);
    cg_signaling_check_shutdown_done(s);
}

void cg_peer_free(CgPeer *peer)
{
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

int cg_peers_callback(CgSignaling *s, struct lws *wsi, CgConnData *conn,
                      enum lws_callback_reasons reason, void *in, size_t len)
{
    if (!conn)
        return 0;
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return (!is_ws_path(wsi) || s->shutting_down) ? -1 : 0;
    case LWS_CALLBACK_ESTABLISHED: {
        CgPeer *peer = g_new0(CgPeer, 1);
        peer->s = s;
        peer->wsi = wsi;
        peer->id = s->next_peer_id++;
        peer->rx = g_byte_array_new();
        g_queue_init(&peer->outbox);
        lws_get_peer_simple(wsi, peer->remote, sizeof peer->remote);
        conn->peer = peer;
        g_hash_table_insert(s->peers, &peer->id, peer);
        return 0;
    }
    case LWS_CALLBACK_RECEIVE:
        return conn->peer ? on_receive(conn->peer, in, len) : -1;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return conn->peer ? on_writeable(conn->peer) : -1;
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
        peer_send(peer, cg_protocol_bye("server_shutdown"));
        peer_close(peer, LWS_CLOSE_STATUS_GOINGAWAY, "server_shutdown");
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
        peer_send(peer, json);
    else
        g_free(json);
}

void cg_signaling_fail_peer(CgSignaling *s, CgPeerId id, const GError *error)
{
    static const char *const codes[] = {
        [CG_PEER_ERROR_BAD_SDP] = "bad_sdp",
        [CG_PEER_ERROR_DTLS_REQUIRED] = "dtls_required",
        [CG_PEER_ERROR_UNKNOWN_PC] = "unknown_pc",
        [CG_PEER_ERROR_FINGERPRINT_MISMATCH] = "dtls_fingerprint_mismatch",
        [CG_PEER_ERROR_MEDIA_FAILED] = "media_failed",
        [CG_PEER_ERROR_INTERNAL] = "internal",
    };
    CgPeer *peer = lookup(s, id);
    if (!peer)
        return;
    const char *code = "internal";
    if (error && error->domain == CG_PEER_ERROR && error->code >= 0 &&
        (gsize)error->code < G_N_ELEMENTS(codes))
        code = codes[error->code];
    if (ending_of(code) && !peer->left_reason)
        peer->left_reason = g_str_equal(code, "internal") ? "disconnected" : "media_failed";
    peer_error(peer, code, error ? error->message : "internal error");
}
