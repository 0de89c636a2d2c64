/* server.c — the libwebsockets context on the GLib loop, and dispatch of its
 * callbacks to http.c and peer_socket.c. */
#include "lifecycle.h"

#include "conn_limits.h"

#include <openssl/ssl.h>
#include <string.h>

G_DEFINE_QUARK(cg - peer - error - quark, cg_peer_error)

/* libwebsockets' own log lines go to our log, at warning and error only. */
static void lws_log_to_glib(int level, const char *line)
{
    g_autofree char *trimmed = g_strstrip(g_strdup(line));
    if (level & LLL_ERR)
        g_log_structured("cg-lws", G_LOG_LEVEL_WARNING, "MESSAGE", "%s", trimmed);
    else
        g_log_structured("cg-lws", G_LOG_LEVEL_INFO, "MESSAGE", "%s", trimmed);
}

static int on_lws_event(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                        size_t len)
{
    CgSignaling *s = lws_context_user(lws_get_context(wsi));
    CgConnData *conn = user;
    switch (reason) {
    /* Per-address limits (conn_limits.h). For FILTER_NETWORK_CONNECTION
     * @user is not our data but the accepted socket's address (lws 4.1
     * passes it there, the fd in @in) and @wsi is the listener. */
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION: {
        const struct lws_filter_network_conn_args *filt = user;
        return s->conn_limits &&
               !cg_conn_limits_admit(s->conn_limits, (const struct sockaddr *)&filt->cli_addr);
    }
    case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
        if (s->conn_limits)
            cg_conn_limits_opened(s->conn_limits, wsi);
        return 0;
    case LWS_CALLBACK_WSI_DESTROY:
        if (s->conn_limits)
            cg_conn_limits_closed(s->conn_limits, wsi);
        return 0;
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        if (s->conn_limits)
            cg_conn_limits_request(s->conn_limits, wsi);
        return 0;
    default:
        break;
    }
    if (s->conn_limits &&
        (reason == LWS_CALLBACK_HTTP || reason == LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION))
        cg_conn_limits_request(s->conn_limits, wsi);
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
    case LWS_CALLBACK_ESTABLISHED:
    case LWS_CALLBACK_RECEIVE:
    case LWS_CALLBACK_SERVER_WRITEABLE:
    case LWS_CALLBACK_CLOSED:
        return cg_peers_callback(s, wsi, conn, reason, in, len);
    case LWS_CALLBACK_HTTP:
    case LWS_CALLBACK_HTTP_BODY:
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
    case LWS_CALLBACK_HTTP_WRITEABLE:
    case LWS_CALLBACK_HTTP_FILE_COMPLETION:
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        return cg_http_callback(s, wsi, conn, reason, in, len);
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static const struct lws_protocols protocols[] = {
    /* First protocol: serves HTTP and any WebSocket without a sub-protocol. */
    {"consult", on_lws_event, sizeof(CgConnData), 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* On every response, lws's own included: HSTS (the port is TLS-only),
 * nosniff, no Referer (join links carry a token) and no framing. The
 * Content-Security-Policy is per response (http.c): pages need their own. */
static const struct lws_protocol_vhost_options security_headers[] = {
    {NULL, NULL, "strict-transport-security:", "max-age=31536000"},
    {&security_headers[0], NULL, "x-content-type-options:", "nosniff"},
    {&security_headers[1], NULL, "referrer-policy:", "no-referrer"},
    {&security_headers[2], NULL, "x-frame-options:", "DENY"},
};

/* TLS 1.2 with ECDHE and an AEAD only (Mozilla "intermediate"); TLS 1.3 has
 * nothing else. TLS 1.0/1.1 and CBC/RC4/static-RSA suites are refused. */
#define CG_TLS12_CIPHERS                                                                           \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                                   \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                                   \
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

static struct lws_context *create_context(CgSignaling *s, GMainLoop *loop, GError **error)
{
    const CgConfig *c = s->config;
    struct lws_context_creation_info info;
    void *foreign_loops[1] = {loop};
    memset(&info, 0, sizeof info);
    info.options = LWS_SERVER_OPTION_GLIB | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
                   LWS_SERVER_OPTION_DISABLE_IPV6;
    info.foreign_loops = foreign_loops;
    info.port = (int)c->port;
    info.iface = c->listen_address;
    info.protocols = protocols;
    info.ssl_cert_filepath = c->cert_file;
    info.ssl_private_key_filepath = c->key_file;
    info.user = s;
    info.fd_limit_per_thread = c->max_connections + 16; /* listen socket, lws internals */
    info.timeout_secs = 20;
    info.headers = &security_headers[G_N_ELEMENTS(security_headers) - 1];
    info.ssl_cipher_list = CG_TLS12_CIPHERS;
    info.ssl_options_set = SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 |
                           SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION;
    /* An idle keep-alive connection is closed as soon as a stuck handshake. */
    info.keepalive_timeout = (int)c->handshake_timeout_s;
    info.vhost_name = "consultd";
    /* HTTP/1.1 only: browsers would first try the WebSocket over HTTP/2 (RFC
     * 8441), which lws 4.1 refuses, and fall back only seconds later. */
    info.alpn = "http/1.1";
    struct lws_context *context = lws_create_context(&info);
    if (!context) {
        g_set_error(error, CG_PEER_ERROR, CG_PEER_ERROR_INTERNAL,
                    "cannot listen on %s:%u with certificate %s (see the lws lines above)",
                    c->listen_address, c->port, c->cert_file);
        return NULL;
    }
    return context;
}

CgSignaling *cg_signaling_new(const CgConfig *config, GMainLoop *loop,
                              const CgSignalingEvents *events, gpointer user, GError **error)
{
    CgSignaling *s = g_new0(CgSignaling, 1);
    s->config = config;
    s->events = *events;
    s->user = user;
    s->started_us = g_get_monotonic_time();
    s->next_peer_id = 1;
    s->peers =
        g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, (GDestroyNotify)cg_peer_free);
    s->consults = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                        (GDestroyNotify)cg_lifecycle_free_consult);
    s->window.open_before_min = config->open_before_min;
    s->window.grace_min = config->grace_min;
    /* The admin API counts its own failures; joins have their own table
     * with the same limits (auth.max_auth_failures per auth_failure_window_s). */
    s->join_failures =
        cg_rate_limit_new(MAX(config->max_auth_failures, 1), MAX(config->auth_failure_window_s, 1));
    s->conn_limits =
        cg_conn_limits_new(config->max_connections_per_address, config->max_handshakes_per_address,
                           config->handshake_timeout_s);
    lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_to_glib);
    if (!(s->store = cg_store_open(config->store_path, error)) ||
        !(s->tenants = cg_tenants_new(config, error)) ||
        (config->turn_secret_file &&
         !(s->turn_secret = cg_secret_file_read(config->turn_secret_file, "TURN secret", error)))) {
        cg_signaling_free(s);
        return NULL;
    }
    s->admin = cg_admin_api_new(config, s->store, &cg_lifecycle_admin_live, s);
    cg_lifecycle_rearm(s);
    if (!(s->context = create_context(s, loop, error))) {
        cg_signaling_free(s);
        return NULL;
    }
    s->vhost = lws_get_vhost_by_name(s->context, "consultd");
    return s;
}

