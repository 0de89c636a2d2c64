/* peer_io.c — what one endpoint socket may cost the server (issue 9,
 * finding 1): its outbox is bounded in messages and bytes, a socket that
 * stops taking what is sent to it is closed, its protocol errors are answered
 * only up to a budget, and refusals are logged at most CG_REFUSAL_LOG_LINES
 * per address and window (the rest in one aggregate line). The per-address
 * limit on failed joins is join_limit.c's.
 *
 * A peer closes by queuing its last messages and a close status; the close
 * frame goes out once the outbox is drained, or the socket is dropped after
 * CG_PEER_CLOSE_GRACE_S if its reader does not take them. */
#include "server-private.h"

#include <string.h>

/* The close statuses of protocol_errors.h are the RFC 6455 numbers lws uses. */
G_STATIC_ASSERT((int)CG_CLOSE_NORMAL == LWS_CLOSE_STATUS_NORMAL);
G_STATIC_ASSERT((int)CG_CLOSE_GOING_AWAY == LWS_CLOSE_STATUS_GOINGAWAY);
G_STATIC_ASSERT((int)CG_CLOSE_PROTOCOL_ERROR == LWS_CLOSE_STATUS_PROTOCOL_ERR);
G_STATIC_ASSERT((int)CG_CLOSE_POLICY_VIOLATION == LWS_CLOSE_STATUS_POLICY_VIOLATION);
G_STATIC_ASSERT((int)CG_CLOSE_MESSAGE_TOO_BIG == LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE);
G_STATIC_ASSERT((int)CG_CLOSE_INTERNAL_ERROR == LWS_CLOSE_STATUS_UNEXPECTED_CONDITION);

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
                     "%s closed: more than %u messages or %u bytes wait to be sent to it (it "
                     "does not read)",
                     peer->info.log_tag, CG_PEER_OUTBOX_MAX_MESSAGES, CG_PEER_OUTBOX_MAX_BYTES);
    g_queue_clear_full(&peer->outbox, g_free);
    peer->queued_bytes = 0;
    if (!peer->left_reason)
        peer->left_reason = "disconnected";
    cg_peer_close(peer, CG_CLOSE_POLICY_VIOLATION, "outbox_full");
}

void cg_peer_send(CgPeer *peer, char *json)
{
    if (peer->closing || !json) {
        g_free(json);
        return;
    }
    if (!peer->wsi) {
        cg_seat_queue(peer, json);
        return;
    }
    gsize len = strlen(json);
    if (g_queue_get_length(&peer->outbox) >= CG_PEER_OUTBOX_MAX_MESSAGES ||
        peer->queued_bytes + len > CG_PEER_OUTBOX_MAX_BYTES) {
        g_free(json);
        outbox_full(peer);
        return;
    }
    if (g_queue_is_empty(&peer->outbox))
        arm_drop(peer, CG_PEER_WRITE_STALL_S);
    peer->queued_bytes += len;
    g_queue_push_tail(&peer->outbox, json);
    lws_callback_on_writable(peer->wsi);
}

void cg_peer_close(CgPeer *peer, CgCloseStatus status, const char *reason)
{
    if (peer->closing)
        return;
    if (!peer->wsi) {
        cg_seat_give_up(peer);
        return;
    }
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
        lws_close_reason(peer->wsi, (enum lws_close_status)peer->close_status,
                         (guint8 *)peer->close_reason, strlen(peer->close_reason));
        return -1;
    }
    if (!lws_send_pipe_choked(peer->wsi))
        arm_drop(peer, 0); /* all out: no clock */
    return 0;
}

void cg_peer_log_refusal(CgPeer *peer, const char *code, const char *message, CgCloseStatus status)
{
    if (!cg_admin_api_note_logged_refusal(peer->s->admin, peer->remote, now_s()))
        return;
    g_log_structured(G_LOG_DOMAIN, status ? G_LOG_LEVEL_WARNING : G_LOG_LEVEL_INFO, "REMOTE",
                     peer->remote, "CODE", code, "MESSAGE", "%s refused (%s): %s",
                     peer->info.log_tag, code, message);
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

void cg_peer_error(CgPeer *peer, CgErrorCode code, const char *message)
{
    if (peer->closing)
        return; /* it will hear nothing more */
    CgCloseStatus status = cg_error_code_close_status(code);
    if (!peer->wsi) {
        /* A held seat: nothing was refused (its socket is gone); the server
         * ends the seat, and the error waits in its queue like the rest. */
        g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "REMOTE", peer->remote, "CODE",
                         cg_error_code_name(code), "MESSAGE", "%s held seat %s (%s): %s",
                         peer->info.log_tag, status ? "ended" : "told", cg_error_code_name(code),
                         message);
    } else {
        if (!status && over_error_budget(peer)) {
            code = CG_ERROR_CODE_TOO_MANY_ERRORS;
            message = "too many protocol errors on this connection";
            status = cg_error_code_close_status(code);
        }
        cg_peer_log_refusal(peer, cg_error_code_name(code), message, status);
    }
    cg_peer_send(peer, cg_protocol_error_message(code, message));
    if (status)
        cg_peer_close(peer, status, cg_error_code_name(code));
}
