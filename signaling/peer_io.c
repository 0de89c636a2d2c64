/* peer_io.c — what one endpoint socket may cost the server (issue 9,
 * finding 1): its outbox is bounded in messages and bytes, a socket that
 * stops taking what is sent to it is closed, its protocol errors are answered
 * only up to a budget, and refusals are logged at most CG_REFUSAL_LOG_LINES
 * per address and window (the rest in one aggregate line). Also the
 * per-address limit on failed joins.
 *
 * A peer closes by queuing its last messages and a close status; the close
 * frame goes out once the outbox is drained, or the socket is dropped after
 * CG_PEER_CLOSE_GRACE_S if its reader does not take them. */
#include "server-private.h"

#include <string.h>

/* How each protocol error ends: status 0 keeps the socket open. */
static const struct {
    const char *code;
    enum lws_close_status status;
} error_endings[] = {
    {"malformed_message", 0},
    {"unknown_type", 0},
    {"not_joined", 0},
    {"not_admitted", 0},
    {"already_joined", 0},
    {"unknown_pc", 0},
    {"bad_sdp", 0},
    {"dtls_required", 0},
    {"not_allowed", 0},
    {"unknown_participant", 0},
    {"message_too_big", LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE},
    {"bad_token", LWS_CLOSE_STATUS_POLICY_VIOLATION},
    {"token_expired", LWS_CLOSE_STATUS_POLICY_VIOLATION},
    {"token_not_yet_valid", LWS_CLOSE_STATUS_POLICY_VIOLATION},
    {"consult_not_found", LWS_CLOSE_STATUS_POLICY_VIOLATION},
    {"consult_not_open_yet", LWS_CLOSE_STATUS_POLICY_VIOLATION},
    {"consult_ended", LWS_CLOSE_STATUS_POLICY_VIOLATION},
    {"consult_cancelled", LWS_CLOSE_STATUS_POLICY_VIOLATION},
    {"role_not_allowed", LWS_CLOSE_STATUS_POLICY_VIOLATION},
    {"participant_removed", LWS_CLOSE_STATUS_POLICY_VIOLATION},
    {"declined", LWS_CLOSE_STATUS_POLICY_VIOLATION},
    {"consult_full", LWS_CLOSE_STATUS_POLICY_VIOLATION},
    {"session_replaced", LWS_CLOSE_STATUS_POLICY_VIOLATION},
    {"resume_refused", LWS_CLOSE_STATUS_POLICY_VIOLATION},
    {"too_many_failures", LWS_CLOSE_STATUS_POLICY_VIOLATION},
    {"too_many_errors", LWS_CLOSE_STATUS_POLICY_VIOLATION},
    {"join_timeout", LWS_CLOSE_STATUS_POLICY_VIOLATION},
    {"dtls_fingerprint_mismatch", LWS_CLOSE_STATUS_POLICY_VIOLATION},
    {"media_failed", LWS_CLOSE_STATUS_UNEXPECTED_CONDITION},
    {"internal", LWS_CLOSE_STATUS_UNEXPECTED_CONDITION},
};

enum lws_close_status cg_peer_error_ending(const char *code)
{
    for (gsize i = 0; i < G_N_ELEMENTS(error_endings); i++)
        if (g_str_equal(code, error_endings[i].code))
            return error_endings[i].status;
    return LWS_CLOSE_STATUS_UNEXPECTED_CONDITION;
}

static gint64 now_s(void)
{
    return g_get_real_time() / G_USEC_PER_SEC;
}

/* Arms (or re-arms) the drop of a socket that takes nothing for @secs. */
static void arm_drop(CgPeer *peer, int secs)
{
    lws_set_timeout(peer->wsi, PENDING_TIMEOUT_USER_OK, secs);
}

/* The outbox overflowed: its reader is not keeping up. Nothing more is
 * queued; the close frame goes out if there is room, else the socket is
 * dropped after the grace. */
static void outbox_full(CgPeer *peer)
{
    g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "REMOTE", peer->remote, "MESSAGE",
                     "%s[peer|%" G_GUINT64_FORMAT "] closed: more than %u messages or %u "
                     "bytes wait to be sent to it (it does not read)",
                     peer->info.log_tag ? peer->info.log_tag : "", peer->id,
                     CG_PEER_OUTBOX_MAX_MESSAGES, CG_PEER_OUTBOX_MAX_BYTES);
    g_queue_clear_full(&peer->outbox, g_free);
    peer->queued_bytes = 0;
    if (!peer->left_reason)
        peer->left_reason = "disconnected";
    cg_peer_close(peer, LWS_CLOSE_STATUS_POLICY_VIOLATION, "outbox_full");
}

