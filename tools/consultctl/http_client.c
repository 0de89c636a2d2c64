/* http_client.c — a minimal HTTPS/1.1 client over GIO for consultctl. */
#include "http_client.h"

#include <string.h>

typedef struct {
    gboolean insecure;
    GTlsCertificate *pinned; /* nullable: the --cacert file's first certificate */
    GTlsDatabase *database;  /* nullable: the --cacert file as trust anchors */
} TlsPolicy;

static gboolean on_accept_certificate(GTlsConnection *conn, GTlsCertificate *peer,
                                      GTlsCertificateFlags errors, gpointer user)
{
    const TlsPolicy *policy = user;
    (void)conn;
    (void)errors;
    if (policy->insecure)
        return TRUE;
    return policy->pinned && g_tls_certificate_is_same(peer, policy->pinned);
}

static void on_client_event(GSocketClient *client, GSocketClientEvent event,
                            GSocketConnectable *connectable, GIOStream *conn, gpointer user)
{
    TlsPolicy *policy = user;
    (void)client;
    (void)connectable;
    if (event != G_SOCKET_CLIENT_TLS_HANDSHAKING || !G_IS_TLS_CONNECTION(conn))
        return;
    g_tls_connection_set_require_close_notify(G_TLS_CONNECTION(conn), FALSE);
    if (policy->database)
        g_tls_connection_set_database(G_TLS_CONNECTION(conn), policy->database);
    g_signal_connect(conn, "accept-certificate", G_CALLBACK(on_accept_certificate), policy);
}

static gboolean parse_url(const char *url, char **host, guint16 *port, GError **error)
{
    g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
    if (!uri || g_strcmp0(g_uri_get_scheme(uri), "https") != 0 || !g_uri_get_host(uri)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "the URL must look like https://HOST:PORT, got '%s'", url);
        return FALSE;
    }
    *host = g_strdup(g_uri_get_host(uri));
    *port = g_uri_get_port(uri) > 0 ? (guint16)g_uri_get_port(uri) : 443;
    return TRUE;
}

/* Reads until EOF or until the Content-Length bytes of the body are in. */
static gboolean read_all(GInputStream *in, GByteArray *buf, GError **error)
{
    guint8 chunk[16384];
    for (;;) {
        const char *data = (const char *)buf->data;
        const char *end = buf->len ? g_strstr_len(data, buf->len, "\r\n\r\n") : NULL;
        if (end) {
            g_autofree char *headers = g_ascii_strdown(data, end - data);
            const char *cl = strstr(headers, "\ncontent-length:");
            if (cl && buf->len - (gsize)(end + 4 - data) >=
                          g_ascii_strtoull(cl + strlen("\ncontent-length:"), NULL, 10))
                return TRUE;
        }
        g_autoptr(GError) read_error = NULL;
        gssize n = g_input_stream_read(in, chunk, sizeof chunk, NULL, &read_error);
        if (n < 0 && buf->len == 0) {
            g_propagate_error(error, g_steal_pointer(&read_error));
            return FALSE;
        }
        if (n <= 0)
            return TRUE; /* EOF (or an abrupt close after the body) */
        g_byte_array_append(buf, chunk, (guint)n);
        if (buf->len > CG_CTL_MAX_RESPONSE_BYTES) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                        "the response is larger than %u bytes", CG_CTL_MAX_RESPONSE_BYTES);
            return FALSE;
        }
    }
}

static gboolean parse_response(GByteArray *raw, guint *status, char **body, GError **error)
{
    g_byte_array_append(raw, (const guint8 *)"", 1);
    const char *text = (const char *)raw->data;
    const char *end = strstr(text, "\r\n\r\n");
    if (!g_str_has_prefix(text, "HTTP/1.") || strlen(text) < 12 || !end) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the server's answer is not HTTP");
        return FALSE;
    }
    *status = (guint)g_ascii_strtoull(text + 9, NULL, 10);
    *body = g_strdup(end + 4);
    return TRUE;
}

gboolean cg_ctl_request(const CgCtlServer *server, const char *method, const char *path,
                        const char *body, guint *status, char **response, GError **error)
{
    g_autofree char *host = NULL;
    guint16 port = 0;
    if (!parse_url(server->url, &host, &port, error))
        return FALSE;
    TlsPolicy policy = {.insecure = server->insecure};
    if (server->cacert) {
        policy.database = g_tls_file_database_new(server->cacert, error);
        policy.pinned =
            policy.database ? g_tls_certificate_new_from_file(server->cacert, error) : NULL;
        if (!policy.pinned) {
            g_clear_object(&policy.database);
            return FALSE;
        }
    }
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_socket_client_set_tls(client, TRUE);
    g_socket_client_set_timeout(client, 30);
    g_signal_connect(client, "event", G_CALLBACK(on_client_event), &policy);
    gboolean ok = FALSE;
    g_autoptr(GSocketConnection) conn =
        g_socket_client_connect_to_host(client, host, port, NULL, error);
    if (conn) {
        gsize len = body ? strlen(body) : 0;
        g_autofree char *head = g_strdup_printf(
            "%s %s HTTP/1.1\r\nHost: %s:%u\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
            method, path, host, port, server->api_key, len);
        GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
        g_autoptr(GByteArray) raw = g_byte_array_new();
        ok = g_output_stream_write_all(out, head, strlen(head), NULL, NULL, error) &&
             (!len || g_output_stream_write_all(out, body, len, NULL, NULL, error)) &&
             read_all(g_io_stream_get_input_stream(G_IO_STREAM(conn)), raw, error) &&
             parse_response(raw, status, response, error);
        g_io_stream_close(G_IO_STREAM(conn), NULL, NULL);
    }
    g_signal_handlers_disconnect_by_data(client, &policy);
    g_clear_object(&policy.pinned);
    g_clear_object(&policy.database);
    return ok;
}
