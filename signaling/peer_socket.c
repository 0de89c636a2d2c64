/* peer_socket.c — an endpoint's WebSocket as libwebsockets shows it: only
 * /ws is accepted; a new socket is a pending peer that must join within
 * CG_JOIN_TIMEOUT_S; frames are reassembled within max_message_bytes
 * (binary and unmasked ones refused) and each message goes to dispatch.c;
 * writes are peer_io.c's; a closed socket's peer departs or keeps its seat
 * (seats.c). */
#include "lifecycle.h"
#include "ws_guard.h"

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
        cg_peer_dispatch(peer, peer->rx->data, peer->rx->len);
    g_byte_array_set_size(peer->rx, 0);
    peer->rx_binary = FALSE;
    if (!peer->wsi) /* it resumed a held seat, which took its socket */
        g_hash_table_remove(peer->s->peers, &peer->id);
    return 0;
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
