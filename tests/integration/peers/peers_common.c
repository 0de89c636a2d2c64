/* peers_common.c — raw TLS clients and daemon probes (peers_common.h). */
#include "peers_common.h"

#include "consult_fixture.h"

#include <sqlite3.h>
#include <sys/socket.h>
#include <string.h>

static void set_rcvbuf(GSocketClient *client, GSocketClientEvent event,
                       GSocketConnectable *connectable, GIOStream *connection, gpointer data)
{
    (void)client;
    (void)connectable;
    if (event != G_SOCKET_CLIENT_CONNECTING)
        return;
    GSocket *socket = g_socket_connection_get_socket(G_SOCKET_CONNECTION(connection));
    g_assert_true(g_socket_set_option(socket, SOL_SOCKET, SO_RCVBUF, GPOINTER_TO_INT(data), NULL));
}

PtRaw *pt_raw_connect(CgTestDaemon *daemon)
{
    return pt_raw_connect_rcvbuf(daemon, 0);
}

PtRaw *pt_raw_connect_rcvbuf(CgTestDaemon *daemon, int rcvbuf)
{
    PtRaw *raw = g_new0(PtRaw, 1);
    g_autoptr(GError) error = NULL;
    raw->client = cg_test_tls_client_new(cg_test_daemon_certificate(daemon));
    if (rcvbuf > 0)
        g_signal_connect(raw->client, "event", G_CALLBACK(set_rcvbuf), GINT_TO_POINTER(rcvbuf));
    GSocketConnection *conn = g_socket_client_connect_to_host(
        raw->client, "127.0.0.1", cg_test_daemon_port(daemon), NULL, &error);
    g_assert_no_error(error);
    raw->conn = G_IO_STREAM(conn);
    raw->in = g_data_input_stream_new(g_io_stream_get_input_stream(raw->conn));
    g_data_input_stream_set_newline_type(raw->in, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
    raw->out = g_io_stream_get_output_stream(raw->conn);
    return raw;
}

void pt_raw_free(PtRaw *raw)
{
    if (!raw)
        return;
    g_clear_object(&raw->in);
    if (raw->conn)
        g_io_stream_close(raw->conn, NULL, NULL);
    g_clear_object(&raw->conn);
    g_clear_object(&raw->client);
    g_free(raw);
}

/* Reads header lines up to the empty one; returns the status line. */
static char *read_head(PtRaw *raw, guint64 *content_length)
{
    g_autoptr(GError) error = NULL;
    char *status_line = g_data_input_stream_read_line(raw->in, NULL, NULL, &error);
    if (!status_line)
        return NULL;
    *content_length = 0;
    for (;;) {
        g_autofree char *line = g_data_input_stream_read_line(raw->in, NULL, NULL, &error);
        if (!line || !line[0])
            break;
        if (g_ascii_strncasecmp(line, "content-length:", 15) == 0)
            *content_length = g_ascii_strtoull(line + 15, NULL, 10);
    }
    return status_line;
}

void pt_ws_upgrade(PtRaw *raw)
{
    static const char req[] = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                              "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    g_autoptr(GError) error = NULL;
    g_assert_true(g_output_stream_write_all(raw->out, req, strlen(req), NULL, NULL, &error));
    g_assert_no_error(error);
    guint64 cl = 0;
    g_autofree char *status = read_head(raw, &cl);
    g_assert_nonnull(status);
    g_assert_true(g_str_has_prefix(status, "HTTP/1.1 101"));
}

gboolean pt_ws_send(PtRaw *raw, guint8 opcode, gboolean masked, const void *data, gsize len,
                    GError **error)
{
    guint8 head[14];
    gsize n = 0;
    head[n++] = 0x80 | opcode;
    guint8 mask_bit = masked ? 0x80 : 0;
    if (len < 126) {
        head[n++] = mask_bit | (guint8)len;
    } else if (len < 65536) {
        head[n++] = mask_bit | 126;
        head[n++] = (guint8)(len >> 8);
        head[n++] = (guint8)len;
    } else {
        head[n++] = mask_bit | 127;
        for (int i = 7; i >= 0; i--)
            head[n++] = (guint8)((guint64)len >> (8 * i));
    }
    g_autofree guint8 *frame = g_malloc(n + 4 + len);
    memcpy(frame, head, n);
    const guint8 *in = data;
    if (masked) {
        guint32 key = g_random_int();
        guint8 *k = frame + n;
        memcpy(k, &key, 4);
        for (gsize i = 0; i < len; i++)
            frame[n + 4 + i] = in[i] ^ k[i & 3];
        n += 4;
    } else {
        memcpy(frame + n, in, len);
    }
    return g_output_stream_write_all(raw->out, frame, n + len, NULL, NULL, error);
}

static gboolean read_exact(PtRaw *raw, void *buf, gsize len)
{
    gsize got = 0;
    return g_input_stream_read_all(G_INPUT_STREAM(raw->in), buf, len, &got, NULL, NULL) &&
           got == len;
}

gboolean pt_ws_read(PtRaw *raw, guint8 *opcode, GBytes **payload)
{
    guint8 h[2];
    if (!read_exact(raw, h, 2))
        return FALSE;
    *opcode = h[0] & 0x0f;
    guint64 len = h[1] & 0x7f;
    if (len >= 126) {
        guint8 ext[8];
        gsize n = len == 126 ? 2 : 8;
        if (!read_exact(raw, ext, n))
            return FALSE;
        len = 0;
        for (gsize i = 0; i < n; i++)
            len = (len << 8) | ext[i];
    }
    g_assert_cmpuint(len, <, 1 << 24);
    guint8 *data = g_malloc(len + 1);
    if (!read_exact(raw, data, len)) {
        g_free(data);
        return FALSE;
    }
    data[len] = '\0';
    *payload = g_bytes_new_take(data, len);
    return TRUE;
}

gboolean pt_ws_read_until_close(PtRaw *raw, guint *status, char **reason, guint *n_errors)
{
    guint8 opcode = 0;
    GBytes *payload = NULL;
    *n_errors = 0;
    while (pt_ws_read(raw, &opcode, &payload)) {
        gsize len = 0;
        const guint8 *p = g_bytes_get_data(payload, &len);
        if (opcode == CG_WS_OPCODE_CLOSE) {
            *status = len >= 2 ? (guint)(p[0] << 8 | p[1]) : 1005;
            *reason = len > 2 ? g_strndup((const char *)p + 2, len - 2) : g_strdup("");
            g_bytes_unref(payload);
            return TRUE;
        }
        if (opcode == CG_WS_OPCODE_TEXT && strstr((const char *)p, "\"error\""))
            (*n_errors)++;
        g_clear_pointer(&payload, g_bytes_unref);
    }
    return FALSE;
}

guint pt_http(PtRaw *raw, const char *method, const char *path, const char *api_key)
{
    g_autofree char *req =
        g_strdup_printf("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n\r\n",
                        method, path, api_key);
    if (!g_output_stream_write_all(raw->out, req, strlen(req), NULL, NULL, NULL))
        return 0;
    guint64 cl = 0;
    g_autofree char *status = read_head(raw, &cl);
    if (!status || strlen(status) < 12)
        return 0;
    g_autofree char *body = g_malloc(cl + 1);
    if (cl && !read_exact(raw, body, cl))
        return 0;
    return (guint)g_ascii_strtoull(status + 9, NULL, 10);
}

guint64 pt_daemon_rss_kb(CgTestDaemon *daemon)
{
    guint64 kb = cg_fx_proc_rss_kib(cg_test_daemon_pid(daemon));
    g_assert_cmpuint(kb, >, 0); /* the daemon runs and /proc tells */
    return kb;
}

/* The store sits beside the config file the daemon was started with. */
static char *db_path(CgTestDaemon *daemon)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/cmdline", (int)cg_test_daemon_pid(daemon));
    g_autofree char *cmdline = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(path, &cmdline, &len, NULL));
    for (const char *a = cmdline; a < cmdline + len; a += strlen(a) + 1)
        if (g_str_equal(a, "--config") && a + strlen(a) + 1 < cmdline + len) {
            g_autofree char *dir = g_path_get_dirname(a + strlen(a) + 1);
            return g_build_filename(dir, "consultd.db", NULL);
        }
    g_error("no --config in %s", path);
}

static guint audit_query(CgTestDaemon *daemon, const char *sql, const char *arg)
{
    g_autofree char *path = db_path(daemon);
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    g_assert_cmpint(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
    if (arg)
        sqlite3_bind_text(stmt, 1, arg, -1, SQLITE_STATIC);
    g_assert_cmpint(sqlite3_step(stmt), ==, SQLITE_ROW);
    guint n = (guint)sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return n;
}

guint pt_audit_rows(CgTestDaemon *daemon, const char *action)
{
    if (!action)
        return audit_query(daemon, "SELECT count(*) FROM audit", NULL);
    return audit_query(daemon, "SELECT count(*) FROM audit WHERE action = ?1", action);
}

guint pt_audit_suppressed(CgTestDaemon *daemon)
{
    /* outcome: "N refusals not audited one by one" */
    return audit_query(daemon,
                       "SELECT coalesce(sum(CAST(outcome AS INTEGER)), 0) FROM audit "
                       "WHERE action = 'auth_refused'",
                       NULL);
}

char *pt_join_text(const char *token)
{
    return g_strdup_printf("{\"type\":\"join\",\"token\":\"%s\"}", token);
}