void cg_signaling_free(CgSignaling *s)
{
    if (!s)
        return;
    g_clear_handle_id(&s->shutdown_timeout_id, g_source_remove);
    /* Destroying the context closes every socket; peers are freed on CLOSED
     * (none is held for a resume: nobody could come back). */
    s->shutting_down = TRUE;
    g_clear_pointer(&s->context, lws_context_destroy);
    g_clear_pointer(&s->conn_limits, cg_conn_limits_free); /* after: WSI_DESTROY uses it */
    g_hash_table_destroy(s->peers);
    g_hash_table_destroy(s->consults);
    g_clear_pointer(&s->join_failures, cg_rate_limit_free);
    g_clear_pointer(&s->admin, cg_admin_api_free);
    g_clear_pointer(&s->tenants, cg_tenants_free);
    g_clear_pointer(&s->turn_secret, g_bytes_unref);
    g_clear_pointer(&s->store, cg_store_close);
    g_free(s);
}

guint cg_signaling_port(CgSignaling *s)
{
    return s->vhost ? (guint)lws_get_vhost_listen_port(s->vhost) : 0;
}

static gboolean shutdown_timed_out(gpointer data)
{
    CgSignaling *s = data;
    s->shutdown_timeout_id = 0;
    g_warning("shutdown: %u connection(s) did not close in time", g_hash_table_size(s->peers));
    GSourceFunc done = g_steal_pointer(&s->shutdown_done);
    if (done)
        done(s->shutdown_done_data);
    return G_SOURCE_REMOVE;
}

/* Called by peer_socket.c whenever a peer goes; finishes a pending shutdown. */
void cg_signaling_check_shutdown_done(CgSignaling *s)
{
    if (!s->shutting_down || g_hash_table_size(s->peers) > 0 || !s->shutdown_done)
        return;
    g_clear_handle_id(&s->shutdown_timeout_id, g_source_remove);
    GSourceFunc done = g_steal_pointer(&s->shutdown_done);
    g_idle_add(done, s->shutdown_done_data);
}

void cg_signaling_shutdown(CgSignaling *s, GSourceFunc done, gpointer done_data)
{
    s->shutting_down = TRUE;
    s->shutdown_done = done;
    s->shutdown_done_data = done_data;
    s->shutdown_timeout_id =
        g_timeout_add_seconds(s->config->shutdown_timeout_s, shutdown_timed_out, s);
    cg_peers_say_goodbye(s);
    cg_signaling_check_shutdown_done(s);
}