void cg_peer_send(CgPeer *peer, char *json)
{
    if (peer->closing || !json) {
        g_free(json);
        return;
    }
    if (!peer->wsi)
        return cg_seat_queue(peer, json);
    gsize len = strlen(json);
    if (g_queue_get_length(&peer->outbox) >= CG_PEER_OUTBOX_MAX_MESSAGES ||
        peer->queued_bytes + len > CG_PEER_OUTBOX_MAX_BYTES) {
        g_free(json);
        return outbox_full(peer);
    }
    if (g_queue_is_empty(&peer->outbox))
        arm_drop(peer, CG_PEER_WRITE_STALL_S);
    peer->queued_bytes += len;
    g_queue_push_tail(&peer->outbox, json);
    lws_callback_on_writable(peer->wsi);
}

void cg_peer_close(CgPeer *peer, enum lws_close_status status, const char *reason)
{
    if (peer->closing)
        return;
    if (!peer->wsi)
        return cg_seat_give_up(peer);
    peer->closing = TRUE;
    peer->close_status = status;
    g_strlcpy(peer->close_reason, reason, sizeof peer->close_reason);
    arm_drop(peer, CG_PEER_CLOSE_GRACE_S);
    lws_callback_on_writable(peer->wsi);
}

int cg_peer_on_writeable(CgPeer *peer)
{
    char *json = g_queue_pop_head(&peer->outbox);
    if (json) {
        gsize len = strlen(json);
        peer->queued_bytes -= MIN(len, peer->queued_bytes);
        g_autofree guint8 *buf = g_malloc(LWS_PRE + len);
        memcpy(buf + LWS_PRE, json, len);
        g_free(json);
        if (lws_write(peer->wsi, buf + LWS_PRE, len, LWS_WRITE_TEXT) < (int)len)
            return -1;
        gboolean more = !g_queue_is_empty(&peer->outbox) || peer->closing;
        /* lws keeps what the kernel did not take (one message at most) and
         * calls back once it is out: the stall clock runs until then. */
        gboolean choked = lws_send_pipe_choked(peer->wsi);
        if (!peer->closing)
            arm_drop(peer, (more || choked) ? CG_PEER_WRITE_STALL_S : 0);
        if (more || choked)
            lws_callback_on_writable(peer->wsi);
        return 0;
    }
    if (peer->closing) {
        lws_close_reason(peer->wsi, peer->close_status, (guint8 *)peer->close_reason,
                         strlen(peer->close_reason));
        return -1;
    }
    if (!lws_send_pipe_choked(peer->wsi))
        arm_drop(peer, 0); /* all out: no clock */
    return 0;
}

void cg_peer_log_refusal(CgPeer *peer, const char *code, const char *message,
                         enum lws_close_status status)
{
    if (!cg_admin_api_note_logged_refusal(peer->s->admin, peer->remote, now_s()))
        return;
    g_log_structured(G_LOG_DOMAIN, status ? G_LOG_LEVEL_WARNING : G_LOG_LEVEL_INFO, "REMOTE",
                     peer->remote, "CODE", code, "MESSAGE",
                     "%s[peer|%" G_GUINT64_FORMAT "] refused (%s): %s",
                     peer->info.log_tag ? peer->info.log_tag : "", peer->id, code, message);
}

/* TRUE when @peer has used up its error budget with this one. */
static gboolean over_error_budget(CgPeer *peer)
{
    gint64 now = now_s();
    if (now >= peer->errors_since + CG_PEER_ERROR_WINDOW_S || now < peer->errors_since) {
        peer->errors_since = now;
        peer->errors = 0;
    }
    return ++peer->errors > CG_PEER_ERROR_BUDGET;
}

void cg_peer_error(CgPeer *peer, const char *code, const char *message)
{
    if (peer->closing)
        return; /* it will hear nothing more */
    enum lws_close_status status = cg_peer_error_ending(code);
    if (!status && peer->wsi && over_error_budget(peer)) {
        code = "too_many_errors";
        message = "too many protocol errors on this connection";
        status = cg_peer_error_ending(code);
    }
    cg_peer_log_refusal(peer, code, message, status);
    cg_peer_send(peer, cg_protocol_error_message(code, message));
    if (status)
        cg_peer_close(peer, status, code);
}

/* ---- failed-authentication rate limit ------------------------------------- */

gboolean cg_peers_over_failure_limit(CgSignaling *s, const char *remote)
{
    return !cg_rate_limit_allowed(s->join_failures, remote, now_s(), NULL);
}

void cg_peers_note_auth_failure(CgSignaling *s, const char *remote)
{
    cg_rate_limit_fail(s->join_failures, remote, now_s());
}
